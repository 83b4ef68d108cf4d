// The log's leaf order, on both stores: each batch gets the next indexes, so
// writers racing on separate connections all succeed with disjoint,
// contiguous indexes; the sequencer lock admits one holder at a time across
// connections.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogStore } from '../../src/store/log-store.js';
import { openLogStore } from '../../src/store/open-log-store.js';
import { SqliteLogStore } from '../../src/store/sqlite-log-store.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';

let server: PostgresServer | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'log-store-'));
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

let n = 0;
const backends: [string, () => Promise<() => Promise<LogStore>>][] = [
  [
    'SQLite on a thread',
    () => {
      const dir = join(dataDir, `sqlite-${n++}`);
      return Promise.resolve(() => openLogStore({ dataDir: dir }));
    },
  ],
  [
    'SQLite in process',
    () => {
      const dir = join(dataDir, `sqlite-${n++}`);
      return Promise.resolve(() => Promise.resolve(new SqliteLogStore({ dataDir: dir })));
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const url = await (server as PostgresServer).createDatabase(`log_store_${n++}`);
      return () => openLogStore({ url, dataDir });
    },
  ],
];

const leaf = (s: string, dsc: string | null = null) => ({ entry: Buffer.from(s), dscSha256: dsc });

describe.each(backends)('the log store (%s)', (_name, database) => {
  it('gives each batch the next indexes, keeps the bytes, and finds leaves by .dsc', async () => {
    const store = await (await database())();
    expect(await store.appendLeaves([leaf('a', 'f'.repeat(64)), leaf('b')])).toBe(0);
    expect(await store.appendLeaves([leaf('c', 'f'.repeat(64))])).toBe(2);
    expect(await store.leafCount()).toBe(3);
    const entries = await store.leaves(0, 3);
    expect(entries.every((e) => Buffer.isBuffer(e))).toBe(true);
    expect(entries.map(String)).toEqual(['a', 'b', 'c']);
    expect(await store.indexesForDsc('f'.repeat(64), 10)).toEqual([0, 2]);
    await store.close();
  });

  it('lets writers on separate connections race: every leaf once, at contiguous indexes', async () => {
    const open = await database();
    const [a, b] = await Promise.all([open(), open()]);
    const starts = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).appendLeaves([leaf(`${i}.0`), leaf(`${i}.1`), leaf(`${i}.2`)])),
    );
    expect([...starts].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i * 3));
    const all = (await a.leaves(0, 60)).map(String);
    starts.forEach((s, i) => expect(all.slice(s, s + 3)).toEqual([`${i}.0`, `${i}.1`, `${i}.2`]));
    await Promise.all([a.close(), b.close()]);
  });

  it('admits one holder of the sequencer lock at a time, across connections, and frees it after a failure', async () => {
    const open = await database();
    const [a, b] = await Promise.all([open(), open()]);
    let holders = 0;
    let most = 0;
    const hold = (s: LogStore, fail: boolean) =>
      s.withSequencer(async () => {
        holders += 1;
        most = Math.max(most, holders);
        await new Promise((r) => setTimeout(r, 5));
        holders -= 1;
        if (fail) throw new Error('failed inside');
        return 'done';
      });
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => hold(i % 2 === 0 ? a : b, i === 3)));
    expect(most).toBe(1);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(7);
    await expect(hold(b, false)).resolves.toBe('done');
    await Promise.all([a.close(), b.close()]);
  });
});
