// Obtains Debian's real uploader keyrings the way apt would, into a cache:
// InRelease of a suite, verified by gpgv against the host's
// debian-archive-keyring; main/binary-all/Packages.xz, checked against the
// Release SHA256 list; the debian-keyring .deb, checked against Packages'
// SHA256; unpacked with dpkg-deb. The keyrings never come from the verifier's
// own repository. A fresh cached copy is reused; when the network fails a
// cached copy stands in, with a warning. A verification failure is never
// papered over by the cache.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findPackage, parseStanzas, releaseSha256 } from './apt-index.js';
import type { KeyringRole, KeyringSource } from './keyring-index.js';
import { makeHttpGet, MirrorNetworkError, type HttpGet } from './mirror-http.js';
import { defaultCacheDir } from '../config/load.js';

export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
export const DEFAULT_SUITE = 'sid';
export const DEFAULT_ARCHIVE_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
export const DEFAULT_MAX_AGE_MS = 24 * 60 * 60 * 1000;

export interface DebianKeyringOptions {
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

export interface DebianKeyrings {
  /** The debian-keyring package version. */
  readonly version: string;
  readonly dir: string;
  /** debian-keyring (uploader), debian-maintainers (dm), debian-nonupload (nonupload): dgit's order. */
  readonly keyrings: readonly KeyringSource[];
  readonly fetchedAt: Date;
  readonly fromCache: boolean;
  readonly warnings: readonly string[];
}

/** Why the keyrings could not be obtained: `network` (and no cached copy), `verification` or `format`. */
export class DebianKeyringError extends Error {
  override readonly name = 'DebianKeyringError';
  constructor(
    readonly kind: 'network' | 'verification' | 'format',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}


interface CacheRecord {
  suite: string;
  mirror: string;
  version: string;
  dir: string;
  fetchedAt: string;
  keyrings: KeyringSource[];
}

/** The keyring files of the debian-keyring package, with dgit's AUTH-SPEC roles, in dgit's order. */
const KEYRING_FILES: ReadonlyArray<readonly [string, KeyringRole]> = [
  ['debian-keyring', 'uploader'],
  ['debian-maintainers', 'dm'],
  ['debian-nonupload', 'nonupload'],
];

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

async function readRecord(file: string): Promise<CacheRecord | undefined> {
  try {
    const rec = JSON.parse(await readFile(file, 'utf8')) as CacheRecord;
    if (!rec.keyrings.every((k) => existsSync(k.path))) return undefined;
    return rec;
  } catch {
    return undefined;
  }
}

function fromRecord(rec: CacheRecord, fromCache: boolean, warnings: string[]): DebianKeyrings {
  return { version: rec.version, dir: rec.dir, keyrings: rec.keyrings, fetchedAt: new Date(rec.fetchedAt), fromCache, warnings };
}

/** Downloads, verifies and unpacks the debian-keyring package; returns the cache record. */
async function download(mirror: string, suite: string, cacheDir: string, archiveKeyring: string, get: HttpGet, now: Date, allowExpired: boolean, warnings: string[]): Promise<CacheRecord> {
  await mkdir(join(cacheDir, 'keyrings'), { recursive: true });
  const work = await mkdtemp(join(cacheDir, 'keyrings', '.download-'));
  try {
    const release = parseStanzas(await verifyInRelease(await get(`${mirror}/dists/${suite}/InRelease`), archiveKeyring, work))[0];
    if (!release) throw new DebianKeyringError('format', `the signed Release of ${suite} is empty`);
    // A Release of another suite, or an expired one, would let a mirror replay old keyrings.
    if (release.get('suite') !== suite && release.get('codename') !== suite) {
      throw new DebianKeyringError('verification', `InRelease is for suite ${release.get('suite') ?? '?'} (${release.get('codename') ?? '?'}), not ${suite}`);
    }
    const validUntil = release.get('valid-until');
    if (validUntil && Date.parse(validUntil) < now.getTime()) {
      const msg = `InRelease of ${suite} expired at ${validUntil} (now ${now.toISOString()})`;
      if (!allowExpired) throw new DebianKeyringError('verification', `${msg}; set debianKeyrings.allowExpiredRelease to accept it`);
      warnings.push(`${msg}; accepted because expired Release files are allowed.`);
    }
    const indexPath = 'main/binary-all/Packages.xz';
    const want = releaseSha256(release).get(indexPath);
    if (!want) throw new DebianKeyringError('format', `Release of ${suite} does not list ${indexPath}`);
    const packagesXz = await get(`${mirror}/dists/${suite}/${indexPath}`);
    if (packagesXz.length !== want.size || sha256(packagesXz) !== want.sha256) {
      throw new DebianKeyringError('verification', `${indexPath} does not match the SHA256 in Release`);
    }
    const xz = await runTool('xz', ['-dc'], packagesXz);
    if (xz.code !== 0) throw new DebianKeyringError('format', `cannot decompress ${indexPath}: ${xz.stderr.trim()}`);
    const entries = findPackage(xz.stdout.toString('latin1'), 'debian-keyring');
    const entry = entries[0];
    if (!entry) throw new DebianKeyringError('format', `${suite} has no debian-keyring package in ${indexPath}`);
    if (!/^pool\/[A-Za-z0-9._+~/-]+\.deb$/.test(entry.filename) || entry.filename.includes('..')) {
      throw new DebianKeyringError('format', `unexpected Filename ${entry.filename}`);
    }
    const deb = await get(`${mirror}/${entry.filename}`);
    if (deb.length !== entry.size || sha256(deb) !== entry.sha256) {
      throw new DebianKeyringError('verification', `${entry.filename} does not match the SHA256 in Packages`);
    }
    const debFile = join(work, 'debian-keyring.deb');
    await writeFile(debFile, deb);
    const tree = join(work, 'tree');
    const x = await runTool('dpkg-deb', ['-x', debFile, tree]);
    if (x.code !== 0) throw new DebianKeyringError('format', `dpkg-deb -x failed: ${x.stderr.trim()}`);

    const dir = join(cacheDir, 'keyrings', safeVersion(entry.version));
    await rm(dir, { recursive: true, force: true });
    await rename(tree, dir);
    const keyrings: KeyringSource[] = [];
    for (const [base, role] of KEYRING_FILES) {
      // The package ships .gpg files; keyring.debian.org's own tree calls them .pgp.
      const path = [`${base}.gpg`, `${base}.pgp`].map((f) => join(dir, 'usr/share/keyrings', f)).find((p) => existsSync(p));
      if (!path) throw new DebianKeyringError('format', `debian-keyring ${entry.version} has no ${base}.gpg`);
      keyrings.push({ path, role });
    }
    return { suite, mirror, version: entry.version, dir, fetchedAt: now.toISOString(), keyrings };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Debian's keyrings, from the cache when fresh, else from the mirror (falling back to the cache when offline). */
export async function obtainDebianKeyrings(options: DebianKeyringOptions = {}): Promise<DebianKeyrings> {
  const mirror = (options.mirror ?? DEFAULT_MIRROR).replace(/\/+$/, '');
  const suite = options.suite ?? DEFAULT_SUITE;
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const archiveKeyring = options.archiveKeyring ?? DEFAULT_ARCHIVE_KEYRING;
  const get = options.http ?? makeHttpGet();
  const now = (options.now ?? (() => new Date()))();
  const recordFile = join(cacheDir, 'keyrings', `current-${suite.replace(/[^A-Za-z0-9.-]/g, '_')}.json`);

  const cached = await readRecord(recordFile);
  const usable = cached && cached.mirror === mirror ? cached : undefined;
  if (usable && now.getTime() - Date.parse(usable.fetchedAt) < maxAgeMs) return fromRecord(usable, true, []);

  let rec: CacheRecord;
  const warnings: string[] = [];
  try {
    rec = await download(mirror, suite, cacheDir, archiveKeyring, get, now, options.allowExpiredRelease ?? false, warnings);
  } catch (e) {
    if (!(e instanceof MirrorNetworkError)) {
      if (e instanceof DebianKeyringError) throw e;
      throw new DebianKeyringError('format', `cannot obtain debian-keyring: ${(e as Error).message}`, { cause: e });
    }
    if (usable) {
      return fromRecord(usable, true, [`Could not refresh Debian's keyrings from ${mirror} (${e.message}); using the cached debian-keyring ${usable.version} fetched at ${usable.fetchedAt}.`]);
    }
    throw new DebianKeyringError('network', `Cannot download Debian's keyrings from ${mirror} (${e.message}) and there is no cached copy in ${cacheDir}.`, { cause: e });
  }
  await writeFile(`${recordFile}.tmp`, JSON.stringify(rec, null, 2));
  await rename(`${recordFile}.tmp`, recordFile);
  return fromRecord(rec, false, warnings);
}
