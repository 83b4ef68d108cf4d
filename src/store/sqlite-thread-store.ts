// The SQLite store as the service uses it: the same store (src/store/sqlite-store.ts)
// on a worker thread of its own (src/store/sqlite-thread.ts), so that no
// commit's fsync ever waits on the service's event loop. Each call is a
// message; its answer comes back once the thread has done it, durably for a
// write. Together with the intake's group commit (src/server/intake/store-enqueue.ts:
// while one batch is being committed, the requests that arrive wait and go
// together in the next), a webhook is acknowledged only after its job is on
// disk, and the loop meanwhile reads and answers other requests.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SqliteStoreLocation } from './sqlite-store.js';
import { fromThreadError, type ThreadAnswer, type ThreadCall, type ThreadData, type ThreadError } from './sqlite-thread-protocol.js';
import type {
  Alarm,
  ClaimOptions,
  ClaimedJob,
  CompleteInput,
  EnqueueOutcome,
  EnqueueRequest,
  EnqueueResult,
  FailInput,
  FailResult,
  Job,
  JobFilter,
  QueueDepth,
  Store,
  StoreOptions,
  SummaryCount,
  SummaryQuery,
  TagSighting,
} from './store.js';

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

export class SqliteThreadStore implements Store {
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
    // Idle, the thread does not keep the process alive; a call under way does (see #call).
    worker.unref();
  }

  /** Opens the database on its thread; rejects with the thread's error if it cannot. */
  static open(location: SqliteStoreLocation, options?: StoreOptions): Promise<SqliteThreadStore> {
    const worker = threadWorker({ location, ...(options !== undefined && { options }) });
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      worker.once('error', onError);
      worker.once('message', (m: { ready: boolean; error?: ThreadError }) => {
        worker.off('error', onError);
        if (m.ready) resolve(new SqliteThreadStore(worker));
        else {
          reject(m.error !== undefined ? fromThreadError(m.error) : new Error('the SQLite thread did not start'));
          void worker.terminate();
        }
      });
    });
  }

  #call<T>(method: string, ...args: unknown[]): Promise<T> {
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

  enqueue(request: EnqueueRequest): Promise<EnqueueResult> {
    return this.#call('enqueue', request);
  }

  async enqueueMany(requests: readonly EnqueueRequest[]): Promise<EnqueueOutcome[]> {
    const outcomes = await this.#call<({ ok: true; result: EnqueueResult } | { ok: false; error: ThreadError })[]>('enqueueMany', requests);
    return outcomes.map((o) => (o.ok ? o : { ok: false, error: fromThreadError(o.error) }));
  }

  claim(options: ClaimOptions): Promise<ClaimedJob[]> {
    return this.#call('claim', options);
  }

  heartbeat(id: string, leaseToken: string, leaseMs?: number): Promise<boolean> {
    return this.#call('heartbeat', id, leaseToken, leaseMs);
  }

  complete(id: string, leaseToken: string, input: CompleteInput): Promise<boolean> {
    return this.#call('complete', id, leaseToken, input);
  }

  fail(id: string, leaseToken: string, input: FailInput): Promise<FailResult> {
    return this.#call('fail', id, leaseToken, input);
  }

  handBack(id: string, leaseToken: string, why: string): Promise<boolean> {
    return this.#call('handBack', id, leaseToken, why);
  }

  get(id: string): Promise<Job | undefined> {
    return this.#call('get', id);
  }

  list(filter?: JobFilter): Promise<Job[]> {
    return this.#call('list', filter);
  }

  depth(): Promise<QueueDepth> {
    return this.#call('depth');
  }

  count(filter?: JobFilter): Promise<number> {
    return this.#call('count', filter);
  }

  summary(query: SummaryQuery): Promise<SummaryCount[]> {
    return this.#call('summary', query);
  }

  recordTagSeen(sighting: TagSighting): Promise<Alarm[]> {
    return this.#call('recordTagSeen', sighting);
  }

  close(): Promise<void> {
    return (this.#closed ??= (async () => {
      if (this.#failure === undefined) await this.#call('close').catch(() => undefined);
      await this.#worker.terminate();
    })());
  }
}
