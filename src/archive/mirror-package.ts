// Obtains one binary-all package from a Debian mirror the way apt would, into
// a cache: InRelease of a suite, verified by gpgv against the host's
// debian-archive-keyring; main/binary-all/Packages.xz, checked against the
// Release SHA256 list; the .deb, checked against Packages' SHA256; unpacked
// with dpkg-deb. Debian's keyring packages (debian-keyring,
// debian-tag2upload-keyring) come this way, never from the verifier's own
// repository. A fresh cached copy is reused; when the network fails a cached
// copy stands in, with a warning. A verification failure is never papered
// over by the cache.
import { trimEnd } from '../text/scan.js';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findPackage, parseStanzas, releaseSha256, type PackageEntry } from './apt-index.js';
import { makeHttpGet, MirrorNetworkError, type HttpGet } from './mirror-http.js';
import { defaultCacheDir } from '../config/load.js';
import { compareVersions } from '../deb822/version-compare.js';

export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
export const DEFAULT_SUITE = 'sid';
export const DEFAULT_ARCHIVE_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
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
  http?: HttpGet;
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

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function runTool(cmd: string, args: string[], input?: Uint8Array): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

/**
 * Verifies a clearsigned InRelease with gpgv and returns the signed text only
 * (gpgv --output), as apt does: at least one GOODSIG from the archive keyring
 * and no BADSIG.
 */
export async function verifyInRelease(inRelease: Uint8Array, archiveKeyring: string, workDir: string): Promise<string> {
  const input = join(workDir, 'InRelease');
  const output = join(workDir, 'Release');
  await writeFile(input, inRelease);
  const r = await runTool('gpgv', ['--status-fd', '1', '--keyring', archiveKeyring, '--output', output, input]);
  const status = r.stdout.toString().split('\n').filter((l) => l.startsWith('[GNUPG:] ')).map((l) => l.slice(9));
  const good = status.filter((l) => l.startsWith('GOODSIG '));
  const bad = status.filter((l) => l.startsWith('BADSIG '));
  if (good.length === 0 || bad.length > 0 || !existsSync(output)) {
    const why = r.stderr.split('\n').filter((l) => l.trim() !== '').slice(-3).join('; ');
    throw new DebianKeyringError('verification', `InRelease does not verify against ${archiveKeyring}: ${why || status.join('; ')}`);
  }
  return readFile(output, 'latin1');
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
async function readCached<T>(spec: MirrorPackageSpec<T>, file: string, mirror: string): Promise<{ rec: CacheRecord; files: T } | undefined> {
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
  return entries.reduce<PackageEntry | undefined>((a, b) => (a === undefined || compareVersions(b.version, a.version) > 0 ? b : a), undefined);
}

interface Download {
  readonly mirror: string;
  readonly suite: string;
  readonly root: string;
  readonly archiveKeyring: string;
  readonly get: HttpGet;
  readonly now: Date;
  readonly allowExpired: boolean;
}

/** Downloads, verifies and unpacks the package; returns the cache record and the selected files. */
async function download<T>(spec: MirrorPackageSpec<T>, d: Download, warnings: string[]): Promise<{ rec: CacheRecord; files: T }> {
  const { mirror, suite } = d;
  await mkdir(d.root, { recursive: true });
  const work = await mkdtemp(join(d.root, '.download-'));
  try {
    const release = parseStanzas(await verifyInRelease(await d.get(`${mirror}/dists/${suite}/InRelease`), d.archiveKeyring, work))[0];
    if (!release) throw new DebianKeyringError('format', `the signed Release of ${suite} is empty`);
    // A Release of another suite, or an expired one, would let a mirror replay old keyrings.
    if (release.get('suite') !== suite && release.get('codename') !== suite) {
      throw new DebianKeyringError('verification', `InRelease is for suite ${release.get('suite') ?? '?'} (${release.get('codename') ?? '?'}), not ${suite}`);
    }
    const validUntil = release.get('valid-until');
    if (validUntil && Date.parse(validUntil) < d.now.getTime()) {
      const msg = `InRelease of ${suite} expired at ${validUntil} (now ${d.now.toISOString()})`;
      if (!d.allowExpired) {
        throw new DebianKeyringError('verification', `${msg}: refused, as a mirror replaying an old Release would bring back removed keys; if the mirror is a known snapshot, pass --allow-expired-release (debianKeyrings.allowExpiredRelease)`);
      }
      warnings.push(`${msg}; accepted because expired Release files are allowed.`);
    }
    const indexPath = 'main/binary-all/Packages.xz';
    const want = releaseSha256(release).get(indexPath);
    if (!want) throw new DebianKeyringError('format', `Release of ${suite} does not list ${indexPath}`);
    const packagesXz = await d.get(`${mirror}/dists/${suite}/${indexPath}`);
    if (packagesXz.length !== want.size || sha256(packagesXz) !== want.sha256) {
      throw new DebianKeyringError('verification', `${indexPath} does not match the SHA256 in Release`);
    }
    const xz = await runTool('xz', ['-dc'], packagesXz);
    if (xz.code !== 0) throw new DebianKeyringError('format', `cannot decompress ${indexPath}: ${xz.stderr.trim()}`);
    const entry = newest(findPackage(xz.stdout.toString('latin1'), spec.name));
    if (!entry) throw new DebianKeyringError('format', `${suite} has no ${spec.name} package in ${indexPath}`);
    checkVersion(spec, entry.version, suite);
    if (!/^pool\/[A-Za-z0-9._+~/-]+\.deb$/.test(entry.filename) || entry.filename.includes('..')) {
      throw new DebianKeyringError('format', `unexpected Filename ${entry.filename}`);
    }
    const deb = await d.get(`${mirror}/${entry.filename}`);
    if (deb.length !== entry.size || sha256(deb) !== entry.sha256) {
      throw new DebianKeyringError('verification', `${entry.filename} does not match the SHA256 in Packages`);
    }
    const debFile = join(work, 'package.deb');
    await writeFile(debFile, deb);
    const tree = join(work, 'tree');
    const x = await runTool('dpkg-deb', ['-x', debFile, tree]);
    if (x.code !== 0) throw new DebianKeyringError('format', `dpkg-deb -x failed: ${x.stderr.trim()}`);

    const dir = join(d.root, safeVersion(entry.version));
    await rm(dir, { recursive: true, force: true });
    await rename(tree, dir);
    const files = spec.select(dir, entry.version);
    return { rec: { package: spec.name, suite, mirror, version: entry.version, dir, fetchedAt: d.now.toISOString() }, files };
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
    got = await download(spec, {
      mirror, suite, root, now,
      archiveKeyring: options.archiveKeyring ?? DEFAULT_ARCHIVE_KEYRING,
      get: options.http ?? makeHttpGet(),
      allowExpired: options.allowExpiredRelease ?? false,
    }, warnings);
  } catch (e) {
    if (!(e instanceof MirrorNetworkError)) {
      if (e instanceof DebianKeyringError) throw e;
      throw new DebianKeyringError('format', `cannot obtain ${spec.name}: ${(e as Error).message}`, { cause: e });
    }
    if (cached) {
      const { rec } = cached;
      return result(rec, cached.files, true, [`Could not refresh ${spec.label} from ${mirror} (${e.message}); using the cached ${spec.name} ${rec.version} fetched at ${rec.fetchedAt}.`]);
    }
    throw new DebianKeyringError('network', `Cannot download ${spec.label} from ${mirror} (${e.message}) and there is no cached copy in ${cacheDir}.`, { cause: e });
  }
  await writeFile(`${recordFile}.tmp`, JSON.stringify(got.rec, null, 2));
  await rename(`${recordFile}.tmp`, recordFile);
  return result(got.rec, got.files, false, warnings);
}
