// Webhook acknowledgement: latency (p50, p99) and throughput of
// POST /hooks/gitlab on a real listening server over loopback, with an
// in-memory enqueue, so the figures are the intake's own cost (auth, body,
// schema, tag-name rules, logging to /dev/null) and not a store's. The load is
// bounded: N concurrent keep-alive connections, M requests in all, each a
// distinct tag (every one creates a job), token-authenticated, then the same
// with a Standard Webhooks signature. Client and server share this process.
// Usage: npx tsx bench/webhook.bench.ts [--concurrency N] [--total M]
import { createWriteStream } from 'node:fs';
import { Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { intakeRoutes } from '../src/server/intake-routes.js';
import { signStandardWebhook } from '../src/server/webhook-auth.js';
import { MemoryQueue, tagPushBody, TOKEN } from '../test/server/intake-helpers.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) || fallback : fallback;
};
const concurrency = arg('--concurrency', 32);
const total = arg('--total', 20_000);

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
    config: signing ? { gitlab: { signingSecrets: [`whsec_${key.toString('base64')}`] } } : { gitlab: { tokens: [TOKEN] } },
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
