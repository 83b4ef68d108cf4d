// The log's leaf order, on both stores: contiguous appends only, so two
// sequencers cannot both extend the log from the same size.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogOrderError, type LogStore } from '../../src/store/log-store.js';
import { openLogStore } from '../../src/store/open-log-store.js';
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

const backends: [string, () => Promise<LogStore>][] = [
  ['SQLite', () => openLogStore({ dataDir })],
  ['PostgreSQL', async () => openLogStore({ url: await (server as PostgresServer).createDatabase('log_store'), dataDir })],
];

describe.each(backends)('the log store (%s)', (_name, open) => {
  it('appends contiguously, refuses a stale start, and finds leaves by .dsc', async () => {
    const store = await open();
    const leaf = (s: string, dsc: string | null = null) => ({ entry: Buffer.from(s), dscSha256: dsc });
    await store.appendLeaves(0, [leaf('a', 'f'.repeat(64)), leaf('b')]);
    await store.appendLeaves(2, [leaf('c', 'f'.repeat(64))]);
    await expect(store.appendLeaves(2, [leaf('d')])).rejects.toThrow(LogOrderError);
    await expect(store.appendLeaves(4, [leaf('d')])).rejects.toThrow(LogOrderError);
    // Two appends racing from the same size: exactly one wins.
    const race = await Promise.allSettled([store.appendLeaves(3, [leaf('x')]), store.appendLeaves(3, [leaf('y')])]);
    expect(race.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await store.leafCount()).toBe(4);
    expect((await store.leaves(0, 3)).map(String)).toEqual(['a', 'b', 'c']);
    expect(await store.indexesForDsc('f'.repeat(64), 10)).toEqual([0, 2]);
    await store.close();
  });
});
