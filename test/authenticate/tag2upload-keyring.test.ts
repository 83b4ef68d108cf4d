// Obtaining the tag2upload service keyring: against a loopback mirror serving
// debian-tag2upload-keyring packages built with dpkg-deb under an InRelease
// signed by a test archive key (the version check, the cache, offline); and
// against deb.debian.org, the real package of sid (1.2, which verifies real
// tag2upload uploads) and of trixie (1.1, refused).
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadKeyrings } from '../../src/authenticate/openpgp/keyring-index.js';
import { DebianKeyringError, type MirrorPackageOptions } from '../../src/archive/mirror-package.js';
import { obtainTag2uploadKeyring } from '../../src/authenticate/tag2upload-keyring.js';
import { compareVersions } from '../../src/deb822/version-compare.js';
import { verifyDscSignature } from '../../src/authenticate/openpgp/verify-dsc-signature.js';
import { startKeyringPackageMirror, type KeyringPackageMirror } from '../helpers/keyring-package-mirror.js';
import { realMirrorProblem } from '../helpers/real-mirror.js';

/** Shared between runs, so the real package is downloaded once a day (debianKeyrings.maxAgeHours' default). */
const REAL_CACHE = join(tmpdir(), 't2u-verify-test-debs', 'obtained');
const DSC_DIR = resolve(import.meta.dirname, '../../fixtures/dsc');
/** The tag2upload service key in debian-tag2upload-keyring. */
const SERVICE_FPR = '374d8ce4db96e9cbd4c0972a606d084e4683c079';

let mirror: KeyringPackageMirror;

beforeAll(async () => {
  mirror = await startKeyringPackageMirror();
  mirror.publish('good', ['1.2']);
  mirror.publish('old', ['1.1']);
  mirror.publish('both', ['1.1', '1.3', '1.2']);
}, 120_000);

afterAll(async () => {
  await mirror?.close();
});

describe('obtainTag2uploadKeyring against a loopback mirror', () => {
  let cache: string;
  beforeEach(() => {
    cache = mkdtempSync(join(tmpdir(), 't2u-kr-cache-'));
    mirror.server.requests.length = 0;
    mirror.server.faults.clear();
    return () => rmSync(cache, { recursive: true, force: true });
  });

  const opts = (suite: string, extra: MirrorPackageOptions = {}): MirrorPackageOptions => ({
    mirror: mirror.url,
    suite,
    cacheDir: cache,
    archiveKeyring: mirror.archiveKeyring,
    policy: { allowHttpLoopback: true },
    ...extra,
  });

  it('downloads, verifies and unpacks the package, then reuses the fresh cache without the network', async () => {
    const got = await obtainTag2uploadKeyring(opts('good'));
    expect(got).toMatchObject({ version: '1.2', fromCache: false, warnings: [] });
    expect(got.path).toBe(join(cache, 'tag2upload-keyring', '1.2', 'usr/share/keyrings/debian-tag2upload.pgp'));
    expect(readFileSync(got.path)).toEqual(mirror.serviceKeyring);
    expect(mirror.server.requests).toEqual([
      '/dists/good/InRelease',
      '/dists/good/main/binary-all/Packages.xz',
      '/pool/main/d/debian-tag2upload-keyring/debian-tag2upload-keyring_1.2_all.deb',
    ]);
    mirror.server.requests.length = 0;
    const again = await obtainTag2uploadKeyring(opts('good'));
    expect(again).toMatchObject({ version: '1.2', fromCache: true, path: got.path });
    expect(mirror.server.requests).toEqual([]);
  });

  it('refuses a version before 1.2, saying why, and caches nothing', async () => {
    const err = await obtainTag2uploadKeyring(opts('old')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DebianKeyringError);
    expect((err as DebianKeyringError).kind).toBe('version');
    expect((err as Error).message).toMatch(/^debian-tag2upload-keyring 1\.1 in old is older than 1\.2: .*expired on 2026-03-13/);
    // Refused from Packages' Version, before the .deb is fetched.
    expect(mirror.server.requests.some((p) => p.endsWith('.deb'))).toBe(false);
    expect(existsSync(join(cache, 'tag2upload-keyring', 'current-old.json'))).toBe(false);
  });

  it('takes the newest version a suite lists', async () => {
    expect((await obtainTag2uploadKeyring(opts('both'))).version).toBe('1.3');
  });

  it('offline: a cached copy stands in with a warning; without one, a clear network error', async () => {
    await obtainTag2uploadKeyring(opts('good'));
    mirror.server.faults.set('/dists/good/InRelease', { status: 503 });
    const stale = await obtainTag2uploadKeyring(opts('good', { maxAgeMs: 0 }));
    expect(stale).toMatchObject({ version: '1.2', fromCache: true });
    expect(existsSync(stale.path)).toBe(true);
    expect(stale.warnings.join('\n')).toMatch(
      /^Could not refresh the tag2upload service keyring from .*HTTP 503.*; using the cached debian-tag2upload-keyring 1\.2 fetched at /,
    );

    const empty = mkdtempSync(join(tmpdir(), 't2u-kr-cache-'));
    try {
      const err = await obtainTag2uploadKeyring(opts('good', { cacheDir: empty })).catch((e: unknown) => e);
      expect((err as DebianKeyringError).kind).toBe('network');
      expect((err as Error).message).toMatch(/^Cannot download the tag2upload service keyring from .*HTTP 503.* no cached copy/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('real Debian mirror (deb.debian.org): obtainTag2uploadKeyring; skipped, with the reason, when the snapshot cannot show it', () => {
  it("sid's package is 1.2 or later and verifies real tag2upload uploads", async ({ skip }) => {
    const problem = await realMirrorProblem('sid', ['main/binary-all/Packages.xz']);
    if (problem) skip(problem);
    // This machine's clock may run past the mirror's Valid-Until; that is reported, not fatal, here.
    const got = await obtainTag2uploadKeyring({ cacheDir: REAL_CACHE, allowExpiredRelease: true });
    expect(compareVersions(got.version, '1.2')).toBeGreaterThanOrEqual(0);
    const index = await loadKeyrings([{ path: got.path, role: 'uploader' }]);
    const real = readdirSync(DSC_DIR).filter((f) => f.endsWith('.dsc'));
    expect(real.length).toBeGreaterThan(0);
    for (const file of real) {
      const r = await verifyDscSignature(readFileSync(join(DSC_DIR, file)), index);
      expect(r.reasons, file).toEqual([]);
      expect(r.signerFingerprint).toBe(SERVICE_FPR);
    }
  }, 300_000);

  it("trixie's package (1.1, the key that expired on 2026-03-13) is refused", async ({ skip }) => {
    const problem = await realMirrorProblem('trixie', ['main/binary-all/Packages.xz']);
    if (problem) skip(problem);
    const cache = mkdtempSync(join(tmpdir(), 't2u-kr-real-'));
    try {
      const err = await obtainTag2uploadKeyring({ cacheDir: cache, suite: 'trixie', allowExpiredRelease: true }).catch((e: unknown) => e);
      expect((err as DebianKeyringError).kind).toBe('version');
      expect((err as Error).message).toMatch(/^debian-tag2upload-keyring 1\.1 in trixie is older than 1\.2/);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }, 300_000);
});
