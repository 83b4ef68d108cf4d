// The log's sequencer lock for the SQLite store (src/store/log-store.ts): an
// exclusive lock on a small SQLite file of its own beside the database
// (`t2u-verify.sqlite.log-lock`), so that holding it blocks no writer of the
// database itself. SQLite takes the lock with fcntl(2), which the kernel drops
// when the holding process dies, so `kill -9` never leaves it held. Taking it
// writes nothing and fsyncs nothing; a busy lock is retried after a short,
// growing wait rather than by blocking the thread.
import Database from 'better-sqlite3';

const FIRST_WAIT_MS = 1;
const MAX_WAIT_MS = 25;

export class SqliteSequencerLock {
  readonly #db: Database.Database;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {
    this.#db = new Database(file);
    this.#db.pragma('busy_timeout = 0');
  }

  /** Runs `fn` holding the lock; callers in this process take turns. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const turn = this.#tail.then(() => this.#holding(fn));
    this.#tail = turn.catch(() => undefined);
    return turn;
  }

  async #holding<T>(fn: () => Promise<T>): Promise<T> {
    for (let wait = FIRST_WAIT_MS; ; wait = Math.min(MAX_WAIT_MS, wait * 2)) {
      try {
        this.#db.exec('BEGIN EXCLUSIVE');
        break;
      } catch (e) {
        if ((e as { code?: unknown }).code !== 'SQLITE_BUSY') throw e;
      }
      await new Promise((r) => setTimeout(r, wait));
    }
    try {
      return await fn();
    } finally {
      this.#db.exec('ROLLBACK');
    }
  }

  close(): void {
    this.#db.close();
  }
}
