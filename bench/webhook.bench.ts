// Webhook acknowledgement: latency (p50, p99) and throughput of
// POST /hooks/gitlab on a real listening server over loopback, with an
// in-memory enqueue, so the figures are the intake's own cost (auth, body,
// schema, tag-name rules, logging to /dev/null) and not a store's. The load is
// bounded: N concurrent keep-alive connections, M requests in all, each a
// distinct tag (every one creates a job), token-authenticated, then the same
// with a Standard Webhooks signature. Client and server share this process.
//
// Then the whole service at a fixed offered rate (open loop, bench/open-loop.ts),
// the job durable in SQLite (synchronous=FULL) before the 202, against a no-op
// route on fastify measured in the same run: with the store's commits on the
// event loop (the in-process store), with them on the store's thread (what the
// service opens), and the same while a hostile job runs (a tag whose
// signature block has a line of --hostile-kb KiB of white space (default: the
// largest tag object the verifier reads), served by git
// over loopback and verified in the job's process). Goal: p99 ≤ 20 ms at 500
// req/s. The machine's load average is printed with each figure.
// Usage: npx tsx bench/webhook.bench.ts [--concurrency N] [--total M] [--rate R] [--seconds S] [--hostile-kb K]
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { intakeRoutes } from '../src/server/intake/intake-routes.js';
import { parseIntakeConfig } from '../src/server/intake/intake-config.js';
import { signStandardWebhook } from '../src/server/intake/webhook-auth.js';
import { MemoryQueue, tagPushBody, TOKEN } from '../test/server/intake-helpers.js';
import pino from 'pino';
import { isolatedVerifyJob } from '../src/server/queue/job-process.js';
import { startService } from '../src/server/service.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import type { VerifyJob } from '../src/server/queue/worker.js';
import { startGitHttpServer } from '../test/helpers/git-http-server.js';
import { REPO_ROOT, SERVICE_KEYRING } from '../test/reconstruct/upload-fixtures.js';
import { hostileTagRepository } from '../test/server/hostile-tag.js';
import { testConfig, verifyReport } from '../test/server/service-helpers.js';
import { fmtLoad, loadAverage, offerWebhooks, type LoadResult } from './open-loop.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) || fallback : fallback;
};
const concurrency = arg('--concurrency', 32);
const total = arg('--total', 20_000);
const RATE = arg('--rate', 500);
const SECONDS = arg('--seconds', 10);
const HOSTILE_KB = arg('--hostile-kb', 1000);

interface Result {
  p50: number;
  p99: number;
  max: number;
  rps: number;
  statuses: Map<number, number>;
}

async function run(label: string, signing: boolean): Promise<Result> {
  const key = randomBytes(32);
  const queue = new MemoryQueue();
  const app = Fastify({ logger: { level: 'info', stream: createWriteStream('/dev/null') } });
  await app.register(intakeRoutes, {
    config: parseIntakeConfig(signing ? { gitlab: { signingSecrets: [`whsec_${key.toString('base64')}`] } } : { gitlab: { tokens: [TOKEN] } }),
    enqueue: queue.enqueue,
  });
  const address = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const bodies = Array.from({ length: total }, (_, i) =>
    Buffer.from(tagPushBody({ ref: `refs/tags/debian/1.${i}-1`, after: i.toString(16).padStart(40, 'a') })),
  );

  const post = (i: number): Promise<[number, number]> =>
    new Promise((resolve, reject) => {
      const body = bodies[i]!;
      const headers: Record<string, string | number> = {
        'content-type': 'application/json',
        'content-length': body.length,
        'x-gitlab-event': 'Tag Push Hook',
        'idempotency-key': `bench-${i}`,
      };
      if (signing) {
        const ts = String(Math.floor(Date.now() / 1000));
        headers['webhook-id'] = `bench-${i}`;
        headers['webhook-timestamp'] = ts;
        headers['webhook-signature'] = signStandardWebhook(key, `bench-${i}`, ts, body);
      } else {
        headers['x-gitlab-token'] = TOKEN;
      }
      const start = performance.now();
      const req = request({ host: address.hostname, port: address.port, path: '/hooks/gitlab', method: 'POST', agent, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve([res.statusCode ?? 0, performance.now() - start]));
      });
      req.on('error', reject);
      req.end(body);
    });

  // Warm-up (JIT, connections), not counted.
  await Promise.all(Array.from({ length: concurrency }, (_, i) => post(i)));
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let next = concurrency;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const [status, ms] = await post(next++);
        latencies.push(ms);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  const elapsed = (performance.now() - began) / 1000;
  agent.destroy();
  await app.close();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  const result = { p50: q(0.5), p99: q(0.99), max: latencies[latencies.length - 1]!, rps: latencies.length / elapsed, statuses };
  if (queue.jobs.length !== total) throw new Error(`${label}: ${queue.jobs.length} jobs for ${total} distinct deliveries`);
  return result;
}

console.log(`POST /hooks/gitlab, ${concurrency} concurrent keep-alive connections, ${total} requests (first ${concurrency} are warm-up), node ${process.version}`);
for (const [label, signing] of [['X-Gitlab-Token', false], ['webhook-signature (HMAC)', true]] as const) {
  const r = await run(label, signing);
  const statuses = [...r.statuses].map(([s, n]) => `${s}×${n}`).join(' ');
  console.log(
    `${label.padEnd(26)} p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  max ${r.max.toFixed(1)} ms  ${Math.round(r.rps)} req/s  [${statuses}]`,
  );
}

async function baseline(): Promise<LoadResult> {
  const app = Fastify({ logger: false });
  app.post('/hooks/gitlab', async (_req, reply) => reply.code(202).send({ id: '1', created: true }));
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    return await offerWebhooks(address, 'baseline', RATE, SECONDS);
  } finally {
    await app.close();
  }
}

type Variant = 'loop' | 'thread' | 'hostile';

/** The service with its store's commits on the event loop, on the store's thread, or on the thread with a hostile job running. */
async function service(variant: Variant): Promise<{ result: LoadResult; persisted: number; load: string }> {
  const root = mkdtempSync(join(tmpdir(), 't2u-bench-webhook-'));
  const log = pino({ level: 'info' }, pino.destination('/dev/null'));
  const keys = join(REPO_ROOT, 'fixtures', 'keys', 'keyrings');
  const repos = join(root, 'repos');
  mkdirSync(repos);
  const git = variant === 'hostile' ? await startGitHttpServer({ root: repos }) : undefined;
  const tag = variant === 'hostile' ? hostileTagRepository(join(repos, 'hostile.git'), HOSTILE_KB * 1024) : '';
  const config = testConfig({
    dataDir: join(root, 'data'),
    workers: variant === 'hostile' ? 1 : 0,
    config: {
      fetch: { allowHttpLoopback: true },
      keyrings: [{ path: join(keys, 'uploaders.gpg'), role: 'uploader' }],
      dmTxt: join(keys, 'dm.txt'),
      uploadKeyring: SERVICE_KEYRING,
      jobTimeoutMs: 600_000,
    },
  });
  // The hostile tag is verified again and again in the job's process until the flood is over
  // (it takes seconds now that the parsers are linear, the flood longer).
  let flooding = true;
  const isolated = variant === 'hostile' ? isolatedVerifyJob({ config }) : undefined;
  let hostileRuns = 0;
  const verifyJob: VerifyJob =
    isolated === undefined
      ? (req) => Promise.resolve(verifyReport(req))
      : Object.assign(
          async (req: Parameters<VerifyJob>[0], ctx: Parameters<VerifyJob>[1]) => {
            let report;
            do {
              report = await isolated(req, ctx);
              hostileRuns++;
            } while (flooding && !ctx.signal.aborted);
            return report;
          },
          { close: () => isolated.close() },
        );
  const store: Store | undefined = variant === 'loop' ? new SqliteStore({ dataDir: config.dataDir }) : undefined;
  const h = await startService(config, { verifyJob, log, ...(store !== undefined && { store }) });
  try {
    if (git !== undefined) {
      const { id } = await h.store.enqueue({ repo: `${git.url}/hostile.git`, tag, upload: `${git.url}/none/x_1.0-1.dsc`, source: 'api' });
      h.worker.wake();
      while ((await h.store.get(id))?.status !== 'running') await new Promise((r) => setTimeout(r, 50));
      // The job's process starts, loads its keyrings and fetches the tag before it parses it.
      await new Promise((r) => setTimeout(r, 5_000));
    }
    const runsBefore = hostileRuns;
    const result = await offerWebhooks(h.url!, variant, RATE, SECONDS);
    flooding = false;
    if (variant === 'hostile') console.log(`  (the hostile tag was verified ${hostileRuns - runsBefore} times during the flood)`);
    const load = loadAverage();
    const depth = await h.store.depth();
    return { result, persisted: depth.ready + depth.delayed, load };
  } finally {
    await h.stop();
    await verifyJob.close?.();
    await store?.close();
    await git?.close();
    rmSync(root, { recursive: true, force: true });
  }
}

console.log(`\nthe service, open loop: ${RATE} req/s offered for ${SECONDS} s (${RATE * SECONDS} distinct tag pushes), job durable in SQLite (synchronous=FULL) before the 202`);
console.log(`load average at start: ${loadAverage()}`);
const base = await baseline();
console.log(`baseline (no-op route)                        ${fmtLoad(base)}  [load ${loadAverage()}]`);
const labels: Record<Variant, string> = {
  loop: 'store commits on the event loop',
  thread: "store commits on the store's thread",
  hostile: `the same, hostile job running (${HOSTILE_KB} KiB line)`,
};
for (const variant of ['loop', 'thread', 'hostile', 'loop', 'thread'] as const) {
  const r = await service(variant);
  console.log(`${labels[variant].padEnd(46)}${fmtLoad(r.result)}  jobs in store: ${r.persisted}  [load ${r.load}]`);
  console.log(`${''.padEnd(46)}ratio to baseline: p50 ×${(r.result.p50 / base.p50).toFixed(1)}  p99 ×${(r.result.p99 / base.p99).toFixed(1)}; goal p99 ≤ 20 ms ${r.result.p99 <= 20 ? 'met' : 'NOT met'}`);
}
