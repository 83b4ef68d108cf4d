// Several processes opening one fresh SQLite file at the same moment (the
// service, its `worker` processes and a CLI command started together): each
// sets WAL mode and brings the job store's and the log store's schemas up to
// date, and every one of them must succeed, with each migration applied once.
// Done many times over, because a lost race shows only now and then.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import type { OpenRaceRound } from './open-race-child.js';

const CHILD = fileURLToPath(new URL('./open-race-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 't2u-open-race-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PROCESSES = 4;
const ROUNDS = 40;
/** Time between rounds: long enough for every process to finish a round on a loaded machine. */
const ROUND_MS = 250;

function runChild(name: string, rounds: OpenRaceRound[]): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(JSON.stringify({ name, rounds }));
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve(out.trim().split('\n')) : reject(new Error(`child exited ${code}: ${err}`)))),
  );
}

it(`opens one fresh database from ${PROCESSES} processes at once, ${ROUNDS} times, without an error`, async () => {
  // The processes start (node and tsx) before the first round, wherever the machine's load puts that.
  const firstAt = Date.now() + 8_000;
  const rounds = (k: number): OpenRaceRound[] =>
    Array.from({ length: ROUNDS }, (_, r) => ({
      file: join(dir, `race-${r}.sqlite`),
      at: firstAt + r * ROUND_MS,
      // Half of the processes open the log store first.
      first: (r + k) % 2 === 0 ? 'jobs' : 'log',
    }));
  const outputs = await Promise.all(Array.from({ length: PROCESSES }, (_, k) => runChild(`p${k}`, rounds(k))));
  const failures = outputs.flatMap((lines, k) => lines.map((line, r) => ({ process: k, round: r, line }))).filter((o) => o.line !== 'ok');
  expect(failures).toEqual([]);
  for (let r = 0; r < ROUNDS; r++) {
    const db = new Database(join(dir, `race-${r}.sqlite`), { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      // Every process's job (one each), under the schema every process brought up to date.
      expect((db.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n).toBe(PROCESSES);
      expect((db.prepare('SELECT count(*) AS n FROM schema_migrations').get() as { n: number }).n).toBeGreaterThan(0);
      expect((db.prepare('PRAGMA table_info(log_leaves)').all() as { name: string }[]).map((c) => c.name)).toContain('job_id');
    } finally {
      db.close();
    }
  }
}, 120_000);
