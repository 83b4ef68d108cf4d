// Opening a connection to the SQLite file, and bringing a schema up to date,
// safely when several processes do it at once (the service, its `worker`
// processes and a CLI command started together on a fresh data directory).
// Two SQLite facts make that need care:
// - `PRAGMA journal_mode = WAL` on a file not yet in WAL mode needs an
//   exclusive lock, and SQLite answers SQLITE_BUSY at once, without calling
//   the busy handler, when another connection holds a lock meanwhile; so it is
//   retried here, until the busy timeout.
// - A schema check made outside a write transaction can be stale by the time
//   the change runs (two processes both see a column missing, both add it);
//   so the change runs under `BEGIN IMMEDIATE`, which serialises writers, and
//   the check is made again once that lock is held. The first check, a plain
//   read, lets a process that finds the schema current take no write lock at
//   all (it would otherwise queue behind every writer of a busy file).
import Database from 'better-sqlite3';

/**
 * How long a connection waits for another's lock before SQLITE_BUSY. SQLite's
 * busy handler polls (up to every 100 ms) rather than queueing, so a process
 * among several that write back to back can miss the lock for many seconds on
 * a loaded machine; failing then would refuse a webhook that a moment later
 * would have been stored. Every transaction here is short, so a wait this long
 * means contention, not a stuck holder (a dead process's locks are released).
 */
export const BUSY_TIMEOUT_MS = 30_000;

const isBusy = (e: unknown): boolean => {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
};

/** Blocks this thread for `ms` (a connection is opened synchronously; the service does it on the store's thread). */
const pause = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Who checkpoints a connection's WAL: `on-commit`, SQLite's default (the commit
 * that takes the WAL past 1,000 pages does it); `checkpointer`, never this
 * connection: a checkpointer thread does (sqlite-checkpointer.ts).
 */
export type WalCheckpoints = 'on-commit' | 'checkpointer';

/** A connection in WAL mode with the busy timeout set, `synchronous` as given. */
export function openSqlite(
  file: string,
  synchronous: 'FULL' | 'NORMAL' = 'FULL',
  checkpoints: WalCheckpoints = 'on-commit',
): Database.Database {
  const db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  try {
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    for (let wait = 1; db.pragma('journal_mode', { simple: true }) !== 'wal'; wait = Math.min(50, wait * 2)) {
      try {
        db.pragma('journal_mode = WAL');
      } catch (e) {
        if (!isBusy(e) || Date.now() > deadline) throw e;
        pause(wait);
      }
    }
    db.pragma(`synchronous = ${synchronous}`);
    if (checkpoints === 'checkpointer') db.pragma('wal_autocheckpoint = 0');
    db.pragma('foreign_keys = ON');
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/**
 * Runs `change` if `current` says the schema needs it: checked first by a read,
 * then again inside a `BEGIN IMMEDIATE` transaction, in which `change` runs.
 */
export function migrateOnce(db: Database.Database, current: () => boolean, change: () => void): void {
  if (current()) return;
  db.transaction(() => {
    if (!current()) change();
  }).immediate();
}

/** Whether `table` exists (a read of the schema). */
export function hasTable(db: Database.Database, table: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(table) !== undefined;
}
