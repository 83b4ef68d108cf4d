// The worker loop's dispatch over the real SQLite store: it keeps every slot
// busy while jobs are queued (a slot that frees is filled at once, not at the
// next poll), and a wake-up that comes while a claim is in flight is not lost
// (the job queued meanwhile starts without waiting for the poll). The poll is
// set far beyond the tests' own time limit, so a job that waited for it fails
// the test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Worker, type VerifyJob } from '../../src/server/queue/worker.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { verifyReport, waitFor } from './service-helpers.js';

/** Longer than any wait in these tests: a job that waits for the poll makes its test time out. */
const NEVER_MS = 600_000;

let dir: string;
let store: SqliteStore;
const workers: Worker[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 't2u-worker-'));
  store = new SqliteStore({ dataDir: dir });
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop(1_000)));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A verification that finishes when the test says so; `started` lists the tags in the order they started. */
function gatedJob(): { job: VerifyJob; started: string[]; finish: (tag: string) => void } {
  const started: string[] = [];
  const gates = new Map<string, () => void>();
  const job: VerifyJob = (req) => {
    started.push(req.tag);
    return new Promise((resolve) => gates.set(req.tag, () => resolve(verifyReport(req))));
  };
  return {
    job,
    started,
    finish: (tag) => {
      const gate = gates.get(tag);
      if (gate === undefined) throw new Error(`${tag} has not started`);
      gate();
    },
  };
}

function startWorker(s: Store, verifyJob: VerifyJob, concurrency: number): Worker {
  const w = new Worker({
    store: s,
    verifyJob,
    concurrency,
    leaseMs: 60_000,
    pollMs: NEVER_MS,
    jobTimeoutMs: NEVER_MS,
    log: pino({ level: 'silent' }),
  });
  workers.push(w);
  w.start();
  return w;
}

const enqueue = (tag: string) => store.enqueue({ repo: 'https://git.example/p.git', tag, intake: 'api' });

describe('worker dispatch', () => {
  it('runs as many jobs at once as it has slots, and fills a freed slot without waiting for the poll', async () => {
    for (const tag of ['t1', 't2', 't3', 't4']) await enqueue(tag);
    const g = gatedJob();
    startWorker(store, g.job, 2);
    await waitFor(() => (g.started.length === 2 ? true : undefined), 'two jobs running at once');
    // Neither has finished: a third must not start.
    expect(g.started).toHaveLength(2);
    g.finish(g.started[0]!);
    await waitFor(() => (g.started.length === 3 ? true : undefined), 'the freed slot taken');
    g.finish(g.started[1]!);
    await waitFor(() => (g.started.length === 4 ? true : undefined), 'the last job started');
    expect(new Set(g.started)).toEqual(new Set(['t1', 't2', 't3', 't4']));
    g.finish(g.started[2]!);
    g.finish(g.started[3]!);
    await waitFor(async () => ((await store.list({})).every((j) => j.status === 'done') ? true : undefined), 'every job done');
  });

  it('does not lose a wake-up that comes while a claim is in flight', async () => {
    // A claim that has read the queue (empty) but not yet answered when the job is queued and the worker woken.
    let inFlight: (() => void) | undefined;
    let claims = 0;
    const claim: Store['claim'] = async (options) => {
      const jobs = await store.claim(options);
      if (++claims === 1) await new Promise<void>((resolve) => (inFlight = resolve));
      return jobs;
    };
    const slowClaim = new Proxy(store, {
      get: (target, key) => {
        if (key === 'claim') return claim;
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    }) as Store;
    const g = gatedJob();
    const w = startWorker(slowClaim, g.job, 1);
    await waitFor(() => inFlight, 'the first claim in flight');
    await enqueue('t1');
    w.wake();
    inFlight!();
    await waitFor(() => (g.started.length === 1 ? true : undefined), 'the job queued during the claim started');
    g.finish('t1');
    await waitFor(async () => ((await store.list({}))[0]?.status === 'done' ? true : undefined), 'the job done');
  });
});
