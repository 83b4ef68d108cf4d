// The log's leaf order in the SQLite file (log-store.ts), on a connection of
// its own with synchronous=FULL: an append is durable when it returns. The
// service runs it on a thread of its own (sqlite-thread-log-store.ts), so that
// no commit's fsync waits on the event loop. `BEGIN IMMEDIATE` serialises
// appends across connections and processes, so the count an append reads is
// the count it extends.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { LogLeaf, LogStore } from './log-store.js';
import { SqliteSequencerLock } from './sqlite-sequencer-lock.js';
import { SQLITE_FILE_NAME } from './sqlite-store.js';
import { hasTable, migrateOnce, openSqlite, type WalCheckpoints } from './sqlite-connection.js';

export interface SqliteLogLocation {
  readonly dataDir?: string;
  readonly file?: string;
  /** Who checkpoints the WAL (sqlite-connection.ts); default: `on-commit`. */
  readonly walCheckpoints?: WalCheckpoints;
}

/** The sequencer lock's file is the database's name with this suffix (sqlite-sequencer-lock.ts). */
export const LOCK_SUFFIX = '.log-lock';

export function sqliteLogFile(location: SqliteLogLocation): string {
  return location.file ?? join(location.dataDir ?? '.', SQLITE_FILE_NAME);
}

export class SqliteLogStore implements LogStore {
  private readonly db: Database.Database;
  #lock: SqliteSequencerLock | undefined;

  constructor(location: SqliteLogLocation) {
    if (location.file === undefined && location.dataDir !== undefined) mkdirSync(location.dataDir, { recursive: true, mode: 0o700 });
    this.db = openSqlite(sqliteLogFile(location), 'FULL', location.walCheckpoints);
    const hasJobColumn = (): boolean =>
      (this.db.prepare('PRAGMA table_info(log_leaves)').all() as { name: string }[]).some((c) => c.name === 'job_id');
    migrateOnce(
      this.db,
      () => hasTable(this.db, 'log_leaves') && hasJobColumn(),
      () => {
        this.db.exec(`
          CREATE TABLE IF NOT EXISTS log_leaves (
            idx INTEGER PRIMARY KEY,
            entry BLOB NOT NULL,
            dsc_sha256 TEXT,
            created_at INTEGER NOT NULL
          );
          CREATE INDEX IF NOT EXISTS log_leaves_dsc ON log_leaves (dsc_sha256) WHERE dsc_sha256 IS NOT NULL;
        `);
        // A file made before leaves named their job has the table without the column.
        if (!hasJobColumn()) this.db.exec('ALTER TABLE log_leaves ADD COLUMN job_id TEXT');
        this.db.exec('CREATE INDEX IF NOT EXISTS log_leaves_job ON log_leaves (job_id) WHERE job_id IS NOT NULL');
      },
    );
  }

  appendLeaves(leaves: readonly LogLeaf[]): Promise<number> {
    const insert = this.db.prepare('INSERT INTO log_leaves (idx, entry, dsc_sha256, job_id, created_at) VALUES (?, ?, ?, ?, ?)');
    const now = Date.now();
    try {
      const start = this.db
        .transaction(() => {
          const count = (this.db.prepare('SELECT coalesce(max(idx) + 1, 0) AS n FROM log_leaves').get() as { n: number }).n;
          // A leaf that crossed a thread arrives as a Uint8Array; SQLite binds Buffers as blobs.
          leaves.forEach((l, i) =>
            insert.run(count + i, Buffer.from(l.entry.buffer, l.entry.byteOffset, l.entry.byteLength), l.dscSha256, l.jobId ?? null, now),
          );
          return count;
        })
        .immediate();
      return Promise.resolve(start);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  leafCount(): Promise<number> {
    return Promise.resolve((this.db.prepare('SELECT coalesce(max(idx) + 1, 0) AS n FROM log_leaves').get() as { n: number }).n);
  }

  leaves(from: number, to: number): Promise<Buffer[]> {
    const rows = this.db.prepare('SELECT entry FROM log_leaves WHERE idx >= ? AND idx < ? ORDER BY idx').all(from, to) as {
      entry: Buffer;
    }[];
    return Promise.resolve(rows.map((r) => r.entry));
  }

  indexesForDsc(sha256: string, limit: number): Promise<number[]> {
    const rows = this.db.prepare('SELECT idx FROM log_leaves WHERE dsc_sha256 = ? ORDER BY idx LIMIT ?').all(sha256, limit) as {
      idx: number;
    }[];
    return Promise.resolve(rows.map((r) => r.idx));
  }

  jobsLogged(jobIds: readonly string[]): Promise<Set<string>> {
    const q = this.db.prepare('SELECT 1 FROM log_leaves WHERE job_id = ? LIMIT 1');
    return Promise.resolve(new Set(jobIds.filter((id) => q.get(id) !== undefined)));
  }

  withSequencer<T>(fn: () => Promise<T>): Promise<T> {
    this.#lock ??= new SqliteSequencerLock(`${this.db.name}${LOCK_SUFFIX}`);
    return this.#lock.run(fn);
  }

  close(): Promise<void> {
    this.#lock?.close();
    this.db.close();
    return Promise.resolve();
  }
}
