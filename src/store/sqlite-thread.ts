// The thread that owns the SQLite connections of one database file in this
// process: the job store's (src/store/sqlite-thread-store.ts) and the log's
// leaf order's (src/store/sqlite-thread-log-store.ts). On one thread their
// writes never wait for each other's lock: a commit of one simply follows the
// other's (two threads would contend for the file's write lock, and SQLite's
// busy handler waits by sleeping).
// better-sqlite3 is synchronous: under synchronous=FULL every commit waits for
// an fsync, and on the service's event loop that wait holds every request,
// health check and lease renewal behind it. Here the waits happen on this
// thread; calls are answered in the order they came, one at a time, exactly
// as the store answers them on one connection.
import { parentPort } from 'node:worker_threads';
import { SqliteLogStore } from './sqlite-log-store.js';
import { SqliteStore } from './sqlite-store.js';
import { toThreadError, type OpenArgs, type ThreadAnswer, type ThreadCall } from './sqlite-thread-protocol.js';

/** enqueueMany's outcomes carry errors too. */
function outgoing(method: string, value: unknown): unknown {
  if (method !== 'enqueueMany') return value;
  return (value as { ok: boolean; error?: unknown }[]).map((o) => (o.ok ? o : { ok: false, error: toThreadError(o.error) }));
}

const port = parentPort!;
const stores = new Map<number, SqliteStore | SqliteLogStore>();
let nextHandle = 0;
port.postMessage({ ready: true });

const answer = (id: number, method: string, run: () => Promise<unknown>): void => {
  // Every method of either store does its work before it returns (its promise is already settled).
  let result: Promise<unknown>;
  try {
    result = run();
  } catch (err) {
    result = Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  result.then(
    (value) => port.postMessage({ id, ok: true, value: outgoing(method, value) } satisfies ThreadAnswer),
    (err: unknown) => port.postMessage({ id, ok: false, error: toThreadError(err) } satisfies ThreadAnswer),
  );
};

port.on('message', (call: ThreadCall) => {
  if (call.method === 'open') {
    answer(call.id, call.method, () => {
      const [kind, location, options] = call.args as OpenArgs;
      const store = kind === 'log' ? new SqliteLogStore(location) : new SqliteStore(location, options);
      stores.set(++nextHandle, store);
      return Promise.resolve(nextHandle);
    });
    return;
  }
  const store = stores.get(call.handle);
  const method = (store as unknown as Record<string, ((...args: unknown[]) => Promise<unknown>) | undefined> | undefined)?.[call.method];
  if (store === undefined || typeof method !== 'function') {
    port.postMessage({
      id: call.id,
      ok: false,
      error: toThreadError(new Error(`unknown store method ${call.method}`)),
    } satisfies ThreadAnswer);
    return;
  }
  if (call.method === 'close') stores.delete(call.handle);
  answer(call.id, call.method, () => method.apply(store, call.args));
});
