// The real debian-tag2upload-keyring package, fetched from the mirror the way
// apt would (InRelease verified by gpgv against the host's archive keyring,
// binary-all/Packages.xz against the Release, the .deb against Packages) and
// unpacked with dpkg-deb; cached between test runs. sid carries 1.2 (the
// service key valid to 2027-02-04), trixie 1.1 (the same key expiring
// 2026-03-13).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPackage } from '../../src/archive/packages-index.js';
import { checkRelease, verifyInRelease } from '../../src/archive/release.js';
import { DEFAULT_ARCHIVE_KEYRING } from '../../src/config/schema.js';

const MIRROR = 'https://deb.debian.org/debian';
const CACHE = join(tmpdir(), 't2u-verify-test-debs', 'tag2upload-keyring');

async function get(url: string): Promise<Buffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The keyring file of debian-tag2upload-keyring in `suite`, and the package version. */
export async function tag2uploadKeyring(suite: string): Promise<{ path: string; version: string }> {
  const dir = join(CACHE, suite);
  const record = join(dir, 'version');
  const path = join(dir, 'tree/usr/share/keyrings/debian-tag2upload.pgp');
  if (existsSync(record) && existsSync(path)) return { path, version: readFileSync(record, 'utf8') };
  const work = mkdtempSync(join(tmpdir(), 't2u-kr-'));
  try {
    const signed = await verifyInRelease(await get(`${MIRROR}/dists/${suite}/InRelease`), DEFAULT_ARCHIVE_KEYRING);
    const release = checkRelease(signed, {
      mirror: MIRROR,
      suite,
      now: new Date(),
      allowExpired: false,
      expiredHint: { replays: 'replay', option: '-' },
    });
    const want = release.sha256.get('main/binary-all/Packages.xz')!;
    const xz = await get(`${MIRROR}/dists/${suite}/main/binary-all/Packages.xz`);
    if (xz.length !== want.size || sha256(xz) !== want.hash) throw new Error('Packages.xz does not match the Release');
    const packages = spawnSync('xz', ['-dc'], { input: xz, maxBuffer: 1 << 30 }).stdout.toString('latin1');
    const entry = findPackage(packages, 'debian-tag2upload-keyring')[0];
    if (!entry) throw new Error(`${suite} has no debian-tag2upload-keyring`);
    const deb = await get(`${MIRROR}/${entry.filename}`);
    if (deb.length !== entry.size || sha256(deb) !== entry.sha256) throw new Error(`${entry.filename} does not match Packages`);
    writeFileSync(join(work, 'k.deb'), deb);
    const x = spawnSync('dpkg-deb', ['-x', join(work, 'k.deb'), join(work, 'tree')]);
    if (x.status !== 0) throw new Error(`dpkg-deb -x: ${x.stderr.toString()}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    renameSync(join(work, 'tree'), join(dir, 'tree'));
    writeFileSync(record, entry.version);
    return { path, version: entry.version };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
