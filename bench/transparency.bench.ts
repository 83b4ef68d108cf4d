// The transparency log's speed, each figure beside a baseline measured in the
// same run (the machine is shared: the ratios are the point):
// 1. appends per second with the job persisted and the checkpoint durable:
//    simulated workers claim and complete jobs on the service's store (SQLite
//    on its thread) through the attesting store, until every attestation is in
//    a durable checkpoint; baseline: the same jobs on the store alone, run
//    before and after. Then the log alone at capacity (many appends in
//    flight), against the store's bare write rate (one leaf per commit, each
//    commit waiting for its fsync); and one append at a time (no batching
//    possible). Where the time goes: commits, checkpoints, fsyncs and
//    milliseconds per batch, from the log's own accounting.
// 2. proof and tile serving under an open-loop 500 requests/s (attestations
//    with inclusion proofs, consistency proofs, tiles, entry bundles) from a
//    load generator in a process of its own (bench/open-loop-child.ts):
//    p50/p99; baseline: GET /log/key (a constant answer) under the same load.
// 3. consensus over 3 verifiers on loopback (fresh client state each run);
//    baseline: fetching the 3 checkpoints alone.
// Usage: npx tsx bench/transparency.bench.ts [--jobs N] [--seconds S] [--only appends|serving|consensus]
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { consensus } from '../src/publish/consensus.js';
import { logConfigSchema } from '../src/publish/log-config.js';
import { openPublisher, type Publisher } from '../src/publish/publisher.js';
import { ServiceMetrics } from '../src/server/api/metrics.js';
import { buildServiceApp } from '../src/server/service-app.js';
import type { LogStats } from '../src/publish/tiled-log.js';
import { openLogStore } from '../src/store/open-log-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { SqliteThreadStore } from '../src/store/sqlite-thread-store.js';
import type { Store } from '../src/store/store.js';
import { finishedJob } from '../test/helpers/finished-job.js';
import { verifyReport } from '../test/server/service-helpers.js';
import { fmtLoad, inChild, type LoadResult } from './open-loop.js';
import { numberOption, option } from './lib/args.js';

const JOBS = numberOption('--jobs', 600);
const ONLY = option('--only');
const SECONDS = numberOption('--seconds', 5);
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
  for (let i = 0; i < JOBS; i++)
    await store.enqueue({ repo: 'https://salsa.debian.org/debian/x.git', tag: `debian/1.${i}-1`, intake: 'api' });
  const target = publisher === undefined ? store : publisher.attesting(store, silent);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      for (;;) {
        const [job] = await target.claim({ workerId: 'bench', limit: 1 });
        if (job === undefined) return;
        const report = {
          ...verifyReport({ repo: job.repo, tag: job.tag }),
          upload: { origin: 'x', dsc: 'x.dsc', sha256: sha(Number(job.id)) },
        };
        await target.complete(job.id, job.leaseToken, { verdict: 'reproduced', report });
      }
    }),
  );
  if (publisher !== undefined) {
    while (publisher.log.current.size < JOBS) await new Promise((r) => setTimeout(r, 2));
  }
  return performance.now() - t0;
}

const rate = (n: number, ms: number): string => `${((n / ms) * 1000).toFixed(0)}/s`;

function where(st: LogStats): string {
  const perCheckpoint = (x: number) => (x / Math.max(1, st.checkpoints)).toFixed(1);
  return [
    `${st.committedLeaves} appends in ${st.commits} store commits (${(st.committedLeaves / Math.max(1, st.commits)).toFixed(1)} per commit, ${(st.commitMs / Math.max(1, st.commits)).toFixed(1)} ms each, off the event loop)`,
    `${st.checkpoints} checkpoints (${perCheckpoint(st.publishedLeaves)} leaves each): tiles ${perCheckpoint(st.tilesMs)} ms, checkpoint ${perCheckpoint(st.checkpointMs)} ms, lock wait ${perCheckpoint(st.lockMs)} ms`,
    `fsyncs per append: ${((st.fsyncs + st.commits) / Math.max(1, st.committedLeaves)).toFixed(2)} (${perCheckpoint(st.fsyncs)} file and directory fsyncs per checkpoint, 1 per store commit)`,
  ].join('\n    ');
}

async function appends(): Promise<void> {
  // The job flow, on the service's store, alone and attested, alternated.
  const flows: { base: number[]; attested: number[]; stats?: LogStats } = { base: [], attested: [] };
  for (let round = 0; round < 2; round++) {
    const baseStore = await SqliteThreadStore.open({ dataDir: tmp() });
    flows.base.push(await runJobs(baseStore));
    await baseStore.close();
    const dataDir = tmp();
    const store = await SqliteThreadStore.open({ dataDir });
    const publisher = await open(dataDir, `bench.test/log${round}`);
    flows.attested.push(await runJobs(store, publisher));
    flows.stats = publisher.log.stats;
    await publisher.close();
    await store.close();
  }

  // The store's bare write rate: one leaf per commit, one commit after another.
  const bareStore = await openLogStore({ dataDir: tmp() });
  const bareN = 200;
  let t0 = performance.now();
  for (let i = 0; i < bareN; i++) await bareStore.appendLeaves([{ entry: Buffer.from(`{"i":${i}}`), dscSha256: null }]);
  const bareMs = performance.now() - t0;
  await bareStore.close();

  // The log at capacity: appends kept in flight by many producers.
  const capacity = await open(tmp(), 'bench.test/capacity');
  const producers = 64;
  const capN = 4000;
  let next = 0;
  t0 = performance.now();
  await Promise.all(
    Array.from({ length: producers }, async () => {
      while (next < capN) {
        const i = next++;
        await capacity.log.append({ entry: Buffer.from(`{"leaf":${i},"pad":"${'x'.repeat(1200)}"}`), dscSha256: sha(i) });
      }
    }),
  );
  const capMs = performance.now() - t0;
  const capStats = capacity.log.stats;
  await capacity.close();

  // One append at a time.
  const single = await open(tmp(), 'bench.test/single');
  const n = 100;
  t0 = performance.now();
  for (let i = 0; i < n; i++) await single.log.append({ entry: Buffer.from(`{"i":${i}}`), dscSha256: null });
  const singleMs = performance.now() - t0;
  const singleStats = single.log.stats;
  await single.close();

  console.log(`appends (SQLite on its thread, ${WORKERS} workers, ${JOBS} jobs, fsynced tiles and checkpoint):`);
  flows.base.forEach((baseMs, r) => {
    const ms = flows.attested[r] as number;
    console.log(
      `  round ${r + 1}: jobs completed, store only (baseline): ${rate(JOBS, baseMs)}; completed and attested in a durable checkpoint: ${rate(JOBS, ms)} (${(ms / baseMs).toFixed(2)}× the baseline's time)`,
    );
  });
  if (flows.stats !== undefined) console.log(`    ${where(flows.stats)}`);
  console.log(`  the store's bare write rate (one leaf per commit, in sequence; baseline): ${rate(bareN, bareMs)}`);
  console.log(
    `  the log at capacity (${producers} appends in flight, ${capN} appends of ~1.2 kB): ${rate(capN, capMs)} (${(capN / capMs / (bareN / bareMs)).toFixed(1)}× the store's bare write rate)`,
  );
  console.log(`    ${where(capStats)}`);
  console.log(
    `  one append at a time, each waiting for its checkpoint: ${rate(n, singleMs)} (${(n / singleMs / (bareN / bareMs)).toFixed(2)}× the store's bare write rate)`,
  );
  console.log(`    ${where(singleStats)}`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

/** Open-loop GETs at `rate`/s for SECONDS from a process of its own. */
const load = (base: string, rate: number, paths: string[]): Promise<LoadResult> => inChild(base, rate, SECONDS, { kind: 'gets', paths });

async function serving(): Promise<void> {
  const dataDir = tmp();
  const store = await SqliteThreadStore.open({ dataDir });
  const publisher = await open(dataDir, 'bench.test/serve');
  const n = 2000;
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      publisher.log.append({ entry: Buffer.from(`{"leaf":${i},"pad":"${'x'.repeat(800)}"}`), dscSha256: sha(i) }),
    ),
  );
  const app = await buildServiceApp({ store, metrics: new ServiceMetrics(), log: silent, publisher });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const rate = 500;
  const mix = Array.from({ length: 400 }, (_, i) => {
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
  const before = await load(base, rate, ['/log/key']);
  const proofs = await load(base, rate, mix);
  const after = await load(base, rate, ['/log/key']);
  console.log(`serving at ${rate} req/s open loop for ${SECONDS} s each, load generator in its own process (log of ${n}):`);
  console.log(`  GET /log/key, a constant (baseline, before): ${fmtLoad(before, '200')}`);
  console.log(
    `  attestations+inclusion, consistency, tiles, bundles:  ${fmtLoad(proofs, '200')} (p99 ${(proofs.p99 / before.p99).toFixed(1)}× the baseline's)`,
  );
  console.log(`  GET /log/key, a constant (baseline, after):  ${fmtLoad(after, '200')}`);
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
    await publisher.attestJob(
      finishedJob({
        verdict: 'reproduced',
        report: { ...verifyReport({ repo: 'r', tag: 't' }), upload: { origin: 'x', dsc: 'x.dsc', sha256: dsc } },
      }),
    );
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
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (ONLY === undefined || ONLY === 'appends') await appends();
  console.log(
    `load average: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (ONLY === undefined || ONLY === 'serving') await serving();
  console.log(
    `load average: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (ONLY === undefined || ONLY === 'consensus') await consensusTime();
  console.log(
    `load average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
