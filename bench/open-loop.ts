// Shared by the service benches: an open-loop webhook flood and an open-loop
// GET load (request i is sent at start + i/rate whatever the answers so far,
// and its latency runs from that scheduled time, so a stall is not hidden by
// sending less), a /healthz prober, quantiles and the machine's load average.
// bench/open-loop-child.ts runs either load in a process of its own, and
// inChild() starts it there.
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { postHook } from '../test/server/service-helpers.js';
import { tagPushBody } from '../test/server/intake-helpers.js';

export interface LoadResult {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly rps: number;
  readonly errors: number;
}

export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Request i (`send(i)`, resolving to its status) at start + i/rate, for `total`
 * requests, whatever the answers so far; latency runs from the scheduled time
 * (or from the send, for one sent a little before it).
 * A status other than `ok` is an error.
 */
async function openLoop(total: number, rate: number, send: (i: number) => Promise<number>, ok: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now() + 10;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // Sent up to a millisecond early (a shorter wait is not slept): timed from
    // the send then; sent late: from when it was due, so a stall counts.
    const from = Math.min(due, performance.now());
    pending.push(
      send(i).then((status) => {
        latencies.push(performance.now() - from);
        if (status !== ok) errors++;
      }),
    );
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: latencies[latencies.length - 1]!,
    rps: total / elapsed,
    errors,
  };
}

const keepAlive = (): Agent => new Agent({ keepAlive: true, maxSockets: 512 });

/** GitLab Tag Push Hooks at `rate` per second for `seconds`, each a distinct tag; 202 is success. */
export async function offerWebhooks(base: string, label: string, rate: number, seconds: number): Promise<LoadResult> {
  const url = new URL(base);
  const total = rate * seconds;
  const agent = keepAlive();
  const bodies = Array.from({ length: total }, (_, i) =>
    Buffer.from(tagPushBody({ ref: `refs/tags/debian/${label}.${i}-1`, after: (i + 1).toString(16).padStart(40, 'd') })),
  );
  const post = (body: Buffer, delivery: string): Promise<number> =>
    postHook(url, agent, body, `${label}-${delivery}`).then(
      (r) => r.status,
      () => 0,
    );
  // Warm-up: connections and JIT, not counted (one job, redelivered).
  const warmUp = Buffer.from(tagPushBody({ ref: 'refs/tags/debian/warm-up-1', after: 'e'.repeat(40) }));
  for (let i = 0; i < 200; i++) await post(warmUp, 'warm-up');
  try {
    return await openLoop(total, rate, (i) => post(bodies[i]!, String(i)), 202);
  } finally {
    agent.destroy();
  }
}

/** GETs at `rate` per second for `seconds`, request i asking for paths[i mod n]; `ok` (200) is success. */
export async function offerGets(base: string, rate: number, seconds: number, paths: readonly string[], ok = 200): Promise<LoadResult> {
  const url = new URL(base);
  const agent = keepAlive();
  const get = (path: string): Promise<number> =>
    new Promise((resolve) => {
      const req = request({ host: url.hostname, port: url.port, path, method: 'GET', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
      req.end();
    });
  const pathOf = (i: number): string => paths[i % paths.length]!;
  // Warm-up: connections and JIT, not counted.
  await Promise.all(Array.from({ length: 200 }, (_, i) => get(pathOf(i))));
  try {
    return await openLoop(rate * seconds, rate, (i) => get(pathOf(i)), ok);
  } finally {
    agent.destroy();
  }
}

/** GET /healthz every `intervalMs` (one at a time) until `until` resolves; latencies sorted, non-200 counted. */
export async function probeHealth(
  base: string,
  until: Promise<unknown>,
  intervalMs = 20,
): Promise<{ latencies: number[]; failures: number }> {
  let done = false;
  void until.finally(() => (done = true));
  const latencies: number[] = [];
  let failures = 0;
  while (!done) {
    const t0 = performance.now();
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      if (res.status !== 200) failures++;
    } catch {
      failures++;
    }
    latencies.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  latencies.sort((a, b) => a - b);
  return { latencies, failures };
}

export const fmtLoad = (r: LoadResult, ok = '202'): string =>
  `p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  max ${r.max.toFixed(1)} ms  ${Math.round(r.rps)} req/s  non-${ok}: ${r.errors}`;

export const loadAverage = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

const CHILD = fileURLToPath(new URL('./open-loop-child.ts', import.meta.url));

export type ChildLoad =
  | { readonly kind: 'webhooks'; readonly label: string }
  | { readonly kind: 'gets'; readonly paths: readonly string[]; readonly ok?: number };

/** One of the loads above at `rate`/s for `seconds`, offered from a process of its own (bench/open-loop-child.ts). */
export function inChild(base: string, rate: number, seconds: number, load: ChildLoad): Promise<LoadResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(JSON.stringify({ base, rate, seconds, ...load }));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`the load generator exited ${code}`)),
    ),
  );
}
