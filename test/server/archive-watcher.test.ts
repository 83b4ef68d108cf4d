// The archive watcher against a loopback mirror (real tag2upload .dsc files,
// InRelease clearsigned with a gpg-made archive key) and two git http-backend
// servers standing for dgit-repos and Salsa, serving the fixture repositories.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readDsc } from '../../src/deb822/dsc.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import {
  newWatcherState,
  nextDelayMs,
  pollArchive,
  startArchiveWatcher,
  watcherFailureOf,
  type ArchiveWatcherOptions,
  type PollResult,
  type SuitePoll,
  type WatcherLog,
} from '../../src/server/archive-watch/archive-watcher.js';
import { rewriteRepoUrl } from '../../src/server/intake/tag-copies.js';
import { vcsGitUrl } from '../../src/server/archive-watch/archive-entry.js';
import { ArchiveFixture, archiveDscs, fixtureUploads, type Published, type Upload } from './archive-fixture.js';
import { deadPort } from '../helpers/dead-port.js';

let f: ArchiveFixture;
let uploads: Record<string, Upload>;
let unstable: Published[];
let retagged: { linear: string; unapplied: string };
const dirs: string[] = [];

interface Line {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}
function recordingLog(): WatcherLog & { lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

function freshStore(): SqliteStore {
  const dir = mkdtempSync(join(tmpdir(), 't2u-watch-store-'));
  dirs.push(dir);
  return new SqliteStore({ dataDir: dir });
}

function options(store: SqliteStore, extra: Partial<ArchiveWatcherOptions> = {}): ArchiveWatcherOptions {
  return {
    store,
    mirror: f.mirror.url,
    suites: ['unstable'],
    archiveKeyring: f.archiveRing,
    policy: { allowHttpLoopback: true },
    repoUrlMap: f.repoUrlMap,
    ...extra,
  };
}

function suite(r: PollResult, name = 'unstable'): SuitePoll {
  const s = r.suites.find((x) => x.suite === name);
  if (!s) throw new Error(`no ${name} in ${JSON.stringify(r)}`);
  return s;
}

beforeAll(async () => {
  f = await ArchiveFixture.start();
  uploads = fixtureUploads();
  const { gbp, linear, native, unapplied, baredebian } = uploads;
  // dgit-repos has every tag tag2upload pushed; Salsa has the maintainers' copies.
  f.addRepo('dgit', 't2u-gbp', uploads['new-upstream']!.bundle!);
  f.addRepo('dgit', 't2u-linear', linear!.bundle!);
  f.addRepo('dgit', 't2u-native', native!.bundle!);
  const dgitUnapplied = f.addRepo('dgit', 't2u-unapplied', unapplied!.bundle!);
  const dgitBare = f.addRepo('dgit', 't2u-bare', baredebian!.bundle!);
  f.addRepo('salsa', 'debian/t2u-gbp', uploads['new-upstream']!.bundle!);
  const salsaLinear = f.addRepo('salsa', 'debian/t2u-linear', linear!.bundle!);
  f.addRepo('salsa', 'debian/t2u-unapplied', unapplied!.bundle!);
  // Salsa's linear tag and dgit-repos' unapplied tag were replaced after the upload; dgit-repos lost t2u-bare's tag.
  retagged = { linear: f.retag(salsaLinear, linear!.tag), unapplied: f.retag(dgitUnapplied, unapplied!.tag) };
  execFileSync('git', ['-C', dgitBare, 'tag', '-d', baredebian!.tag], { stdio: 'ignore' });
  unstable = [
    { dscPath: gbp!.dscPath, vcsGit: 'https://salsa.debian.org/debian/t2u-gbp.git -b debian/latest' },
    { dscPath: linear!.dscPath, vcsGit: 'https://salsa.debian.org/debian/t2u-linear.git' },
    { dscPath: native!.dscPath, vcsGit: 'https://salsa.debian.org/debian/t2u-native.git' },
    { dscPath: unapplied!.dscPath, vcsGit: 'https://salsa.debian.org/debian/t2u-unapplied.git' },
    { dscPath: baredebian!.dscPath },
    ...archiveDscs().map((dscPath) => ({ dscPath })),
  ];
  f.publish('unstable', unstable);
  f.publish('experimental', unstable);
  f.publish('badsig', unstable.slice(0, 2), { signer: 'stranger' });
}, 60_000);

afterAll(async () => {
  await f?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('one poll', () => {
  it('queues every upload with Git-Tag-Info once: tag from the version, object from Git-Tag-Info, repository from Dgit, the .dsc in the mirror', async () => {
    const store = freshStore();
    const log = recordingLog();
    const first = suite(await pollArchive(options(store, { log })));
    expect(first.status).toBe('changed');
    expect(first.uploads).toBe(unstable.length);
    expect(first.enqueued).toHaveLength(unstable.length);
    const jobs = await store.list({ intake: 'archive' });
    expect(jobs).toHaveLength(unstable.length);
    const gbp = jobs.find((j) => j.repo.endsWith('/t2u-gbp'))!;
    expect(gbp).toMatchObject({
      repo: 'https://git.dgit.debian.org/t2u-gbp',
      tag: 'debian/1.0-1',
      tagObject: uploads.gbp!.tagObject,
      upload: `${f.mirror.url}/pool/main/t/t2u-gbp/t2u-gbp_1.0-1.dsc`,
      version: '1.0-1',
      intake: 'archive',
      status: 'queued',
      idempotencyKey: `archive:unstable:t2u-gbp:1.0-1:${uploads.gbp!.tagObject}`,
    });
    // The real archive uploads: every field taken from their .dsc, the epoch mangled as DEP-14 says.
    for (const path of archiveDscs()) {
      const { dsc } = readDsc(readFileSync(path));
      const job = jobs.find((j) => j.tagObject === dsc.gitTagInfo!.tag);
      expect(job, path).toBeDefined();
      expect(job!.repo).toBe(dsc.dgit!.url);
      expect(job!.version).toBe(dsc.version);
    }
    expect(jobs.find((j) => j.version === '1:0.55.0-1')?.tag).toBe('debian/1%0.55.0-1');
    expect(log.lines.filter((l) => l.msg === 'archive upload queued for verification')).toHaveLength(unstable.length);

    // Another process (no memory of the first poll): the store knows every upload.
    const second = suite(await pollArchive(options(store)));
    expect(second.status).toBe('changed');
    expect(second.enqueued).toEqual([]);
    expect(second.known).toBe(unstable.length);
    expect(await store.list({ intake: 'archive' })).toHaveLength(unstable.length);
    await store.close();
  });

  it('an upload already queued from another suite is the same upload: not queued again', async () => {
    const store = freshStore();
    const r = await pollArchive(options(store, { suites: ['unstable', 'experimental'], checkTagCopies: false }));
    expect(suite(r).enqueued).toHaveLength(unstable.length);
    expect(suite(r, 'experimental')).toMatchObject({ status: 'changed', enqueued: [], known: unstable.length });
    await store.close();
  });

  it('an unchanged InRelease skips the index: 304 Not Modified, or the same bytes; a new one is read and only its new upload queued', async () => {
    const store = freshStore();
    const state = newWatcherState();
    const opts = options(store, { checkTagCopies: false });
    expect(suite(await pollArchive(opts, state)).enqueued).toHaveLength(unstable.length);

    let before = f.mirror.requests.length;
    const notModified = suite(await pollArchive(opts, state));
    expect(notModified).toMatchObject({ status: 'unchanged', notModified: true, enqueued: [], uploads: unstable.length });
    expect(f.mirror.requests.slice(before)).toEqual(['/dists/unstable/InRelease']);

    f.touch('unstable');
    before = f.mirror.requests.length;
    const sameBytes = suite(await pollArchive(opts, state));
    expect(sameBytes.status).toBe('unchanged');
    expect(sameBytes.notModified).toBeUndefined();
    expect(f.mirror.requests.slice(before)).toEqual(['/dists/unstable/InRelease']);

    try {
      f.publish('unstable', [...unstable, { dscPath: uploads['new-upstream']!.dscPath }]);
      before = f.mirror.requests.length;
      const changed = suite(await pollArchive(opts, state));
      expect(f.mirror.requests.slice(before)).toEqual(['/dists/unstable/InRelease', '/dists/unstable/main/source/Sources.xz']);
      expect(changed.status).toBe('changed');
      expect(changed.enqueued.map((q) => `${q.source} ${q.version} ${q.tagObject}`)).toEqual([
        `t2u-gbp 1.1-1 ${uploads['new-upstream']!.tagObject}`,
      ]);
      expect(changed.known).toBe(unstable.length);
    } finally {
      f.publish('unstable', unstable);
    }
    await store.close();
  });

  it('an InRelease not signed by the archive key: nothing queued, UPLOAD_INDEX_UNVERIFIED reported and logged', async () => {
    const store = freshStore();
    const log = recordingLog();
    const r = suite(await pollArchive(options(store, { suites: ['badsig'], log })), 'badsig');
    expect(r.status).toBe('failed');
    expect(r.error?.code).toBe('UPLOAD_INDEX_UNVERIFIED');
    expect(r.enqueued).toEqual([]);
    expect(await store.list()).toEqual([]);
    expect(log.lines.map((l) => [l.level, l.obj.suite, l.obj.code])).toContainEqual(['error', 'badsig', 'UPLOAD_INDEX_UNVERIFIED']);
    await store.close();
  });

  it('a store that fails: STORE_FAILED with the step that failed, logged; nothing else is claimed', async () => {
    const store = freshStore();
    await store.close();
    const log = recordingLog();
    const poll = suite(await pollArchive(options(store, { log })));
    expect(poll.status).toBe('failed');
    expect(poll.error?.code).toBe('STORE_FAILED');
    expect(log.lines.filter((l) => l.level === 'error' && l.obj.code === 'STORE_FAILED')).toHaveLength(1);
  });

  it('a failure that is neither a verification error nor the store is INTERNAL_ERROR, with its message', () => {
    expect(watcherFailureOf(new TypeError('x is undefined'))).toEqual({ code: 'INTERNAL_ERROR', message: 'x is undefined' });
    expect(watcherFailureOf('thrown string')).toEqual({ code: 'INTERNAL_ERROR', message: 'thrown string' });
  });

  it('a suite the mirror does not have fails alone; the next suite is still polled', async () => {
    const store = freshStore();
    const r = await pollArchive(options(store, { suites: ['no-such-suite', 'unstable'], checkTagCopies: false }));
    expect(suite(r, 'no-such-suite')).toMatchObject({ status: 'failed', error: { code: 'UPLOAD_NOT_FOUND' } });
    expect(suite(r).enqueued).toHaveLength(unstable.length);
    await store.close();
  });
});

describe('both copies of the tag', () => {
  let poll: SuitePoll;
  let log: ReturnType<typeof recordingLog>;
  let store: SqliteStore;
  let seen: { salsa: number; dgit: number };

  beforeAll(async () => {
    store = freshStore();
    seen = { salsa: f.salsa.requests.length, dgit: f.dgit.requests.length };
    log = recordingLog();
    poll = suite(await pollArchive(options(store, { log })));
  }, 60_000);
  afterAll(async () => store?.close());

  const discrepancy = (source: string) => poll.discrepancies.find((d) => d.source === source);

  it('both copies name the Git-Tag-Info object: no discrepancy, read at the rewritten URLs only', () => {
    expect(discrepancy('t2u-gbp')).toBeUndefined();
    expect(poll.notes.filter((n) => n.source === 't2u-gbp')).toEqual([]);
    // The ref advertisement only: one protocol v2 discovery (the fetch stage's own client asks once
    // per repository) and one ls-refs; no second upload-pack request, so no fetch of objects.
    const reads = (requests: typeof f.salsa.requests, prefix: string): string[] =>
      requests.filter((r) => r.path.startsWith(prefix)).map((r) => `${r.method} ${r.path.slice(prefix.length)} ${r.gitProtocol ?? ''}`);
    for (const got of [
      reads(f.salsa.requests.slice(seen.salsa), '/debian/t2u-gbp.git/'),
      reads(f.dgit.requests.slice(seen.dgit), '/t2u-gbp/'),
    ]) {
      expect(got.filter((r) => r === 'POST git-upload-pack version=2')).toHaveLength(1);
      expect(got.filter((r) => r !== 'POST git-upload-pack version=2')).toEqual(['GET info/refs version=2']);
    }
    expect(poll.enqueued.find((q) => q.source === 't2u-gbp')?.repo).toBe('https://git.dgit.debian.org/t2u-gbp');
  });

  it('Vcs-Git names another tag object: TAG_COPIES_DIFFER, logged, and the job reads dgit-repos where the tag matches', () => {
    const d = discrepancy('t2u-linear');
    expect(d?.reason.code).toBe('TAG_COPIES_DIFFER');
    expect(d?.reason.layer).toBe('binding');
    expect(d?.copies).toEqual([
      expect.objectContaining({
        role: 'dgit-repos',
        state: 'match',
        object: uploads.linear!.tagObject,
        url: 'https://git.dgit.debian.org/t2u-linear',
        readAt: `${f.dgit.url}/t2u-linear`,
      }),
      expect.objectContaining({
        role: 'vcs-git',
        state: 'differs',
        object: retagged.linear,
        url: 'https://salsa.debian.org/debian/t2u-linear.git',
      }),
    ]);
    expect(d?.reason.message).toContain(retagged.linear);
    expect(poll.enqueued.find((q) => q.source === 't2u-linear')?.repo).toBe('https://git.dgit.debian.org/t2u-linear');
    expect(log.lines.map((l) => [l.level, l.obj.code, l.obj.source])).toContainEqual(['warn', 'TAG_COPIES_DIFFER', 't2u-linear']);
  });

  it('dgit-repos names another object but Vcs-Git matches: TAG_COPIES_DIFFER, and the job reads Vcs-Git', () => {
    const d = discrepancy('t2u-unapplied');
    expect(d?.copies.map((c) => [c.role, c.state, c.object])).toEqual([
      ['dgit-repos', 'differs', retagged.unapplied],
      ['vcs-git', 'match', uploads.unapplied!.tagObject],
    ]);
    expect(poll.enqueued.find((q) => q.source === 't2u-unapplied')?.repo).toBe('https://salsa.debian.org/debian/t2u-unapplied.git');
  });

  it('a tag missing from dgit-repos: TAG_COPIES_DIFFER (missing); the job still names dgit-repos', () => {
    const d = discrepancy('t2u-bare');
    expect(d?.copies).toEqual([expect.objectContaining({ role: 'dgit-repos', state: 'missing' })]);
    expect(poll.enqueued.find((q) => q.source === 't2u-bare')?.repo).toBe('https://git.dgit.debian.org/t2u-bare');
  });

  it('an unreachable Vcs-Git (no such repository) is a note, not an alarm', () => {
    expect(discrepancy('t2u-native')).toBeUndefined();
    const notes = poll.notes.filter((n) => n.source === 't2u-native');
    expect(notes.map((n) => [n.copy.role, n.copy.state, n.copy.error?.code])).toEqual([['vcs-git', 'unreachable', 'FETCH_FAILED']]);
    expect(notes[0]?.copy.error?.message).toContain('404');
    expect(poll.enqueued.find((q) => q.source === 't2u-native')).toBeDefined();
  });

  it('the real archive uploads, whose repositories these servers lack, are queued with notes and no alarm', () => {
    expect(poll.discrepancies.map((d) => d.source).sort()).toEqual(['t2u-bare', 't2u-linear', 't2u-unapplied']);
    expect(poll.notes.filter((n) => n.source === 'mawk').map((n) => n.copy.role)).toEqual(['dgit-repos', 'vcs-git']);
    expect(poll.enqueued).toHaveLength(unstable.length);
  });
});

describe('reading a copy is bounded', () => {
  it('a Vcs-Git server that does not answer within refTimeoutMs: a FETCH_TIMEOUT note, and the poll goes on', async () => {
    const store = freshStore();
    f.publish('slow', [{ dscPath: uploads.gbp!.dscPath, vcsGit: 'https://salsa.debian.org/debian/t2u-gbp.git' }]);
    // The slow server never answers while the test runs; the healthy ones
    // (the mirror, dgit-repos) answer a loopback read well within the limit,
    // even on a loaded machine: the limit is what ends the read, not a race.
    const refTimeoutMs = 5_000;
    const silentMs = 20 * refTimeoutMs;
    f.salsa.setFaults({ delayMs: silentMs });
    try {
      const started = Date.now();
      const r = suite(await pollArchive(options(store, { suites: ['slow'], refTimeoutMs })), 'slow');
      expect(Date.now() - started).toBeLessThan(silentMs);
      expect(r.notes.map((n) => [n.copy.role, n.copy.state, n.copy.error?.code])).toEqual([['vcs-git', 'unreachable', 'FETCH_TIMEOUT']]);
      expect(r.discrepancies).toEqual([]);
      expect(r.enqueued.map((q) => q.repo)).toEqual(['https://git.dgit.debian.org/t2u-gbp']);
    } finally {
      f.salsa.setFaults(undefined);
      await store.close();
    }
  });
});

describe('URL rewriting', () => {
  it('applies only configured prefixes, the first that matches', () => {
    const map = [
      { from: 'https://git.dgit.debian.org/', to: 'http://127.0.0.1:9/dgit/' },
      { from: 'https://salsa.debian.org/', to: 'http://127.0.0.1:9/salsa/' },
    ];
    expect(rewriteRepoUrl('https://git.dgit.debian.org/hello', map)).toBe('http://127.0.0.1:9/dgit/hello');
    expect(rewriteRepoUrl('https://salsa.debian.org/debian/hello.git', map)).toBe('http://127.0.0.1:9/salsa/debian/hello.git');
    expect(rewriteRepoUrl('https://github.com/x/hello.git', map)).toBe('https://github.com/x/hello.git');
    expect(rewriteRepoUrl('https://git.dgit.debian.org/hello', [])).toBe('https://git.dgit.debian.org/hello');
  });

  it('without a map a copy is read at the archive URL, which the https-only policy forbids over plain http', async () => {
    const store = freshStore();
    f.publish('plain-http', [{ dscPath: uploads.gbp!.dscPath, vcsGit: `${f.salsa.url}/debian/t2u-gbp.git` }]);
    const r = suite(
      await pollArchive(
        options(store, { suites: ['plain-http'], repoUrlMap: [], policy: { allowHttpLoopback: false }, mirror: f.mirror.url }),
      ),
      'plain-http',
    );
    // The mirror itself is plain http here, so the index cannot be read either.
    expect(r).toMatchObject({ status: 'failed', error: { code: 'UPLOAD_URL_INVALID' } });
    await store.close();
  });

  it('Vcs-Git: the URL, without -b BRANCH or [PATH]', () => {
    expect(vcsGitUrl('https://salsa.debian.org/debian/hello.git -b debian/latest [sub/dir]')).toBe(
      'https://salsa.debian.org/debian/hello.git',
    );
    expect(vcsGitUrl('  https://salsa.debian.org/debian/hello.git  ')).toBe('https://salsa.debian.org/debian/hello.git');
    expect(vcsGitUrl('   ')).toBeUndefined();
  });
});

describe('the polling loop', () => {
  it('polls again after the interval, skips an unchanged index, and stops on abort', async () => {
    const store = freshStore();
    const controller = new AbortController();
    const results: PollResult[] = [];
    const watcher = startArchiveWatcher({
      ...options(store, { checkTagCopies: false }),
      intervalMs: 20,
      signal: controller.signal,
      onPoll: (r) => {
        results.push(r);
        if (results.length === 2) controller.abort();
      },
    });
    await watcher.done;
    expect(results.map((r) => suite(r).status)).toEqual(['changed', 'unchanged']);
    expect(suite(results[0]!).enqueued).toHaveLength(unstable.length);
    await store.close();
  });

  it('failures never escape: logged with their code, retried with backoff, stopped on abort', async () => {
    const store = freshStore();
    const controller = new AbortController();
    const log = recordingLog();
    const polls: PollResult[] = [];
    const watcher = startArchiveWatcher({
      ...options(store, { suites: ['badsig'], log }),
      intervalMs: 60_000,
      retryMs: 5,
      signal: controller.signal,
      onPoll: (r) => {
        polls.push(r);
        if (polls.length === 3) controller.abort();
      },
    });
    await expect(watcher.done).resolves.toBeUndefined();
    expect(polls).toHaveLength(3);
    expect(log.lines.filter((l) => l.level === 'error' && l.obj.code === 'UPLOAD_INDEX_UNVERIFIED')).toHaveLength(3);
    expect(log.lines.filter((l) => l.msg.includes('backing off')).map((l) => l.obj.failures)).toEqual([1, 2]);
    await store.close();
  });

  it('an unreachable mirror: FETCH errors logged, the loop goes on until stopped', async () => {
    const store = freshStore();
    const controller = new AbortController();
    const log = recordingLog();
    let n = 0;
    const watcher = startArchiveWatcher({
      ...options(store, { mirror: `http://127.0.0.1:${await deadPort()}/debian`, log }),
      intervalMs: 60_000,
      retryMs: 5,
      signal: controller.signal,
      onPoll: () => {
        if (++n === 2) controller.abort();
      },
    });
    await watcher.done;
    expect(log.lines.filter((l) => l.level === 'error').map((l) => l.obj.code)).toEqual(['UPLOAD_FETCH_FAILED', 'UPLOAD_FETCH_FAILED']);
    await store.close();
  });

  it('delays: the interval with jitter, then exponential backoff from retryMs, capped', () => {
    const o = { intervalMs: 900_000, retryMs: 60_000, maxBackoffMs: 3600_000, jitter: 0.1 };
    expect(nextDelayMs(0, o, () => 0.5)).toBe(900_000);
    expect(nextDelayMs(0, o, () => 0)).toBe(810_000);
    expect(nextDelayMs(0, o, () => 1)).toBe(990_000);
    expect([1, 2, 3, 4, 7, 20].map((k) => nextDelayMs(k, o, () => 0.5))).toEqual([60_000, 120_000, 240_000, 480_000, 3600_000, 3600_000]);
    expect(nextDelayMs(1, { intervalMs: 10_000 }, () => 0.5)).toBe(10_000);
  });
});
