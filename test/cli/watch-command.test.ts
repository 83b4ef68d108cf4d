// `t2u-verify watch --once` against the loopback archive (real tag2upload
// .dsc files, gpg-signed InRelease, dgit-repos and Salsa as git http-backend
// servers) and a SQLite store in a data directory; run in-process.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { runMain } from '../helpers/cli.js';
import { ArchiveFixture, fixtureUploads } from '../server/archive-fixture.js';

let f: ArchiveFixture;
let dataDir: string;

const base = (): string[] => [
  'watch',
  '--mirror',
  f.mirror.url,
  '--archive-keyring',
  f.archiveRing,
  '--data-dir',
  dataDir,
  '--allow-http',
  ...f.repoUrlMap.flatMap((m) => ['--repo-url-map', `${m.from}=${m.to}`]),
  '--once',
];

beforeAll(async () => {
  f = await ArchiveFixture.start();
  const u = fixtureUploads();
  f.addRepo('dgit', 't2u-gbp', u.gbp!.bundle!);
  const salsaGbp = f.addRepo('salsa', 'debian/t2u-gbp', u.gbp!.bundle!);
  f.addRepo('dgit', 't2u-linear', u.linear!.bundle!);
  f.publish('unstable', [
    { dscPath: u.gbp!.dscPath, vcsGit: 'https://salsa.debian.org/debian/t2u-gbp.git' },
    { dscPath: u.linear!.dscPath },
  ]);
  f.publish('experimental', [{ dscPath: u['new-upstream']!.dscPath, vcsGit: 'https://salsa.debian.org/debian/t2u-gbp.git' }]);
  // Salsa lost 1.1-1's tag: experimental's upload has a copy missing.
  execFileSync('git', ['-C', salsaGbp, 'tag', '-d', 'debian/1.1-1'], { stdio: 'ignore' });
  f.publish('badsig', [{ dscPath: u.gbp!.dscPath }], { signer: 'stranger' });
  dataDir = mkdtempSync(join(tmpdir(), 't2u-watch-cli-'));
}, 60_000);

afterAll(async () => {
  await f?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('t2u-verify watch --once', () => {
  it("queues the suite's tag2upload uploads into the store and prints them (--json); a second run queues nothing", async () => {
    const r = await runMain(...base(), '--suite', 'unstable', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      kind: string;
      suites: Array<{
        suite: string;
        status: string;
        enqueued: Array<{ source: string; repo: string }>;
        reconciliation: { pending: number };
      }>;
    };
    expect(out.kind).toBe('watch');
    expect(out.suites[0]).toMatchObject({ suite: 'unstable', status: 'changed' });
    expect(out.suites[0]!.enqueued.map((q) => [q.source, q.repo]).sort()).toEqual([
      ['t2u-gbp', 'https://git.dgit.debian.org/t2u-gbp'],
      ['t2u-linear', 'https://git.dgit.debian.org/t2u-linear'],
    ]);
    expect(out.suites[0]!.reconciliation.pending).toBe(2);
    const store = new SqliteStore({ dataDir });
    expect(await store.list({ intake: 'archive' })).toHaveLength(2);
    await store.close();

    const again = await runMain(...base(), '--suite', 'unstable');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('unstable: index changed, 2 tag2upload uploads, 0 queued, 2 already queued');
    expect(again.stdout).toContain('reconciliation: 0 verified, 2 pending, 0 without a finished verification');
  });

  it('exit 1 and TAG_COPIES_DIFFER when a copy of the tag is missing; exit 3 when a suite cannot be polled', async () => {
    const r = await runMain(...base(), '--suite', 'experimental');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(
      /TAG_COPIES_DIFFER: t2u-gbp 1\.1-1: .*vcs-git https:\/\/salsa\.debian\.org\/debian\/t2u-gbp\.git has no such tag/,
    );
    expect(r.stderr).toContain('warning: TAG_COPIES_DIFFER: ');

    const bad = await runMain(...base(), '--suite', 'badsig', '--suite', 'unstable');
    expect(bad.code).toBe(3);
    expect(bad.stdout).toContain('badsig: FAILED UPLOAD_INDEX_UNVERIFIED');
    expect(bad.stderr).toContain('error: UPLOAD_INDEX_UNVERIFIED: ');
  });

  it('usage errors exit 2: no store, two stores, a malformed --repo-url-map', async () => {
    const noStore = await runMain('watch', '--mirror', f.mirror.url, '--once');
    expect(noStore.code).toBe(2);
    expect(noStore.stderr).toContain('give exactly one of --data-dir and --database');
    expect((await runMain(...base(), '--database', 'postgres://x/y')).code).toBe(2);
    const map = await runMain(...base(), '--repo-url-map', 'salsa=elsewhere');
    expect(map.code).toBe(2);
    expect(map.stderr).toContain('expected FROM=TO');
  });
});
