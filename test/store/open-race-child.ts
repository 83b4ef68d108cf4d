// A separate process for the open-race test (sqlite-open-race.test.ts), run
// with `node --import tsx`: for each round, waits for the round's start time
// (the same wall-clock moment in every process), then opens the round's fresh
// database file with the job store and the log store (in the order given),
// enqueues one job, closes both, and prints one line per round: "ok" or the
// error's code and stack.
import { readFileSync } from 'node:fs';
import { SqliteLogStore } from '../../src/store/sqlite-log-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

export interface OpenRaceRound {
  readonly file: string;
  /** Date.now() at which to open. */
  readonly at: number;
  /** Which store opens the file first. */
  readonly first: 'jobs' | 'log';
}

const { rounds, name } = JSON.parse(readFileSync(0, 'utf8')) as { rounds: OpenRaceRound[]; name: string };
for (const round of rounds) {
  // Spin rather than sleep: a timer's lateness would spread the processes apart.
  while (Date.now() < round.at) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 0.2);
  let outcome = 'ok';
  try {
    const open = {
      jobs: () => new SqliteStore({ file: round.file }),
      log: () => new SqliteLogStore({ file: round.file }),
    };
    const firstStore = open[round.first]();
    const second = open[round.first === 'jobs' ? 'log' : 'jobs']();
    const jobs = (firstStore instanceof SqliteStore ? firstStore : second) as SqliteStore;
    await jobs.enqueue({ repo: 'https://salsa.debian.org/x/y.git', tag: `debian/${name}-1`, intake: 'api' });
    await firstStore.close();
    await second.close();
  } catch (e) {
    outcome = `${(e as { code?: string }).code ?? 'error'}: ${String((e as Error).stack ?? e).replace(/\n\s*/g, ' | ')}`;
  }
  process.stdout.write(`${outcome}\n`);
}
