// The transparency log's speed, each figure beside a baseline measured in the
// same run:
// 1. appends per second with the job persisted and the checkpoint durable:
//    simulated workers claim and complete jobs on the SQLite store through the
//    attesting store, until every attestation is in a durable checkpoint;
//    baseline: the same jobs on the store alone. Also one append at a time
//    (no batching possible), to show what batching buys.
// 2. proof and tile serving under an open-loop 500 requests/s (attestations
//    with inclusion proofs, consistency proofs, tiles) on loopback: p50/p99;
//    baseline: GET /healthz under the same load.
// 3. consensus over 3 verifiers on loopback (fresh client state each run);
//    baseline: fetching the 3 checkpoints alone.
// Usage: npx tsx bench/transparency.bench.ts [--jobs N] [--seconds S]
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { consensus } from '../src/publish/consensus.js';
import { logConfigSchema } from '../src/publish/log-config.js';
import { openPublisher, type Publisher } from '../src/publish/publisher.js';
import { ServiceMetrics } from '../src/server/api/metrics.js';
import { buildServiceApp } from '../src/server/service-app.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { verifyReport } from '../test/server/service-helpers.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) || fallback : fallback;
};
const JOBS = arg('--jobs', 600);
const SECONDS = arg('--seconds', 5);
const WORKERS = 16;
const silent = pino({ level: 'silent' });
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 't2u-bench-log-'));
  dirs.push(d);
  return d;
};
const sha = (i: number): string => i.toString(16).padStart(64, '0');

async function open(dataDir: string, origin: string): Promise<Publisher> {
  return openPublisher({ dataDir, log: logConfigSchema.parse({ origin }) });
}

/** Workers claim and complete `JOBS` jobs; returns ms until all are done (and, with a publisher, logged durably). */
async function runJobs(store: Store, publisher?: Publisher): Promise<number> {
  for (let i = 0; i < JOBS; i++) await store.enqueue({ repo: 'https://salsa.debian.org/debian/x.git', tag: `debian/1.${i}-1`, source: 'api' });
  const target = publisher === undefined ? store : publisher.attesting(store, silent);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      for (;;) {
        const [job] = await target.claim({ workerId: 'bench', limit: 1 });
        if (job === undefined) return;
        const report = { ...verifyReport({ repo: job.repo, tag: job.tag }), upload: { origin: 'x', dsc: 'x.dsc', sha256: sha(Number(job.id)) } };
        await target.complete(job.id, job.leaseToken, { verdict: 'reproduced', report });
      }
    }),
  );
  if (publisher !== undefined) {
    while (publisher.log.current.size < JOBS) await new Promise((r) => setTimeout(r, 2));
  }
  return performance.now() - t0;
}

async function appends(): Promise<void> {
  const baseDir = tmp();
  const baseStore = new SqliteStore({ dataDir: baseDir });
  const baseMs = await runJobs(baseStore);
  await baseStore.close();

  const dataDir = tmp();
  const store = new SqliteStore({ dataDir });
  const publisher = await open(dataDir, 'bench.test/log');
  const ms = await runJobs(store, publisher);
  await publisher.close();
  await store.close();

  const single = await open(tmp(), 'bench.test/single');
  const n = 100;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await single.log.append({ entry: Buffer.from(`{"i":${i}}`), dscSha256: null });
  const singleMs = performance.now() - t0;
  await single.close();

  console.log(`appends (SQLite, ${WORKERS} workers, ${JOBS} jobs, fsynced checkpoint):`);
  console.log(`  jobs completed, store only (baseline): ${((JOBS / baseMs) * 1000).toFixed(0)} jobs/s`);
  console.log(`  jobs completed and attested in a durable checkpoint: ${((JOBS / ms) * 1000).toFixed(0)} appends/s (${(ms / baseMs).toFixed(2)}× the baseline's time)`);
  console.log(`  one append at a time, each waiting for its checkpoint: ${((n / singleMs) * 1000).toFixed(0)} appends/s`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

/** Open-loop load: `rate` requests per second for SECONDS, each URL from `next`. */
async function load(base: string, rate: number, next: (i: number) => string): Promise<{ p50: number; p99: number; errors: number }> {
  const lat: number[] = [];
  let errors = 0;
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  const total = rate * SECONDS;
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const start = performance.now();
    pending.push(
      fetch(`${base}${next(i)}`).then(async (res) => {
        await res.arrayBuffer();
        if (res.status !== 200) errors++;
        lat.push(performance.now() - start);
      }, () => void errors++),
    );
  }
  await Promise.all(pending);
  lat.sort((a, b) => a - b);
  return { p50: percentile(lat, 50), p99: percentile(lat, 99), errors };
}

async function serving(): Promise<void> {
  const dataDir = tmp();
  const store = new SqliteStore({ dataDir });
  const publisher = await open(dataDir, 'bench.test/serve');
  const n = 2000;
  await Promise.all(Array.from({ length: n }, (_, i) => publisher.log.append({ entry: Buffer.from(`{"leaf":${i},"pad":"${'x'.repeat(800)}"}`), dscSha256: sha(i) })));
  const app = await buildServiceApp({ store, metrics: new ServiceMetrics(), log: silent, publisher });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const rate = 500;
  const baseline = await load(base, rate, () => '/healthz');
  const proofs = await load(base, rate, (i) => {
    switch (i % 4) {
      case 0:
        return `/api/v1/attestations?dsc-sha256=${sha((i * 7919) % n)}`;
      case 1:
        return `/api/v1/log/consistency?from=${(i * 31) % n}&to=${n}`;
      case 2:
        return `/log/tile/0/${String(Math.floor(i / 4) % 7).padStart(3, '0')}`;
      default:
        return `/log/tile/entries/${String(Math.floor(i / 4) % 7).padStart(3, '0')}`;
    }
  });
  console.log(`serving at ${rate} req/s for ${SECONDS} s (log of ${n}):`);
  console.log(`  GET /healthz (baseline): p50 ${baseline.p50.toFixed(1)} ms, p99 ${baseline.p99.toFixed(1)} ms, errors ${baseline.errors}`);
  console.log(`  attestations+inclusion, consistency, tiles, bundles: p50 ${proofs.p50.toFixed(1)} ms, p99 ${proofs.p99.toFixed(1)} ms, errors ${proofs.errors}`);
  await app.close();
  await publisher.close();
  await store.close();
}

async function consensusTime(): Promise<void> {
  const dsc = sha(42);
  const verifiers = [];
  const closers: (() => Promise<void>)[] = [];
  for (const name of ['a', 'b', 'c']) {
    const dataDir = tmp();
    const store = new SqliteStore({ dataDir });
    const publisher = await open(dataDir, `${name}.bench/log`);
    await publisher.attestJob({
      id: '1', repo: 'r', tag: 't', tagObject: null, upload: null, source: 'api', idempotencyKey: null, version: null, package: null, status: 'done', attempts: 1, maxAttempts: 1,
      runAt: new Date(), leaseOwner: null, leaseExpiresAt: null, verdict: 'reproduced', lastError: null, createdAt: new Date(), startedAt: new Date(), finishedAt: new Date(),
      report: { ...verifyReport({ repo: 'r', tag: 't' }), upload: { origin: 'x', dsc: 'x.dsc', sha256: dsc } },
    });
    for (let i = 0; i < 300; i++) await publisher.log.append({ entry: Buffer.from(`{"other":${i}}`), dscSha256: null });
    const app = await buildServiceApp({ store, metrics: new ServiceMetrics(), log: silent, publisher });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    verifiers.push({ name, baseUrl: url, vkey: publisher.logVkey, witnessVkeys: [] });
    closers.push(async () => {
      await app.close();
      await publisher.close();
      await store.close();
    });
  }
  const runs: number[] = [];
  const base: number[] = [];
  for (let r = 0; r < 7; r++) {
    let t0 = performance.now();
    await Promise.all(verifiers.map(async (v) => (await fetch(`${v.baseUrl}/log/checkpoint`)).text()));
    base.push(performance.now() - t0);
    t0 = performance.now();
    const result = await consensus(dsc, verifiers, 3, tmp());
    runs.push(performance.now() - t0);
    if (result.result !== 'agreed') throw new Error(`consensus: ${result.result}`);
  }
  runs.sort((a, b) => a - b);
  base.sort((a, b) => a - b);
  console.log('consensus over 3 verifiers on loopback (median of 7):');
  console.log(`  fetching the 3 checkpoints (baseline): ${percentile(base, 50).toFixed(1)} ms`);
  console.log(`  consensus (signatures, tiles rebuilt, attestations, inclusion): ${percentile(runs, 50).toFixed(1)} ms`);
  for (const c of closers) await c();
}

try {
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  await appends();
  await serving();
  await consensusTime();
  console.log(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
