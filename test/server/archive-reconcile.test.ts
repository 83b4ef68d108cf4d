// Reconciliation of a verified Sources index (loopback mirror, real tag2upload
// .dsc files, InRelease signed by a gpg-made archive key) with a real store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcile } from '../../src/server/archive-watch/archive-reconcile.js';
import { pollArchive } from '../../src/server/archive-watch/archive-watcher.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { fetchSourcesIndex, tag2uploadEntries, type SourcesIndex } from '../../src/upload/sources-index.js';
import { ArchiveFixture, archiveDscs, fixtureUploads } from './archive-fixture.js';

let f: ArchiveFixture;
let index: SourcesIndex;
let store: SqliteStore;
let dir: string;

beforeAll(async () => {
  f = await ArchiveFixture.start();
  const uploads = fixtureUploads();
  // One entry without Git-Tag-Info: an upload not made by tag2upload is no concern of the reconciliation.
  f.publish('unstable', [
    { dscPath: uploads.gbp!.dscPath },
    { dscPath: uploads.native!.dscPath },
    ...archiveDscs()
      .slice(0, 2)
      .map((dscPath) => ({ dscPath })),
    { dscPath: archiveDscs()[2]!, plain: true },
  ]);
  index = await fetchSourcesIndex({
    mirror: f.mirror.url,
    suite: 'unstable',
    archiveKeyring: f.archiveRing,
    policy: { allowHttpLoopback: true },
  });
  dir = mkdtempSync(join(tmpdir(), 't2u-reconcile-store-'));
  store = new SqliteStore({ dataDir: dir });
}, 60_000);

afterAll(async () => {
  await store?.close();
  await f?.close();
  rmSync(dir, { recursive: true, force: true });
});

const later = (hours: number) => () => new Date(Date.now() + hours * 3600_000);

describe('reconcile', () => {
  it('lists every tag2upload upload of the index that was never queued', async () => {
    const r = await reconcile(store, index);
    expect(index.entries).toHaveLength(5);
    expect(r.uploads).toBe(4);
    expect(r).toMatchObject({ suite: 'unstable', verified: 0, pending: 0 });
    expect(r.unverified.map((u) => [u.source, u.state])).toEqual([
      ['t2u-gbp', 'never-enqueued'],
      ['t2u-native', 'never-enqueued'],
      ['boca', 'never-enqueued'],
      ['dh-ocaml', 'never-enqueued'],
    ]);
    expect(r.unverified[0]).toMatchObject({ tag: 'debian/1.0-1', upload: `${f.mirror.url}/pool/main/t/t2u-gbp/t2u-gbp_1.0-1.dsc` });
  });

  it('queued uploads are pending within the bound and listed as overdue after it; a done job stops the listing', async () => {
    const poll = await pollArchive({
      store,
      mirror: f.mirror.url,
      archiveKeyring: f.archiveRing,
      policy: { allowHttpLoopback: true },
      checkTagCopies: false,
    });
    expect(poll.suites[0]?.reconciliation).toMatchObject({ uploads: 4, verified: 0, pending: 4, unverified: [] });

    const overdue = await reconcile(store, index, { now: later(25) });
    expect(overdue.unverified.map((u) => u.state)).toEqual(['overdue', 'overdue', 'overdue', 'overdue']);
    expect(overdue.unverified[0]?.job).toMatchObject({ status: 'queued', attempts: 0 });
    expect((await reconcile(store, index, { now: later(25), pendingBoundMs: 48 * 3600_000 })).pending).toBe(4);

    // A worker takes the t2u-gbp job and records its verdict.
    const [job] = await store.claim({ workerId: 'test', limit: 1 });
    expect(job).toBeDefined();
    expect(await store.complete(job!.id, job!.leaseToken, { verdict: 'reproduced', report: {} })).toBe(true);
    const cache = new Set<string>();
    const after = await reconcile(store, index, { now: later(25), verifiedCache: cache });
    expect(after.verified).toBe(1);
    expect(after.unverified.map((u) => u.tagObject)).not.toContain(job!.tagObject);
    expect(after.unverified).toHaveLength(3);
    expect(cache.size).toBe(1);
  });

  it('a job for the same tag object against another upload does not count', async () => {
    const native = tag2uploadEntries(index).find((e) => e.source === 't2u-native')!;
    const s2dir = mkdtempSync(join(tmpdir(), 't2u-reconcile-store2-'));
    const s2 = new SqliteStore({ dataDir: s2dir });
    try {
      await s2.enqueue({
        repo: 'https://git.dgit.debian.org/t2u-native',
        tag: 'debian/2.0',
        tagObject: native.gitTagInfo!.tag,
        upload: 'https://elsewhere.example/t2u-native_2.0.dsc',
        intake: 'archive',
        version: '2.0',
      });
      const [job] = await s2.claim({ workerId: 'test', limit: 1 });
      await s2.complete(job!.id, job!.leaseToken, { verdict: 'reproduced', report: {} });
      const r = await reconcile(s2, index);
      expect(r.unverified.find((u) => u.source === 't2u-native')?.state).toBe('never-enqueued');
    } finally {
      await s2.close();
      rmSync(s2dir, { recursive: true, force: true });
    }
  });
});
