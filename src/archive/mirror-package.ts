// Obtains one binary-all package from a Debian mirror the way apt would, into
// a cache: InRelease of a suite, verified by gpgv against the host's
// debian-archive-keyring; main/binary-all/Packages.xz, checked against the
// Release SHA256 list (src/archive/release.ts); the .deb, checked against
// Packages' SHA256; unpacked with dpkg-deb in the sandbox. Debian's keyring packages (debian-keyring,
// debian-tag2upload-keyring) come this way, never from the verifier's own
// repository. A fresh cached copy is reused; when the network fails a cached
// copy stands in, with a warning. A verification failure is never papered
// over by the cache.
import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCacheDir } from '../config/load.js';
import { DEFAULT_ARCHIVE_KEYRING, DEFAULT_MIRROR } from '../config/schema.js';
import { compareVersions } from '../deb822/version-compare.js';
import type { UrlPolicy } from '../net/url-policy.js';
import { runSandboxed } from '../sandbox/launcher.js';
import { trimEnd } from '../text/scan.js';
import { makeMirrorGet } from './mirror-http.js';
import { findPackage, type PackageEntry } from './packages-index.js';
import { ArchiveError, checkRelease, fetchPoolFile, fetchReleaseFile, unxz, verifyInRelease, type MirrorGet } from './release.js';
import { isFormatError } from '../report/format-error.js';

export { DEFAULT_ARCHIVE_KEYRING, DEFAULT_MIRROR } from '../config/schema.js';
export { verifyInRelease } from './release.js';

export const DEFAULT_SUITE = 'sid';
export const DEFAULT_MAX_AGE_MS = 24 * 60 * 60 * 1000;

export interface MirrorPackageOptions {
  mirror?: string;
  suite?: string;
  /** Defaults to defaultCacheDir() (src/config/load.ts). */
  cacheDir?: string;
  /** Reuse a cached copy younger than this without asking the mirror. */
  maxAgeMs?: number;
  /** The keyring that must sign InRelease (package debian-archive-keyring). */
  archiveKeyring?: string;
  /** The URL policy for the mirror and its redirects (default: https and public addresses only). */
  policy?: UrlPolicy;
  /** Replaces the HTTP client (tests). */
  http?: MirrorGet;
  now?: () => Date;
  /**
   * Accept a Release past its Valid-Until, with a warning (apt's
   * Acquire::Check-Valid-Until=false). Off by default: an expired Release is
   * how a mirror would replay keyrings from which keys have since been removed.
   */
  allowExpiredRelease?: boolean;
}

/** Which package to obtain and what to take from it. */
export interface MirrorPackageSpec<T> {
  /** The binary package, listed in main/binary-all/Packages.xz. */
  readonly name: string;
  /** What it is, for messages ("Debian's keyrings"). */
  readonly label: string;
  /** The cache directory's subdirectory for this package's unpacked versions and records. */
  readonly cacheSubdir: string;
  /** Versions below this are refused (kind `version`); `why` says what is wrong with them. */
  readonly minVersion?: { readonly version: string; readonly why: string };
  /** The files wanted from the unpacked tree; throws DebianKeyringError('format') when one is missing. */
  select(dir: string, version: string): T;
}

export interface MirrorPackage<T> {
  readonly version: string;
  /** The unpacked package (the .deb's data tree). */
  readonly dir: string;
  readonly files: T;
  readonly fetchedAt: Date;
  readonly fromCache: boolean;
  readonly warnings: readonly string[];
}

/**
 * Why a package could not be obtained: `network` (and no cached copy),
 * `verification`, `format`, or `version` (the mirror's version is too old).
 */
export class DebianKeyringError extends Error {
  override readonly name = 'DebianKeyringError';
  constructor(
    readonly kind: 'network' | 'verification' | 'format' | 'version',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface CacheRecord {
  /** Absent in records written before more than one package was cached. */
  package?: string;
  suite: string;
  mirror: string;
  version: string;
  dir: string;
  fetchedAt: string;
}

function safeVersion(version: string): string {
  return version.replace(/[^A-Za-z0-9.+~-]/g, '_');
}

function checkVersion(spec: MirrorPackageSpec<unknown>, version: string, suite: string): void {
  const min = spec.minVersion;
  if (min && compareVersions(version, min.version) < 0) {
    throw new DebianKeyringError('version', `${spec.name} ${version} in ${suite} is older than ${min.version}: ${min.why}`);
  }
}

/** A cached copy that still holds the wanted files at an acceptable version, or undefined. */
async function readCached<T>(
  spec: MirrorPackageSpec<T>,
  file: string,
  mirror: string,
): Promise<{ rec: CacheRecord; files: T } | undefined> {
  try {
    const rec = JSON.parse(await readFile(file, 'utf8')) as CacheRecord;
    if (rec.mirror !== mirror || (rec.package !== undefined && rec.package !== spec.name)) return undefined;
    checkVersion(spec, rec.version, rec.suite);
    return { rec, files: spec.select(rec.dir, rec.version) };
  } catch {
    return undefined;
  }
}

function result<T>(rec: CacheRecord, files: T, fromCache: boolean, warnings: string[]): MirrorPackage<T> {
  return { version: rec.version, dir: rec.dir, files, fetchedAt: new Date(rec.fetchedAt), fromCache, warnings };
}

/** The highest version among Packages' stanzas for the package (a suite may list more than one). */
function newest(entries: PackageEntry[]): PackageEntry | undefined {
  return entries.reduce<PackageEntry | undefined>(
    (a, b) => (a === undefined || compareVersions(b.version, a.version) > 0 ? b : a),
    undefined,
  );
}

interface Download {
  readonly mirror: string;
  readonly suite: string;
  readonly root: string;
  readonly archiveKeyring: string;
  readonly get: MirrorGet;
  readonly now: Date;
  readonly allowExpired: boolean;
}

const MAX_IN_RELEASE_BYTES = 16 << 20;
const MAX_PACKAGES_BYTES = 64 << 20;
const MAX_DEB_BYTES = 256 << 20;
const DPKG_DEB_TIMEOUT_MS = 120_000;

/**
 * `dpkg-deb -x` in the sandbox, the package's data tree copied to `dest`. The
 * sandbox's work directory is a fresh one under the system's temporary
 * directory, which the sandbox uid can reach wherever the cache is (a cache
 * under /root is not).
 */
async function unpackDeb(deb: Uint8Array, dest: string): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 't2u-deb-'));
  try {
    await writeFile(join(work, 'package.deb'), deb);
    const r = await runSandboxed({
      argv: ['dpkg-deb', '-x', 'package.deb', 'tree'],
      rootfs: { kind: 'host' },
      workDir: work,
      keep: ['tree'],
      env: { LC_ALL: 'C' },
      timeoutMs: DPKG_DEB_TIMEOUT_MS,
    });
    if (r.exitCode !== 0 || r.workQuotaExceeded) {
      const why = r.timedOut
        ? `no end within ${DPKG_DEB_TIMEOUT_MS} ms`
        : r.workQuotaExceeded
          ? 'it unpacks to more than its work directory holds'
          : r.stderr.toString().trim();
      throw new DebianKeyringError('format', `dpkg-deb -x failed: ${why}`);
    }
    await cp(join(work, 'tree'), dest, { recursive: true, verbatimSymlinks: true });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Downloads, verifies and unpacks the package; returns the cache record and the selected files. */
async function download<T>(spec: MirrorPackageSpec<T>, d: Download, warnings: string[]): Promise<{ rec: CacheRecord; files: T }> {
  const { mirror, suite } = d;
  await mkdir(d.root, { recursive: true });
  const work = await mkdtemp(join(d.root, '.download-'));
  try {
    const signed = await verifyInRelease(await d.get(`${mirror}/dists/${suite}/InRelease`, MAX_IN_RELEASE_BYTES), d.archiveKeyring);
    const release = checkRelease(signed, {
      mirror,
      suite,
      now: d.now,
      allowExpired: d.allowExpired,
      expiredHint: { replays: 'bring back removed keys', option: 'debianKeyrings.allowExpiredRelease' },
    });
    warnings.push(...release.warnings);
    const indexPath = 'main/binary-all/Packages.xz';
    const packagesXz = await fetchReleaseFile(d.get, `${mirror}/dists/${suite}`, release, indexPath, MAX_PACKAGES_BYTES);
    const packages = (await unxz(packagesXz, 16 * MAX_PACKAGES_BYTES, indexPath)).toString('latin1');
    let entries;
    try {
      entries = findPackage(packages, spec.name);
    } catch (e) {
      if (isFormatError(e, 'deb822'))
        throw new DebianKeyringError('format', `${indexPath} of ${suite} is not a control file: ${e.message}`, { cause: e });
      throw e;
    }
    const entry = newest(entries);
    if (!entry) throw new DebianKeyringError('format', `${suite} has no ${spec.name} package in ${indexPath}`);
    checkVersion(spec, entry.version, suite);
    if (!entry.filename.endsWith('.deb') || entry.size > MAX_DEB_BYTES)
      throw new DebianKeyringError('format', `unexpected Filename ${entry.filename} (${entry.size} bytes)`);
    const deb = await fetchPoolFile(d.get, mirror, entry.filename, entry, 'Packages');
    const tree = join(work, 'tree');
    await unpackDeb(deb, tree);

    const dir = join(d.root, safeVersion(entry.version));
    await rm(dir, { recursive: true, force: true });
    await rename(tree, dir);
    const files = spec.select(dir, entry.version);
    return { rec: { package: spec.name, suite, mirror, version: entry.version, dir, fetchedAt: d.now.toISOString() }, files };
  } catch (e) {
    if (!(e instanceof ArchiveError) || e.kind === 'network') throw e;
    throw new DebianKeyringError(e.kind === 'verification' ? 'verification' : 'format', e.message, { cause: e });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The package, from the cache when fresh, else from the mirror (falling back to the cache when offline). */
export async function obtainMirrorPackage<T>(spec: MirrorPackageSpec<T>, options: MirrorPackageOptions = {}): Promise<MirrorPackage<T>> {
  const mirror = trimEnd(options.mirror ?? DEFAULT_MIRROR, '/');
  const suite = options.suite ?? DEFAULT_SUITE;
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const now = (options.now ?? (() => new Date()))();
  const root = join(cacheDir, spec.cacheSubdir);
  const recordFile = join(root, `current-${suite.replace(/[^A-Za-z0-9.-]/g, '_')}.json`);

  const cached = await readCached(spec, recordFile, mirror);
  if (cached && now.getTime() - Date.parse(cached.rec.fetchedAt) < maxAgeMs) return result(cached.rec, cached.files, true, []);

  let got: { rec: CacheRecord; files: T };
  const warnings: string[] = [];
  try {
    got = await download(
      spec,
      {
        mirror,
        suite,
        root,
        now,
        archiveKeyring: options.archiveKeyring ?? DEFAULT_ARCHIVE_KEYRING,
        get: options.http ?? makeMirrorGet({ policy: options.policy ?? { allowHttpLoopback: false } }),
        allowExpired: options.allowExpiredRelease ?? false,
      },
      warnings,
    );
  } catch (e) {
    if (!(e instanceof ArchiveError && e.kind === 'network')) {
      if (e instanceof DebianKeyringError) throw e;
      throw new DebianKeyringError('format', `cannot obtain ${spec.name}: ${(e as Error).message}`, { cause: e });
    }
    if (cached) {
      const { rec } = cached;
      return result(rec, cached.files, true, [
        `Could not refresh ${spec.label} from ${mirror} (${e.message}); using the cached ${spec.name} ${rec.version} fetched at ${rec.fetchedAt}.`,
      ]);
    }
    throw new DebianKeyringError(
      'network',
      `Cannot download ${spec.label} from ${mirror} (${e.message}) and there is no cached copy in ${cacheDir}.`,
      { cause: e },
    );
  }
  await writeFile(`${recordFile}.tmp`, JSON.stringify(got.rec, null, 2));
  await rename(`${recordFile}.tmp`, recordFile);
  return result(got.rec, got.files, false, warnings);
}
