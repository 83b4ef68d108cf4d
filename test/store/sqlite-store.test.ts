// The SQLite store against the shared behaviour, plus what is SQLite's own:
// the file under the data directory, WAL mode, and migrations applied once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SQLITE_FILE_NAME, SqliteStore } from '../../src/store/sqlite-store.js';
import { sqliteEnv } from './backend.js';
import { storeBehaviour } from './store-behaviour.js';

const dir = mkdtempSync(join(tmpdir(), 't2u-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
storeBehaviour('SQLite', () => sqliteEnv('sqlite', dir));

describe('SqliteStore', () => {
  it('keeps one WAL-mode file under the data directory and migrates it once', async () => {
    const dataDir = join(dir, 'data', 'nested');
    const store = new SqliteStore({ dataDir });
    const { id } = await store.enqueue({ repo: 'r', tag: 'debian/1', source: 'api' });
    await store.close();
    expect(store.file).toBe(join(dataDir, SQLITE_FILE_NAME));
    const reopened = new SqliteStore({ dataDir });
    expect(await reopened.get(id)).toMatchObject({ repo: 'r', status: 'queued' });
    await reopened.close();
    const db = new Database(store.file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').all()).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);
    db.close();
  });

  it('needs a data directory or a file', () => {
    expect(() => new SqliteStore({})).toThrow(/dataDir or file/);
  });
});
