// The calling side of a SQLite connection on a worker thread of its own
// (src/store/sqlite-thread.ts): each call is a message, answered once the
// thread has done it (durably, for a write), so no commit's fsync waits on the
// caller's event loop. Used by the job store (sqlite-thread-store.ts) and the
// log's leaf order (sqlite-thread-log-store.ts).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { fromThreadError, type ThreadAnswer, type ThreadCall, type ThreadData, type ThreadError } from './sqlite-thread-protocol.js';

/**
 * The thread's module: the compiled one beside this file, or the TypeScript
 * source loaded through tsx (tests and `tsx src/…`; a worker thread does not
 * inherit the parent's module hooks).
 */
function threadWorker(data: ThreadData): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./sqlite-thread.js', here), { workerData: data });
  const tsx = join(dirname(createRequire(here).resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs');
  const entry = new URL('./sqlite-thread.ts', here).href;
  const code = `import(${JSON.stringify(pathToFileURL(tsx).href)}).then((t) => t.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`;
  return new Worker(code, { eval: true, workerData: data });
}

export class SqliteThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  #next = 0;
  #closed: Promise<void> | undefined;
  #failure: Error | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (m: ThreadAnswer) => {
      const waiting = this.#pending.get(m.id);
      if (waiting === undefined) return;
      this.#pending.delete(m.id);
      if (m.ok) waiting.resolve(m.value);
      else waiting.reject(fromThreadError(m.error));
    });
    const fail = (err: Error): void => {
      this.#failure ??= err;
      for (const w of this.#pending.values()) w.reject(err);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the SQLite thread ended (exit status ${code})`)));
    // Idle, the thread does not keep the process alive; a call under way does (see call).
    worker.unref();
  }

  /** Opens the database on its thread; rejects with the thread's error if it cannot. */
  static open(data: ThreadData): Promise<SqliteThread> {
    const worker = threadWorker(data);
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      worker.once('error', onError);
      worker.once('message', (m: { ready: boolean; error?: ThreadError }) => {
        worker.off('error', onError);
        if (m.ready) resolve(new SqliteThread(worker));
        else {
          reject(m.error !== undefined ? fromThreadError(m.error) : new Error('the SQLite thread did not start'));
          void worker.terminate();
        }
      });
    });
  }

  call<T>(method: string, ...args: unknown[]): Promise<T> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#closed !== undefined && method !== 'close') return Promise.reject(new Error('the store is closed'));
    const id = ++this.#next;
    if (this.#pending.size === 0) this.#worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ id, method, args } satisfies ThreadCall);
    }).finally(() => {
      if (this.#pending.size === 0) this.#worker.unref();
    });
  }

  close(): Promise<void> {
    return (this.#closed ??= (async () => {
      if (this.#failure === undefined) await this.call('close').catch(() => undefined);
      await this.#worker.terminate();
    })());
  }
}
