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
    const { id } = await store.enqueue({ repo: 'r', tag: 'debian/1', intake: 'api' });
    await store.close();
    expect(store.file).toBe(join(dataDir, SQLITE_FILE_NAME));
    const reopened = new SqliteStore({ dataDir });
    expect(await reopened.get(id)).toMatchObject({ repo: 'r', status: 'queued' });
    await reopened.close();
    const db = new Database(store.file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').all()).toEqual([
      { version: 1 },
      { version: 2 },
      { version: 3 },
      { version: 4 },
      { version: 5 },
    ]);
    db.close();
  });

  it("answers the summary and a package's listing from their indexes, not a scan of every job", async () => {
    const file = join(dir, 'plans.sqlite');
    await new SqliteStore({ file }).close();
    const db = new Database(file, { readonly: true });
    const plan = (sql: string): string =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ since: 0, until: 1, package: 'p' }) as { detail: string }[])
        .map((r) => r.detail)
        .join('; ');
    // The shapes of SqliteStore.summary and of list({ package }).
    expect(
      plan(
        `SELECT verdict, count(*) FROM jobs WHERE status = 'done' AND finished_at >= @since AND finished_at < @until AND verdict IS NOT NULL GROUP BY 1`,
      ),
    ).toMatch(/USING COVERING INDEX jobs_finished/);
    expect(plan('SELECT * FROM jobs WHERE package = @package ORDER BY created_at DESC, id DESC LIMIT 50')).toMatch(
      /USING INDEX jobs_by_package \(package=\?\)/,
    );
    db.close();
  });

  it('needs a data directory or a file', () => {
    expect(() => new SqliteStore({})).toThrow(/dataDir or file/);
  });
});
