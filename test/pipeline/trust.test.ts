// The upload keyring's default order: the configured file, else the
// installed package's file, else debian-tag2upload-keyring from the
// configured mirror and suite (a loopback mirror serving packages built with
// dpkg-deb); an unobtainable package is a reason, never a silent pass.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { resolveUploadKeyring, type UploadKeyringOptions } from '../../src/pipeline/trust.js';
import { startKeyringPackageMirror, type KeyringPackageMirror } from '../helpers/keyring-package-mirror.js';

let mirror: KeyringPackageMirror;
let dir: string;
let cache: string;

beforeAll(async () => {
  mirror = await startKeyringPackageMirror();
  mirror.publish('sid', ['1.2']);
  mirror.publish('trixie', ['1.1']);
  dir = mkdtempSync(join(tmpdir(), 't2u-trust-'));
}, 120_000);

afterAll(async () => {
  await mirror?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  cache = mkdtempSync(join(dir, 'cache-'));
  mirror.server.requests.length = 0;
  mirror.server.faults.clear();
});

function config(extra: Record<string, unknown> = {}, suite = 'sid'): Readonly<Config> {
  return parseConfig(
    { debianKeyrings: { mirror: mirror.url, suite }, fetch: { allowHttpLoopback: true }, cacheDir: cache, ...extra },
    'test',
  );
}

const NOT_INSTALLED = (): UploadKeyringOptions => ({
  installed: join(dir, 'not-installed.pgp'),
  mirror: { archiveKeyring: mirror.archiveKeyring },
});

describe('resolveUploadKeyring', () => {
  it('the configured keyring first, then the installed one; neither asks the mirror', async () => {
    const installed = join(dir, 'installed.pgp');
    writeFileSync(installed, mirror.serviceKeyring);
    const configured = await resolveUploadKeyring(config({ uploadKeyring: '/etc/t2u/service.pgp' }), { ...NOT_INSTALLED(), installed });
    expect(configured).toEqual({ path: '/etc/t2u/service.pgp', origin: 'configured upload keyring', warnings: [] });
    const fromHost = await resolveUploadKeyring(config(), { ...NOT_INSTALLED(), installed });
    expect(fromHost.path).toBe(installed);
    expect(mirror.server.requests).toEqual([]);
  });

  it("an installed 1.1 (its key expired on 2026-03-13) is passed over for the mirror's, with a warning", async () => {
    const installed = join(dir, 'installed-old.pgp');
    writeFileSync(installed, mirror.serviceKeyring);
    const status = join(dir, 'status');
    const stanza = (version: string): string =>
      `Package: debian-tag2upload-keyring\nStatus: install ok installed\nArchitecture: all\nVersion: ${version}\n`;
    writeFileSync(status, `Package: dpkg\nStatus: install ok installed\nVersion: 1.22.21\n\n${stanza('1.1')}`);
    const old = await resolveUploadKeyring(config(), { ...NOT_INSTALLED(), installed, dpkgStatus: status });
    expect(old.path).toBe(join(cache, 'tag2upload-keyring', '1.2', 'usr/share/keyrings/debian-tag2upload.pgp'));
    expect(old.warnings.join('\n')).toMatch(/installed debian-tag2upload-keyring 1\.1 is older than 1\.2 .* is not used/);
    writeFileSync(status, stanza('1.2'));
    expect((await resolveUploadKeyring(config(), { ...NOT_INSTALLED(), installed, dpkgStatus: status })).path).toBe(installed);
  });

  it('neither: debian-tag2upload-keyring from the configured mirror and suite, cached', async () => {
    const got = await resolveUploadKeyring(config(), NOT_INSTALLED());
    expect(got).toEqual({
      path: join(cache, 'tag2upload-keyring', '1.2', 'usr/share/keyrings/debian-tag2upload.pgp'),
      origin: 'debian-tag2upload-keyring 1.2 (sid)',
      warnings: [],
    });
    expect(mirror.server.requests).toContain('/dists/sid/InRelease');
  });

  it('a suite with 1.1 only: unavailable, saying the version is too old', async () => {
    const got = await resolveUploadKeyring(config({}, 'trixie'), NOT_INSTALLED());
    expect(got.path).toBeUndefined();
    expect(got.unavailable).toMatch(
      /not-installed\.pgp is not installed and debian-tag2upload-keyring could not be obtained: debian-tag2upload-keyring 1\.1 in trixie is older than 1\.2/,
    );
  });

  it('offline: a stale cached package with a warning; without a cache, unavailable with the reason', async () => {
    await resolveUploadKeyring(config(), NOT_INSTALLED());
    mirror.server.faults.set('/dists/sid/InRelease', { status: 503 });
    const stale = await resolveUploadKeyring(
      config({ debianKeyrings: { mirror: mirror.url, suite: 'sid', maxAgeHours: 1e-9 } }),
      NOT_INSTALLED(),
    );
    expect(stale.path).toBe(join(cache, 'tag2upload-keyring', '1.2', 'usr/share/keyrings/debian-tag2upload.pgp'));
    expect(stale.warnings.join('\n')).toMatch(
      /Could not refresh the tag2upload service keyring .* using the cached debian-tag2upload-keyring 1\.2/,
    );

    cache = mkdtempSync(join(dir, 'cache-'));
    const none = await resolveUploadKeyring(config(), NOT_INSTALLED());
    expect(none.path).toBeUndefined();
    expect(none.unavailable).toMatch(/could not be obtained: Cannot download the tag2upload service keyring .*HTTP 503.* no cached copy/);
  });
});
