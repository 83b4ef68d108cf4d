// The behaviour every store must have, run against each implementation by
// sqlite-store.test.ts and postgres-store.test.ts: idempotent enqueue under
// concurrent callers (separate processes), claims and leases, the rule for a
// worker that lost its lease, one running job per tag enforced by the
// database, retries with backoff, filters, the ledger's alarms, and a worker
// killed with SIGKILL mid-job.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_ATTEMPT_LOG_BYTES, periodStart, type EnqueueRequest, type Store, type StoreOptions } from '../../src/store/store.js';
import { openBackend, type Backend } from './backend.js';
import type { ChildCommand, EnqueueOutput } from './store-child.js';

export interface StoreEnv {
  /** A fresh, empty backend for one test. */
  fresh(): Promise<Backend>;
  /** Runs one SQL statement directly, bypassing the store. */
  rawExec(backend: Backend, sql: string): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./store-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Child {
  readonly pid: number;
  /** The first line the child prints. */
  readonly firstLine: Promise<string>;
  /** All it printed, once it exits (rejects on a non-zero exit). */
  readonly done: Promise<string>;
  kill(signal: NodeJS.Signals): void;
}

function startChild(command: ChildCommand): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(JSON.stringify(command));
  let out = '';
  let err = '';
  let resolveLine: (line: string) => void = () => undefined;
  const firstLine = new Promise<string>((resolve) => (resolveLine = resolve));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const nl = out.indexOf('\n');
    if (nl >= 0) resolveLine(out.slice(0, nl));
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolveLine(out);
      if (code === 0) resolve(out);
      else reject(new Error(`store child exited with ${String(code ?? signal)}: ${err.slice(-2000)}`));
    });
  });
  return { pid: child.pid ?? -1, firstLine, done, kill: (signal) => child.kill(signal) };
}

/** 5,000 requests for 1,100 distinct jobs: redeliveries, second deliveries of one push, API requests by name. */
export function duplicateRequests(): { requests: EnqueueRequest[]; distinct: number; groupOf: (i: number) => number } {
  const objects = 1000;
  const byName = 100;
  const distinct = objects + byName;
  const requests: EnqueueRequest[] = [];
  const groups: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const d = i % distinct;
    const variant = Math.floor(i / distinct);
    const repo = `https://salsa.debian.org/pkg${d % 50}/pkg${d % 50}.git`;
    const tag = `debian/1.${d}-1`;
    const tagObject = d < objects ? d.toString(16).padStart(40, '0') : undefined;
    const idempotencyKey = variant === 3 ? undefined : variant === 2 ? `delivery-${d}-again` : `delivery-${d}`;
    requests.push({
      repo,
      tag,
      ...(tagObject !== undefined ? { tagObject } : {}),
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
      intake: variant === 3 ? 'api' : 'webhook',
    });
    groups.push(d);
  }
  // A fixed shuffle (a linear congruential generator), so that duplicates of
  // one job land in different processes at different times.
  let seed = 12345;
  const order = requests.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return { requests: order.map((i) => requests[i]!), distinct, groupOf: (i) => groups[order[i]!]! };
}

export function storeBehaviour(name: string, env: () => StoreEnv): void {
  describe(`${name} store`, () => {
    const open: Store[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });
    async function fresh(options?: StoreOptions): Promise<{ backend: Backend; store: Store; another: () => Promise<Store> }> {
      const backend = await env().fresh();
      const another = async (): Promise<Store> => {
        const s = await openBackend(backend, options);
        open.push(s);
        return s;
      };
      return { backend, store: await another(), another };
    }
    const job = (n: number, extra: Partial<EnqueueRequest> = {}): EnqueueRequest => ({
      repo: `https://salsa.debian.org/debian/pkg${n}.git`,
      tag: `debian/${n}.0-1`,
      tagObject: n.toString(16).padStart(40, 'a'),
      intake: 'webhook',
      ...extra,
    });

    it('enqueues 5,000 requests from four processes at once as exactly one job each', async () => {
      const { backend, store } = await fresh();
      const { requests, distinct, groupOf } = duplicateRequests();
      const slices = 4;
      const per = requests.length / slices;
      const children = Array.from({ length: slices }, (_, k) =>
        startChild({ action: 'enqueue', backend, requests: requests.slice(k * per, (k + 1) * per), parallel: 8 }),
      );
      const outputs = (await Promise.all(children.map((c) => c.done))).map((o) => JSON.parse(o) as EnqueueOutput);
      const results = outputs.flatMap((o) => o.results);
      const idOfGroup = new Map<number, string>();
      results.forEach((r, i) => {
        const group = groupOf(i);
        const seen = idOfGroup.get(group);
        if (seen === undefined) idOfGroup.set(group, r.id);
        else expect(r.id, `request ${i} (job ${group})`).toBe(seen);
      });
      expect(idOfGroup.size).toBe(distinct);
      expect(new Set(idOfGroup.values()).size).toBe(distinct);
      expect(results.filter((r) => r.created)).toHaveLength(distinct);
      expect(await store.depth()).toEqual({ ready: distinct, delayed: 0, running: 0 });
      const seconds = (Math.max(...outputs.map((o) => o.endedAt)) - Math.min(...outputs.map((o) => o.startedAt))) / 1000;
      console.log(
        `[store figures] ${name}: ${Math.round(requests.length / seconds)} enqueues/s (4 processes x 8 callers, 5000 requests, ${distinct} jobs)`,
      );
    });

    it('measures enqueue and claim rates in one process', async () => {
      const { store, another } = await fresh();
      const n = 1000;
      let t = performance.now();
      for (let i = 0; i < n; i++) await store.enqueue(job(i));
      const enqueueRate = n / ((performance.now() - t) / 1000);
      // Two workers claiming batches of 10 until the queue is empty.
      const second = await another();
      const claimed: string[] = [];
      t = performance.now();
      await Promise.all(
        [store, second].map(async (s, w) => {
          while (true) {
            const batch = await s.claim({ workerId: `w${w}`, limit: 10, leaseMs: 60_000 });
            if (batch.length === 0) break;
            claimed.push(...batch.map((j) => j.id));
          }
        }),
      );
      const claimRate = n / ((performance.now() - t) / 1000);
      expect(claimed).toHaveLength(n);
      expect(new Set(claimed).size).toBe(n);
      console.log(
        `[store figures] ${name}: ${Math.round(enqueueRate)} enqueues/s (one caller, sequential), ${Math.round(claimRate)} claims/s (2 workers, batches of 10)`,
      );
    });

    it('returns the existing job for a redelivery by key, by tag object, and for a pending request by name', async () => {
      const { store } = await fresh();
      const first = await store.enqueue(job(1, { idempotencyKey: 'k1' }));
      expect(first.created).toBe(true);
      expect(await store.enqueue(job(1, { idempotencyKey: 'k1' }))).toEqual({ id: first.id, created: false });
      expect(await store.enqueue(job(2, { idempotencyKey: 'k1' }))).toEqual({ id: first.id, created: false });
      expect(await store.enqueue(job(1, { idempotencyKey: 'k2', intake: 'api' }))).toEqual({ id: first.id, created: false });
      expect(await store.get(first.id)).toMatchObject({
        status: 'queued',
        idempotencyKey: 'k1',
        tagObject: job(1).tagObject,
        intake: 'webhook',
        attempts: 0,
      });
      // Another upload of the same tag object is another verification.
      expect((await store.enqueue(job(1, { upload: 'https://deb.debian.org/x.dsc', intake: 'archive' }))).created).toBe(true);
      // A request by name (no object) is collapsed only while one is pending.
      const byName = await store.enqueue({ repo: 'r', tag: 'debian/1', intake: 'api' });
      expect(byName.created).toBe(true);
      expect(await store.enqueue({ repo: 'r', tag: 'debian/1', intake: 'api' })).toEqual({ id: byName.id, created: false });
      const [claimed] = await store.claim({ workerId: 'w', limit: 10 }).then((js) => js.filter((j) => j.id === byName.id));
      expect(claimed).toBeDefined();
      expect(await store.enqueue({ repo: 'r', tag: 'debian/1', intake: 'api' })).toEqual({ id: byName.id, created: false });
      expect(await store.complete(byName.id, claimed!.leaseToken, { verdict: 'authentic', report: {} })).toBe(true);
      const again = await store.enqueue({ repo: 'r', tag: 'debian/1', intake: 'api' });
      expect(again.created).toBe(true);
      expect(again.id).not.toBe(byName.id);
      expect(await store.get('999999')).toBeUndefined();
      expect(await store.get('not-a-number')).toBeUndefined();
    });

    it('leases a claim, takes an expired lease back, and lets only the current holder record a verdict', async () => {
      const { store, another } = await fresh();
      const late = await another();
      const { id } = await store.enqueue(job(1));
      const [a] = await late.claim({ workerId: 'late', limit: 5, leaseMs: 300 });
      expect(a).toMatchObject({ id, status: 'running', attempts: 1, leaseOwner: 'late' });
      expect(await store.claim({ workerId: 'w2', limit: 5 })).toEqual([]);
      await sleep(400);
      const [b] = await store.claim({ workerId: 'w2', limit: 5, leaseMs: 60_000 });
      expect(b).toMatchObject({ id, attempts: 2, leaseOwner: 'w2' });
      expect(b!.leaseToken).not.toBe(a!.leaseToken);
      // The worker that lost its lease finishes late: refused, nothing recorded.
      expect(await late.heartbeat(id, a!.leaseToken)).toBe(false);
      expect(await late.complete(id, a!.leaseToken, { verdict: 'mismatch', report: { from: 'late' } })).toBe(false);
      expect(await late.fail(id, a!.leaseToken, { error: 'late', retryable: true })).toEqual({ outcome: 'lease-lost' });
      expect(await store.complete(id, b!.leaseToken, { verdict: 'reproduced', report: { from: 'w2' }, version: '1.0-1' })).toBe(true);
      expect(await store.complete(id, b!.leaseToken, { verdict: 'mismatch', report: { again: true } })).toBe(false);
      expect(await store.get(id)).toMatchObject({
        status: 'done',
        verdict: 'reproduced',
        report: { from: 'w2' },
        version: '1.0-1',
        leaseOwner: null,
        leaseExpiresAt: null,
      });
      // A done job is never claimed again.
      await sleep(50);
      expect(await store.claim({ workerId: 'w3', limit: 5, leaseMs: 10 })).toEqual([]);
    });

    it('accepts a verdict after the lease expired if no other worker took the job, and heartbeats extend a lease', async () => {
      const { store } = await fresh();
      const { id: first } = await store.enqueue(job(1));
      const { id: second } = await store.enqueue(job(2));
      const [a, b] = await store.claim({ workerId: 'w', limit: 2, leaseMs: 300 });
      expect([a!.id, b!.id].sort()).toEqual([first, second].sort());
      await sleep(150);
      expect(await store.heartbeat(b!.id, b!.leaseToken, 2000)).toBe(true);
      await sleep(300);
      // a's lease has expired but nobody reclaimed it: its token is still the current one.
      expect(await store.complete(a!.id, a!.leaseToken, { verdict: 'equivalent', report: null })).toBe(true);
      // b's lease was extended: not claimable.
      expect(await store.claim({ workerId: 'other', limit: 5 })).toEqual([]);
      expect(await store.depth()).toEqual({ ready: 0, delayed: 0, running: 1 });
    });

    it('never runs two jobs of the same repository and tag at once, and the database itself refuses it', async () => {
      const { backend, store, another } = await fresh();
      const repo = 'https://salsa.debian.org/debian/hello.git';
      const objects = Array.from({ length: 20 }, (_, i) => i.toString(16).padStart(40, 'b'));
      for (const tagObject of objects) await store.enqueue({ repo, tag: 'debian/2.10-3', tagObject, intake: 'webhook' });
      await store.enqueue(job(7));
      // The raw UPDATE that would make two of them running is refused by the unique index.
      await expect(env().rawExec(backend, `UPDATE jobs SET status = 'running' WHERE repo = '${repo}'`)).rejects.toThrow(/unique/i);
      // Four workers claiming at once get one of the tag's jobs between them.
      const workers = [store, await another(), await another(), await another()];
      const claimed = (await Promise.all(workers.map((w, i) => w.claim({ workerId: `w${i}`, limit: 5, leaseMs: 60_000 })))).flat();
      expect(claimed.filter((j) => j.repo === repo)).toHaveLength(1);
      expect(claimed.filter((j) => j.repo !== repo)).toHaveLength(1);
      expect(await store.claim({ workerId: 'w9', limit: 5 })).toEqual([]);
      const running = claimed.find((j) => j.repo === repo)!;
      expect(await store.complete(running.id, running.leaseToken, { verdict: 'reproduced', report: {} })).toBe(true);
      const next = await store.claim({ workerId: 'w9', limit: 5 });
      expect(next).toHaveLength(1);
      expect(next[0]!.repo).toBe(repo);
      expect(next[0]!.id).not.toBe(running.id);
    });

    it('retries with exponential backoff, then fails for good after maxAttempts', async () => {
      const { store } = await fresh({ maxAttempts: 3, backoffBaseMs: 200, backoffMaxMs: 10_000 });
      const { id } = await store.enqueue(job(1));
      const delays: number[] = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        let claimed = await store.claim({ workerId: 'w', limit: 1 });
        const deadline = Date.now() + 3000;
        while (claimed.length === 0 && Date.now() < deadline) {
          await sleep(20);
          claimed = await store.claim({ workerId: 'w', limit: 1 });
        }
        expect(claimed[0]).toMatchObject({ id, attempts: attempt });
        const before = Date.now();
        const result = await store.fail(id, claimed[0]!.leaseToken, {
          error: `fetch failed ${attempt}`,
          retryable: true,
          report: { attempt },
        });
        if (attempt < 3) {
          expect(result.outcome).toBe('retry');
          if (result.outcome !== 'retry') return;
          delays.push(result.runAt.getTime() - before);
          expect(await store.claim({ workerId: 'w', limit: 1 })).toEqual([]);
          expect(await store.depth()).toEqual({ ready: 0, delayed: 1, running: 0 });
          expect(await store.get(id)).toMatchObject({ status: 'queued', lastError: `fetch failed ${attempt}` });
        } else {
          expect(result).toEqual({ outcome: 'failed' });
        }
      }
      // 200 ms then 400 ms, each with up to 20% jitter (and a little clock slack).
      expect(delays[0]).toBeGreaterThanOrEqual(180);
      expect(delays[0]).toBeLessThanOrEqual(260);
      expect(delays[1]).toBeGreaterThanOrEqual(380);
      expect(delays[1]).toBeLessThanOrEqual(500);
      expect(await store.get(id)).toMatchObject({
        status: 'done',
        verdict: 'unverifiable',
        attempts: 3,
        lastError: 'fetch failed 3',
        report: { attempt: 3 },
      });
      expect(await store.claim({ workerId: 'w', limit: 1 })).toEqual([]);
    });

    it('hands a job back without charging its attempt or a backoff, for its lease holder only', async () => {
      const { store } = await fresh({ maxAttempts: 1, backoffBaseMs: 60_000 });
      const { id } = await store.enqueue(job(1));
      const [first] = await store.claim({ workerId: 'w', limit: 1 });
      expect(first).toMatchObject({ id, attempts: 1 });
      expect(await store.handBack(id, 'not-the-token', 'aborted: shutdown')).toBe(false);
      expect(await store.handBack(id, first!.leaseToken, 'aborted: shutdown')).toBe(true);
      expect(await store.get(id)).toMatchObject({ status: 'queued', attempts: 0, lastError: 'aborted: shutdown', leaseOwner: null });
      // Ready at once, and its one attempt is still there to be made.
      const [again] = await store.claim({ workerId: 'v', limit: 1 });
      expect(again).toMatchObject({ id, attempts: 1 });
      expect(await store.handBack(id, first!.leaseToken, 'late')).toBe(false);
      expect(await store.fail(id, again!.leaseToken, { error: 'fetch failed', retryable: true })).toEqual({ outcome: 'failed' });
      expect(await store.handBack(id, again!.leaseToken, 'after the end')).toBe(false);
      expect(await store.get(id)).toMatchObject({ status: 'done', verdict: 'unverifiable', attempts: 1 });
    });

    it('fails a non-retryable cause at once, and a job whose last attempt lost its lease', async () => {
      const { store } = await fresh({ maxAttempts: 1 });
      const { id: a } = await store.enqueue(job(1));
      const { id: b } = await store.enqueue(job(2));
      const claimed = await store.claim({ workerId: 'w', limit: 2, leaseMs: 200 });
      const ja = claimed.find((j) => j.id === a)!;
      expect(await store.fail(a, ja.leaseToken, { error: 'sandbox broken', retryable: false })).toEqual({ outcome: 'failed' });
      expect(await store.get(a)).toMatchObject({ status: 'done', verdict: 'unverifiable', lastError: 'sandbox broken', report: null });
      await sleep(300);
      expect(await store.claim({ workerId: 'w', limit: 2 })).toEqual([]);
      expect(await store.get(b)).toMatchObject({ status: 'done', verdict: 'unverifiable', attempts: 1 });
      expect((await store.get(b))?.lastError).toMatch(/lease/);
    });

    it('lists jobs filtered by status, source, version, verdict, repository, tag object and time', async () => {
      const { store } = await fresh();
      const a = await store.enqueue(job(1, { intake: 'webhook', version: '1.0-1' }));
      const b = await store.enqueue(job(2, { intake: 'archive' }));
      await sleep(60);
      const middle = new Date();
      await sleep(60);
      const c = await store.enqueue(job(3, { intake: 'api' }));
      const claimed = await store.claim({ workerId: 'w', limit: 2 });
      const byId = new Map(claimed.map((j) => [j.id, j]));
      expect(await store.complete(a.id, byId.get(a.id)!.leaseToken, { verdict: 'reproduced', report: { ok: 1 } })).toBe(true);
      expect(await store.complete(b.id, byId.get(b.id)!.leaseToken, { verdict: 'mismatch', report: {}, version: '2.0-1' })).toBe(true);
      const ids = async (f: Parameters<Store['list']>[0]): Promise<string[]> => (await store.list(f)).map((j) => j.id);
      expect(await ids({})).toEqual([c.id, b.id, a.id]);
      expect(await ids({ status: 'done' })).toEqual([b.id, a.id]);
      expect(await ids({ status: 'queued' })).toEqual([c.id]);
      expect(await ids({ intake: 'archive' })).toEqual([b.id]);
      expect(await ids({ version: '1.0-1' })).toEqual([a.id]);
      expect(await ids({ version: '2.0-1' })).toEqual([b.id]);
      expect(await ids({ verdict: 'mismatch' })).toEqual([b.id]);
      expect(await ids({ verdict: 'rejected' })).toEqual([]);
      expect(await ids({ repo: job(3).repo })).toEqual([c.id]);
      expect(await ids({ tagObject: job(2).tagObject })).toEqual([b.id]);
      expect(await ids({ tagObject: job(2).tagObject, intake: 'webhook' })).toEqual([]);
      expect(await ids({ since: middle })).toEqual([c.id]);
      expect(await ids({ until: middle })).toEqual([b.id, a.id]);
      expect(await ids({ status: 'done', verdict: 'reproduced', intake: 'webhook' })).toEqual([a.id]);
      expect(await ids({ limit: 1, offset: 1 })).toEqual([b.id]);
      // count takes the same filters, and ignores limit and offset.
      expect(await store.count()).toBe(3);
      expect(await store.count({ status: 'done', limit: 1 })).toBe(2);
      expect(await store.count({ intake: 'archive', verdict: 'mismatch' })).toBe(1);
      expect(await store.count({ since: middle })).toBe(1);
      expect(await store.count({ verdict: 'unverifiable', intake: 'archive' })).toBe(0);
      const [done] = await store.list({ verdict: 'reproduced' });
      expect(done).toMatchObject({ report: { ok: 1 }, status: 'done' });
      expect(done!.finishedAt).toBeInstanceOf(Date);
      expect(done!.createdAt.getTime()).toBeLessThanOrEqual(done!.finishedAt!.getTime());
    });

    it('lists jobs by the source package their report names, and fills it in for jobs stored before the column existed', async () => {
      const { backend, store, another } = await fresh();
      const a = await store.enqueue(job(1));
      const b = await store.enqueue(job(2));
      const c = await store.enqueue(job(3));
      const d = await store.enqueue(job(4));
      const byId = new Map((await store.claim({ workerId: 'w', limit: 4 })).map((j) => [j.id, j]));
      const token = (id: string): string => byId.get(id)!.leaseToken;
      expect(await store.complete(a.id, token(a.id), { verdict: 'reproduced', report: { source: { package: 'hello' } } })).toBe(true);
      expect(await store.complete(b.id, token(b.id), { verdict: 'mismatch', report: { source: { package: 'hello' } } })).toBe(true);
      // A name that is not a source package's is not kept.
      expect(await store.complete(c.id, token(c.id), { verdict: 'rejected', report: { source: { package: 'Bad Name' } } })).toBe(true);
      expect(await store.fail(d.id, token(d.id), { error: 'x', retryable: false, report: { source: { package: 'zlib' } } })).toEqual({
        outcome: 'failed',
      });
      const ids = async (f: Parameters<Store['list']>[0]): Promise<string[]> => (await store.list(f)).map((j) => j.id);
      expect(await ids({ package: 'hello' })).toEqual([b.id, a.id]);
      expect(await ids({ package: 'hello', verdict: 'mismatch' })).toEqual([b.id]);
      expect(await ids({ package: 'zlib' })).toEqual([d.id]);
      expect(await store.count({ package: 'hello' })).toBe(2);
      expect((await store.get(a.id))?.package).toBe('hello');
      expect((await store.get(c.id))?.package).toBeNull();
      // A database made before the column: the migration reads the package from the stored reports.
      await env().rawExec(
        backend,
        'DROP INDEX jobs_by_package; ALTER TABLE jobs DROP COLUMN package; DELETE FROM schema_migrations WHERE version = 3',
      );
      const reopened = await another();
      expect((await reopened.list({ package: 'hello' })).map((j) => j.id)).toEqual([b.id, a.id]);
      expect((await reopened.get(d.id))?.package).toBe('zlib');
      expect((await reopened.get(c.id))?.package).toBeNull();
    });

    /** Sets a job's finish time directly (the stores take it from their clock). */
    const finishedAtSql = (backend: Backend, id: string, iso: string): string =>
      backend.kind === 'postgres'
        ? `UPDATE jobs SET finished_at = '${iso}'::timestamptz WHERE id = ${id}`
        : `UPDATE jobs SET finished_at = ${Date.parse(iso)} WHERE id = ${id}`;

    it('counts done jobs per UTC day and ISO week by verdict, by finish time, within the window only', async () => {
      const { backend, store } = await fresh();
      // Sunday 2026-11-29 ends a week; Monday 2026-11-30 starts the next.
      const finished: [string, 'reproduced' | 'mismatch' | 'unverifiable'][] = [
        ['2026-11-28T12:00:00.000Z', 'reproduced'], // before the window
        ['2026-11-29T00:00:00.000Z', 'reproduced'], // the window's first instant
        ['2026-11-29T23:59:59.999Z', 'mismatch'],
        ['2026-11-30T00:00:00.000Z', 'mismatch'],
        ['2026-11-30T08:00:00.000Z', 'mismatch'],
        ['2026-12-01T10:00:00.000Z', 'unverifiable'],
        ['2026-12-02T00:00:00.000Z', 'reproduced'], // the window's end, excluded
      ];
      const ids: string[] = [];
      for (let i = 0; i < finished.length; i++) ids.push((await store.enqueue(job(i))).id);
      await store.enqueue(job(99)); // queued: never counted
      const claimed = await store.claim({ workerId: 'w', limit: finished.length });
      expect(claimed).toHaveLength(finished.length);
      for (const c of claimed) {
        const i = ids.indexOf(c.id);
        expect(await store.complete(c.id, c.leaseToken, { verdict: finished[i]![1], report: {} })).toBe(true);
      }
      await env().rawExec(backend, ids.map((id, i) => finishedAtSql(backend, id, finished[i]![0])).join(';\n'));
      const window = { since: new Date('2026-11-29T00:00:00Z'), until: new Date('2026-12-02T00:00:00Z') };
      const rows = async (period: 'day' | 'week') =>
        (await store.summary({ period, ...window })).map((r) => `${r.start.toISOString()} ${r.verdict} ${r.count}`).sort();
      expect(await rows('day')).toEqual([
        '2026-11-29T00:00:00.000Z mismatch 1',
        '2026-11-29T00:00:00.000Z reproduced 1',
        '2026-11-30T00:00:00.000Z mismatch 2',
        '2026-12-01T00:00:00.000Z unverifiable 1',
      ]);
      expect(await rows('week')).toEqual([
        '2026-11-23T00:00:00.000Z mismatch 1',
        '2026-11-23T00:00:00.000Z reproduced 1',
        '2026-11-30T00:00:00.000Z mismatch 2',
        '2026-11-30T00:00:00.000Z unverifiable 1',
      ]);
      // The same periods as periodStart's, which the API and the page fill in with.
      for (const period of ['day', 'week'] as const) {
        for (const row of await store.summary({ period, ...window })) expect(periodStart(row.start, period)).toEqual(row.start);
      }
      expect(
        await store.summary({ period: 'day', since: new Date('2020-01-01T00:00:00Z'), until: new Date('2020-02-01T00:00:00Z') }),
      ).toEqual([]);
    });

    it("keeps each attempt's log, bounded, and replaces the log of an attempt run again", async () => {
      const { store } = await fresh();
      const a = await store.enqueue(job(1));
      const b = await store.enqueue(job(2));
      expect(await store.attemptLogs(a.id)).toEqual([]);
      expect(await store.getAttemptLog(a.id, 1)).toBeUndefined();
      await store.putAttemptLog(a.id, 1, { text: 'first try\n', truncated: false });
      await store.putAttemptLog(a.id, 2, { text: 'ünïcode and a NUL \0 byte\n', truncated: true });
      await store.putAttemptLog(b.id, 1, { text: 'other job\n', truncated: false });
      expect(await store.getAttemptLog(a.id, 1)).toMatchObject({ attempt: 1, text: 'first try\n', truncated: false });
      const second = await store.getAttemptLog(a.id, 2);
      expect(second).toMatchObject({ attempt: 2, truncated: true });
      expect(second!.text).toMatch(/^ünïcode and a NUL . byte\n$/);
      expect(second!.createdAt).toBeInstanceOf(Date);
      expect((await store.attemptLogs(a.id)).map((e) => [e.attempt, e.bytes, e.truncated])).toEqual([
        [1, 10, false],
        [2, Buffer.byteLength(second!.text), true],
      ]);
      await store.putAttemptLog(a.id, 1, { text: 'run again\n', truncated: false });
      expect((await store.getAttemptLog(a.id, 1))?.text).toBe('run again\n');
      // The store keeps at most MAX_ATTEMPT_LOG_BYTES, cut at a character boundary.
      await store.putAttemptLog(b.id, 2, { text: 'é'.repeat(MAX_ATTEMPT_LOG_BYTES), truncated: true });
      const big = await store.getAttemptLog(b.id, 2);
      expect(Buffer.byteLength(big!.text)).toBe(MAX_ATTEMPT_LOG_BYTES);
      expect(big!.text).toMatch(/^é+$/);
      expect(await store.getAttemptLog('999999', 1)).toBeUndefined();
      expect(await store.getAttemptLog("1'", 1)).toBeUndefined();
      await expect(store.putAttemptLog('999999', 1, { text: '', truncated: false })).rejects.toThrow();
    });

    it('raises TAG_REPLAYED, TAG_MOVED and UPSTREAM_TREE_CHANGED from the ledger', async () => {
      const { store } = await fresh();
      const r1 = 'https://salsa.debian.org/debian/hello.git';
      const r2 = 'https://salsa.debian.org/attacker/hello.git';
      const x = 'a'.repeat(40);
      const y = 'b'.repeat(40);
      expect(await store.recordTagSeen({ repo: r1, tagName: 'debian/1.0-1', tagObject: x })).toEqual([]);
      expect(await store.recordTagSeen({ repo: r1, tagName: 'debian/1.0-1', tagObject: x })).toEqual([]);
      const replayed = await store.recordTagSeen({ repo: r2, tagName: 'debian/1.0-1', tagObject: x });
      expect(replayed).toHaveLength(1);
      expect(replayed[0]).toMatchObject({ code: 'TAG_REPLAYED', previous: { repo: r1, tagName: 'debian/1.0-1', tagObject: x } });
      expect(replayed[0]!.message).toContain(r1);
      const moved = await store.recordTagSeen({ repo: r1, tagName: 'debian/1.0-1', tagObject: y });
      expect(moved.map((a) => a.code)).toEqual(['TAG_MOVED']);
      expect(moved[0]).toMatchObject({ previous: { repo: r1, tagName: 'debian/1.0-1', tagObject: x } });
      expect(moved[0]!.previous.firstSeen).toBeInstanceOf(Date);
      // Recording the first sighting again still names the contradiction.
      expect((await store.recordTagSeen({ repo: r1, tagName: 'debian/1.0-1', tagObject: x })).map((a) => a.code).sort()).toEqual([
        'TAG_MOVED',
        'TAG_REPLAYED',
      ]);
      const commit = 'c'.repeat(40);
      expect(
        await store.recordTagSeen({
          repo: r1,
          tagName: 'debian/2.0-1',
          tagObject: 'd'.repeat(40),
          upstreamCommit: commit,
          upstreamTree: '1'.repeat(40),
        }),
      ).toEqual([]);
      expect(
        await store.recordTagSeen({
          repo: r1,
          tagName: 'debian/2.0-2',
          tagObject: 'e'.repeat(40),
          upstreamCommit: commit,
          upstreamTree: '1'.repeat(40),
        }),
      ).toEqual([]);
      const changed = await store.recordTagSeen({
        repo: r2,
        tagName: 'debian/2.0-3',
        tagObject: 'f'.repeat(40),
        upstreamCommit: commit,
        upstreamTree: '2'.repeat(40),
      });
      expect(changed).toEqual([
        expect.objectContaining({
          code: 'UPSTREAM_TREE_CHANGED',
          previous: expect.objectContaining({ upstreamCommit: commit, upstreamTree: '1'.repeat(40), repo: r1 }) as unknown,
        }),
      ]);
    });

    it('gives the job of a worker killed with SIGKILL to another worker after the lease expires, completed exactly once', async () => {
      const { backend, store } = await fresh();
      const { id } = await store.enqueue(job(1));
      const leaseMs = 1500;
      const child = startChild({ action: 'claim-and-hang', backend, leaseMs });
      const line = await child.firstLine;
      const held = JSON.parse(line) as { id: string; leaseToken: string; leaseOwner: string; leaseExpiresAt: string } | null;
      expect(held).toMatchObject({ id, leaseOwner: `child-${child.pid}` });
      child.kill('SIGKILL');
      await expect(child.done).rejects.toThrow(/SIGKILL/);
      expect(await store.get(id)).toMatchObject({ status: 'running', leaseOwner: `child-${child.pid}`, attempts: 1 });
      expect(await store.claim({ workerId: 'survivor', limit: 1 })).toEqual([]);
      await sleep(Math.max(0, new Date(held!.leaseExpiresAt).getTime() - Date.now()) + 100);
      const [taken] = await store.claim({ workerId: 'survivor', limit: 1, leaseMs: 60_000 });
      expect(taken).toMatchObject({ id, attempts: 2, leaseOwner: 'survivor' });
      expect(await store.complete(id, held!.leaseToken, { verdict: 'mismatch', report: { from: 'dead' } })).toBe(false);
      expect(await store.complete(id, taken!.leaseToken, { verdict: 'reproduced', report: { from: 'survivor' } })).toBe(true);
      expect(await store.complete(id, taken!.leaseToken, { verdict: 'reproduced', report: { from: 'survivor' } })).toBe(false);
      expect(await store.get(id)).toMatchObject({ status: 'done', verdict: 'reproduced', report: { from: 'survivor' }, attempts: 2 });
      expect(await store.list({ verdict: 'reproduced' })).toHaveLength(1);
      expect(await store.depth()).toEqual({ ready: 0, delayed: 0, running: 0 });
    });
  });
}
