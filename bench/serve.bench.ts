// The service under load, two measurements.
//
// 1. Webhook acknowledgement at a fixed offered rate (open loop: request i is
//    sent at start + i/rate whatever the answers so far, and its latency runs
//    from that scheduled time, so a stall is not hidden by sending less): the
//    full service (token check, GitLab payload rules, logging at info to
//    /dev/null, the job persisted in SQLite with synchronous=FULL before the
//    202), against an in-process baseline that answers 202 from a no-op route
//    on the same fastify, measured in the same run, same client. Goal: p99 ≤
//    20 ms at 500 req/s.
// 2. Jobs verified per hour by 1 and by 2 workers, with a verification that
//    takes a fixed time: the cost of the worker loop and the store (claim,
//    lease renewal, ledger, verdict) around a verification, and whether a
//    second worker doubles the rate. It does not measure verification itself.
//
// Client and server share this process (and the machine's cores).
// Usage: npx tsx bench/serve.bench.ts [--rate 500] [--seconds 10] [--jobs 60] [--job-ms 100]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import pino from 'pino';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { startTestService, verifyReport } from '../test/server/service-helpers.js';
import { numberOption } from './lib/args.js';
import { fmtLoad as fmt, offerWebhooks, type LoadResult } from './open-loop.js';

const RATE = numberOption('--rate', 500);
const SECONDS = numberOption('--seconds', 10);
const JOBS = numberOption('--jobs', 60);
const JOB_MS = numberOption('--job-ms', 100);

const offer = (base: string, label: string): Promise<LoadResult> => offerWebhooks(base, label, RATE, SECONDS);

async function baseline(): Promise<LoadResult> {
  const app = Fastify({ logger: false });
  app.post('/hooks/gitlab', async (_req, reply) => reply.code(202).send({ id: '1', created: true }));
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    return await offer(address, 'baseline');
  } finally {
    await app.close();
  }
}

async function service(): Promise<{ result: LoadResult; persisted: number }> {
  const dir = mkdtempSync(join(tmpdir(), 't2u-bench-serve-'));
  const log = pino({ level: 'info' }, pino.destination('/dev/null'));
  const h = await startTestService({ dataDir: dir, workers: 0, log, verifyJob: (req) => Promise.resolve(verifyReport(req)) });
  try {
    const result = await offer(h.url!, 'service');
    const depth = await h.store.depth();
    return { result, persisted: depth.ready };
  } finally {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function throughput(workers: number): Promise<{ perHour: number; seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 't2u-bench-workers-'));
  const seed = new SqliteStore({ dataDir: dir });
  for (let i = 0; i < JOBS; i++) {
    await seed.enqueue({
      repo: `https://salsa.debian.org/pkg${i}/p.git`,
      tag: `debian/${i}-1`,
      tagObject: (i + 1).toString(16).padStart(40, 'e'),
      intake: 'api',
    });
  }
  await seed.close();
  const began = performance.now();
  const h = await startTestService({
    dataDir: dir,
    mode: 'worker',
    workers,
    log: pino({ level: 'info' }, pino.destination('/dev/null')),
    verifyJob: async (req) => {
      await new Promise((r) => setTimeout(r, JOB_MS));
      return verifyReport(req);
    },
  });
  try {
    for (;;) {
      const depth = await h.store.depth();
      if (depth.ready + depth.running + depth.delayed === 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const seconds = (performance.now() - began) / 1000;
    return { perHour: (JOBS / seconds) * 3600, seconds };
  } finally {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`node ${process.version}; offered ${RATE} req/s for ${SECONDS} s (${RATE * SECONDS} distinct tag pushes), open loop`);
const base = await baseline();
console.log(`baseline (no-op route)          ${fmt(base)}`);
const svc = await service();
console.log(`service (SQLite, persisted)     ${fmt(svc.result)}  jobs in store: ${svc.persisted} (with the warm-up's one)`);
console.log(
  `ratio service/baseline          p50 ×${(svc.result.p50 / base.p50).toFixed(1)}  p99 ×${(svc.result.p99 / base.p99).toFixed(1)}  req/s ×${(svc.result.rps / base.rps).toFixed(2)}`,
);
console.log(`goal p99 ≤ 20 ms: ${svc.result.p99 <= 20 ? 'met' : 'NOT met'}`);

const ideal = 3600_000 / JOB_MS;
console.log(`\nworkers: ${JOBS} jobs, each verification takes ${JOB_MS} ms (ideal ${Math.round(ideal)} jobs/h per worker)`);
const one = await throughput(1);
console.log(
  `1 worker   ${Math.round(one.perHour)} jobs/h (${one.seconds.toFixed(2)} s, ${((one.perHour / ideal) * 100).toFixed(0)}% of ideal)`,
);
const two = await throughput(2);
console.log(
  `2 workers  ${Math.round(two.perHour)} jobs/h (${two.seconds.toFixed(2)} s, ${((two.perHour / (2 * ideal)) * 100).toFixed(0)}% of ideal; ×${(two.perHour / one.perHour).toFixed(2)} of 1 worker)`,
);
