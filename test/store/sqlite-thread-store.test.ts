// The SQLite store with its connection on a worker thread (what the service
// opens): the shared behaviour, the same file readable by the in-process
// store, a failure to open reported to the caller, and this event loop free
// while the thread commits.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { SqliteThreadStore } from '../../src/store/sqlite-thread-store.js';
import { sqliteEnv } from './backend.js';
import { storeBehaviour } from './store-behaviour.js';
import { withTimerLag } from '../helpers/event-loop-lag.js';

const dir = mkdtempSync(join(tmpdir(), 't2u-sqlite-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
storeBehaviour('SQLite on its thread', () => sqliteEnv('sqlite-thread', dir));

describe('SqliteThreadStore', () => {
  it('writes the same database the in-process store reads, with dates and errors intact across the thread', async () => {
    const dataDir = join(dir, 'data');
    const store = await SqliteThreadStore.open({ dataDir });
    const { id } = await store.enqueue({ repo: 'r', tag: 'debian/1', intake: 'api' });
    const job = await store.get(id);
    expect(job?.createdAt).toBeInstanceOf(Date);
    const [bad] = await store.enqueueMany([{ repo: 'r', tag: 'debian/2', intake: 'elsewhere' as never }]);
    expect(bad).toMatchObject({
      ok: false,
      error: expect.objectContaining({ message: expect.stringMatching(/CHECK constraint/) as unknown }) as unknown,
    });
    await store.close();
    await expect(store.depth()).rejects.toThrow(/closed|ended/);
    const reader = new SqliteStore({ dataDir });
    expect(await reader.get(id)).toMatchObject({ repo: 'r', status: 'queued' });
    await reader.close();
  });

  it("a database that cannot be opened fails the open, with SQLite's reason", async () => {
    const file = join(dir, 'not-a-database');
    writeFileSync(file, 'x'.repeat(4096));
    await expect(SqliteThreadStore.open({ file })).rejects.toThrow(/not a database/);
  });

  it('leaves this event loop free while it commits', async () => {
    const store = await SqliteThreadStore.open({ file: join(dir, 'busy.sqlite') });
    // 200 commits, each with its own fsync, one after the other.
    const { worstLagMs } = await withTimerLag(5, async () => {
      for (let i = 0; i < 200; i++) await store.enqueue({ repo: 'r', tag: `debian/${i}`, intake: 'api' });
    });
    expect((await store.list({ limit: 1000 })).length).toBe(200);
    expect(worstLagMs).toBeLessThan(200);
    await store.close();
  });

  it("leaves the WAL's checkpoints to a thread of their own: commits never copy the WAL into the database", async () => {
    // A job's commit writes several pages; 300 of them take the WAL well past SQLite's 1,000-page checkpoint.
    const commits = async (store: { enqueue: SqliteStore['enqueue'] }): Promise<void> => {
      for (let i = 0; i < 300; i++)
        await store.enqueue({ repo: 'r', tag: `debian/${i}`, tagObject: i.toString(16).padStart(40, 'a'), intake: 'webhook' });
    };
    const size = (file: string): number => statSync(file).size;
    // The store's connection as the thread opens it, without the checkpointer: the database file does not grow.
    const alone = join(dir, 'no-checkpointer.sqlite');
    const inProcess = new SqliteStore({ file: alone, walCheckpoints: 'checkpointer' });
    const before = size(alone);
    await commits(inProcess);
    expect(size(alone)).toBe(before);
    expect(size(`${alone}-wal`)).toBeGreaterThan(1000 * 4096);
    await inProcess.close();
    // On its thread, the checkpointer copies the same commits into the database file while the store goes on.
    const file = join(dir, 'checkpointed.sqlite');
    const store = await SqliteThreadStore.open({ file });
    const initial = size(file);
    await commits(store);
    while (size(file) <= initial) await sleep(50);
    expect(await store.count()).toBe(300);
    await store.close();
  });
});
