// The log's leaf order in SQLite as the service uses it: the same store
// (sqlite-log-store.ts) on the worker thread of its database file, the job
// store's (sqlite-thread-store.ts), so that an append's commit and its fsync
// happen off the event loop and never wait for the job store's lock. The batching is the caller's (src/publish/tiled-log.ts
// commits each batch of appends in one call, so one fsync serves the batch).
// The sequencer lock stays on the calling thread: taking it never blocks.
import type { LogLeaf, LogStore } from './log-store.js';
import { SqliteSequencerLock } from './sqlite-sequencer-lock.js';
import { LOCK_SUFFIX, sqliteLogFile, type SqliteLogLocation } from './sqlite-log-store.js';
import { ThreadStoreHandle } from './sqlite-thread-client.js';

/** A Buffer sent to or from the thread arrives as a plain Uint8Array. */
const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export class SqliteThreadLogStore implements LogStore {
  readonly #thread: ThreadStoreHandle;
  readonly #lock: SqliteSequencerLock;

  private constructor(thread: ThreadStoreHandle, lock: SqliteSequencerLock) {
    this.#thread = thread;
    this.#lock = lock;
  }

  static async open(location: SqliteLogLocation): Promise<SqliteThreadLogStore> {
    const file = sqliteLogFile(location);
    // The thread creates the data directory (and the database) before the lock's file is made beside it.
    const thread = await ThreadStoreHandle.open('log', location);
    return new SqliteThreadLogStore(thread, new SqliteSequencerLock(`${file}${LOCK_SUFFIX}`));
  }

  appendLeaves(leaves: readonly LogLeaf[]): Promise<number> {
    return this.#thread.call('appendLeaves', leaves);
  }

  leafCount(): Promise<number> {
    return this.#thread.call('leafCount');
  }

  async leaves(from: number, to: number): Promise<Buffer[]> {
    return (await this.#thread.call<Uint8Array[]>('leaves', from, to)).map(asBuffer);
  }

  indexesForDsc(sha256: string, limit: number): Promise<number[]> {
    return this.#thread.call('indexesForDsc', sha256, limit);
  }

  jobsLogged(jobIds: readonly string[]): Promise<Set<string>> {
    return this.#thread.call('jobsLogged', jobIds);
  }

  withSequencer<T>(fn: () => Promise<T>): Promise<T> {
    return this.#lock.run(fn);
  }

  async close(): Promise<void> {
    this.#lock.close();
    await this.#thread.close();
  }
}
