// The SQLite store as the service uses it: the same store (src/store/sqlite-store.ts)
// on a worker thread of its own (src/store/sqlite-thread.ts), so that no
// commit's fsync ever waits on the service's event loop. Each call is a
// message; its answer comes back once the thread has done it, durably for a
// write. Together with the intake's group commit (src/server/intake/store-enqueue.ts:
// while one batch is being committed, the requests that arrive wait and go
// together in the next), a webhook is acknowledged only after its job is on
// disk, and the loop meanwhile reads and answers other requests.
import type { SqliteStoreLocation } from './sqlite-store.js';
import { ThreadStoreHandle } from './sqlite-thread-client.js';
import { fromThreadError, type ThreadError } from './sqlite-thread-protocol.js';
import type {
  Alarm,
  AttemptLog,
  AttemptLogEntry,
  AttemptLogInput,
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

export class SqliteThreadStore implements Store {
  readonly #thread: ThreadStoreHandle;

  private constructor(thread: ThreadStoreHandle) {
    this.#thread = thread;
  }

  /** Opens the database on its thread; rejects with the thread's error if it cannot. */
  static async open(location: SqliteStoreLocation, options?: StoreOptions): Promise<SqliteThreadStore> {
    return new SqliteThreadStore(await ThreadStoreHandle.open('jobs', location, options));
  }

  #call<T>(method: string, ...args: unknown[]): Promise<T> {
    return this.#thread.call(method, ...args);
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

  putAttemptLog(id: string, attempt: number, log: AttemptLogInput): Promise<void> {
    return this.#call('putAttemptLog', id, attempt, log);
  }

  getAttemptLog(id: string, attempt: number): Promise<AttemptLog | undefined> {
    return this.#call('getAttemptLog', id, attempt);
  }

  attemptLogs(id: string): Promise<AttemptLogEntry[]> {
    return this.#call('attemptLogs', id);
  }

  close(): Promise<void> {
    return this.#thread.close();
  }
}
