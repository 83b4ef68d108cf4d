// The SQLite store's commit as the intake waits for it: one job a commit,
// through the store's thread (src/store/sqlite-thread-store.ts), one every
// 2 ms (500 a second), timed from the call to its durable answer. Two ways of
// checkpointing the WAL, alternated in the same run so that a shared
// machine's load falls on both: `on-commit` (SQLite's default: the commit that
// takes the WAL past 1,000 pages copies it into the database and syncs that
// too) and `checkpointer` (the service's: a thread of its own checkpoints,
// src/store/sqlite-checkpointer.ts). Printed: the commit time's quantiles, the
// time spent in commits over 20 ms, the WAL's size at the end, the load average.
// Usage: npx tsx bench/store-commit.bench.ts [--commits N] [--repeat N]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WalCheckpoints } from '../src/store/sqlite-connection.js';
import { SQLITE_FILE_NAME } from '../src/store/sqlite-store.js';
import { SqliteThreadStore } from '../src/store/sqlite-thread-store.js';
import { numberOption } from './lib/args.js';
import { loadAverage, quantile } from './open-loop.js';

const COMMITS = numberOption('--commits', 3000);
const REPEAT = numberOption('--repeat', 3);
const INTERVAL_MS = 2;

async function run(checkpoints: WalCheckpoints): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 't2u-bench-commit-'));
  const store = await SqliteThreadStore.open({ dataDir, walCheckpoints: checkpoints });
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; i < COMMITS; i++) {
    const wait = start + i * INTERVAL_MS - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t = performance.now();
    await store.enqueueMany([
      {
        repo: 'https://salsa.debian.org/debian/pkg.git',
        tag: `debian/1.${i}-1`,
        tagObject: i.toString(16).padStart(40, 'd'),
        intake: 'webhook',
        idempotencyKey: `gitlab:${i}`,
      },
    ]);
    times.push(performance.now() - t);
  }
  const wal = statSync(join(dataDir, `${SQLITE_FILE_NAME}-wal`)).size;
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
  times.sort((a, b) => a - b);
  const q = (p: number): string => quantile(times, p).toFixed(1);
  const slow = times.filter((t) => t > 20).reduce((a, b) => a + b, 0);
  console.log(
    `${checkpoints.padEnd(12)} p50 ${q(0.5)} ms  p90 ${q(0.9)} ms  p99 ${q(0.99)} ms  max ${times[times.length - 1]!.toFixed(1)} ms  ` +
      `in commits over 20 ms: ${slow.toFixed(0)} ms  WAL ${(wal / 2 ** 20).toFixed(1)} MiB  [load ${loadAverage()}]`,
  );
}

console.log(`${COMMITS} commits of one job each, one every ${INTERVAL_MS} ms, synchronous=FULL, ${REPEAT} rounds; node ${process.version}`);
for (let round = 0; round < REPEAT; round++) for (const checkpoints of ['on-commit', 'checkpointer'] as const) await run(checkpoints);
