// The calling side of SQLite connections on a worker thread
// (src/store/sqlite-thread.ts): each call is a message, answered once the
// thread has done it (durably, for a write), so no commit's fsync waits on the
// caller's event loop. One thread per database file in a process: the job
// store (sqlite-thread-store.ts) and the log's leaf order
// (sqlite-thread-log-store.ts) opened on the same file share it, so their
// commits follow each other instead of contending for the file's lock. Beside
// it, the file's WAL checkpointer (sqlite-checkpointer.ts) on a thread of its own.
import { createRequire } from 'node:module';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WalCheckpoints } from './sqlite-connection.js';
import { SQLITE_FILE_NAME, type SqliteStoreLocation } from './sqlite-store.js';
import {
  fromThreadError,
  type OpenArgs,
  type StoreKind,
  type ThreadAnswer,
  type ThreadCall,
  type ThreadError,
} from './sqlite-thread-protocol.js';

/**
 * A thread running `module` (a sibling of this file): the compiled one, or the
 * TypeScript source loaded through tsx (tests and `tsx src/…`; a worker thread
 * does not inherit the parent's module hooks).
 */
function threadWorker(module: 'sqlite-thread' | 'sqlite-checkpointer', workerData?: unknown): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL(`./${module}.js`, here), { workerData });
  const tsx = join(dirname(createRequire(here).resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs');
  const entry = new URL(`./${module}.ts`, here).href;
  const code = `import(${JSON.stringify(pathToFileURL(tsx).href)}).then((t) => t.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`;
  return new Worker(code, { eval: true, workerData });
}

/** The threads of this process, by database file. */
const threads = new Map<string, Promise<SqliteThread>>();

/** A store opened on the thread of its database file. */
export class ThreadStoreHandle {
  #closed: Promise<void> | undefined;

  constructor(
    private readonly thread: SqliteThread,
    private readonly handle: number,
  ) {}

  /** Opens a store of `kind` on the thread of its file, starting the thread if this process has none. */
  static async open(kind: StoreKind, location: SqliteStoreLocation, options?: SqliteThreadOptions): Promise<ThreadStoreHandle> {
    if (location.file === undefined && location.dataDir === undefined) throw new Error('SqliteStore: dataDir or file is required');
    const file = resolvePath(location.file ?? join(location.dataDir ?? '.', SQLITE_FILE_NAME));
    let starting = threads.get(file);
    if (starting === undefined) {
      starting = SqliteThread.start(file, location.walCheckpoints ?? 'checkpointer');
      threads.set(file, starting);
      starting.catch(() => threads.delete(file));
    }
    const thread = await starting;
    thread.users += 1;
    try {
      // Every store on the thread checkpoints as the thread was started to (the first one's choice).
      const on = { ...location, walCheckpoints: thread.checkpoints };
      const handle = await thread.call<number>(0, 'open', ...([kind, on, ...(options !== undefined ? [options] : [])] as OpenArgs));
      // The checkpointer opens the file once a store has made it (and its data directory).
      thread.startCheckpointer();
      return new ThreadStoreHandle(thread, handle);
    } catch (e) {
      await thread.leave(file);
      throw e;
    }
  }

  call<T>(method: string, ...args: unknown[]): Promise<T> {
    if (this.#closed !== undefined) return Promise.reject(new Error('the store is closed'));
    return this.thread.call(this.handle, method, ...args);
  }

  close(): Promise<void> {
    return (this.#closed ??= (async () => {
      await this.thread.call(this.handle, 'close').catch(() => undefined);
      await this.thread.leave();
    })());
  }
}

type SqliteThreadOptions = OpenArgs[2];

class SqliteThread {
  readonly #worker: Worker;
  #checkpointer: { readonly worker: Worker; readonly ended: Promise<unknown> } | undefined;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  #next = 0;
  #failure: Error | undefined;
  readonly #fail: (err: Error) => void;
  /** Stores open on this thread (and openings under way). */
  users = 0;

  private constructor(
    worker: Worker,
    private readonly file: string,
    readonly checkpoints: WalCheckpoints,
  ) {
    this.#worker = worker;
    worker.on('message', (m: ThreadAnswer) => {
      const waiting = this.#pending.get(m.id);
      if (waiting === undefined) return;
      this.#pending.delete(m.id);
      if (m.ok) waiting.resolve(m.value);
      else waiting.reject(fromThreadError(m.error));
    });
    this.#fail = (err: Error): void => {
      this.#failure ??= err;
      for (const w of this.#pending.values()) w.reject(err);
      this.#pending.clear();
      for (const [file, t] of threads) void t.then((x) => x === this && threads.get(file) === t && threads.delete(file));
    };
    worker.on('error', this.#fail);
    worker.on('exit', (code) => this.#fail(new Error(`the SQLite thread ended (exit status ${code})`)));
    // Idle, the thread does not keep the process alive; a call under way does (see call).
    worker.unref();
  }

  static start(file: string, checkpoints: WalCheckpoints): Promise<SqliteThread> {
    const worker = threadWorker('sqlite-thread');
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      worker.once('error', onError);
      worker.once('message', (m: { ready: boolean; error?: ThreadError }) => {
        worker.off('error', onError);
        if (m.ready) resolve(new SqliteThread(worker, file, checkpoints));
        else {
          reject(m.error !== undefined ? fromThreadError(m.error) : new Error('the SQLite thread did not start'));
          void worker.terminate();
        }
      });
    });
  }

  call<T>(handle: number, method: string, ...args: unknown[]): Promise<T> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = ++this.#next;
    if (this.#pending.size === 0) this.#worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ id, handle, method, args } satisfies ThreadCall);
    }).finally(() => {
      if (this.#pending.size === 0) this.#worker.unref();
    });
  }

  /** The file's checkpointer (sqlite-checkpointer.ts), once, if this thread's stores leave checkpoints to it; its failure is the thread's. */
  startCheckpointer(): void {
    if (this.checkpoints !== 'checkpointer' || this.#checkpointer !== undefined) return;
    const worker = threadWorker('sqlite-checkpointer', { file: this.file });
    worker.on('error', this.#fail);
    worker.unref();
    this.#checkpointer = { worker, ended: new Promise((resolve) => worker.once('exit', resolve)) };
  }

  /** A store on this thread closed: the last one ends the thread. */
  async leave(file?: string): Promise<void> {
    this.users -= 1;
    if (this.users > 0) return;
    for (const [f, t] of threads) {
      if ((file === undefined || f === file) && (await t) === this && this.users === 0) threads.delete(f);
    }
    if (this.users > 0) return;
    if (this.#checkpointer !== undefined) {
      // Asked to stop, it closes its connection and ends (the process waits for it).
      this.#checkpointer.worker.ref();
      this.#checkpointer.worker.postMessage({ stop: true });
      await this.#checkpointer.ended;
    }
    await this.#worker.terminate();
  }
}
