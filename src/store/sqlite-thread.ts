// The thread that owns the SQLite connection of src/store/sqlite-thread-store.ts
// (the job store) or src/store/sqlite-thread-log-store.ts (the log's leaf order).
// better-sqlite3 is synchronous: under synchronous=FULL every commit waits for
// an fsync, and on the service's event loop that wait holds every request,
// health check and lease renewal behind it. Here the waits happen on this
// thread; calls are answered in the order they came, one at a time, exactly
// as the store answers them on one connection.
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteLogStore } from './sqlite-log-store.js';
import { SqliteStore } from './sqlite-store.js';
import { toThreadError, type ThreadAnswer, type ThreadCall, type ThreadData } from './sqlite-thread-protocol.js';

/** enqueueMany's outcomes carry errors too. */
function outgoing(method: string, value: unknown): unknown {
  if (method !== 'enqueueMany') return value;
  return (value as { ok: boolean; error?: unknown }[]).map((o) => (o.ok ? o : { ok: false, error: toThreadError(o.error) }));
}

const port = parentPort!;
const data = workerData as ThreadData;
let store: SqliteStore | SqliteLogStore;
try {
  store = data.kind === 'log' ? new SqliteLogStore(data.location) : new SqliteStore(data.location, data.options);
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ ready: false, error: toThreadError(err) });
  process.exit(1);
}

port.on('message', (call: ThreadCall) => {
  const method = (store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[call.method];
  if (typeof method !== 'function') {
    port.postMessage({ id: call.id, ok: false, error: toThreadError(new Error(`unknown store method ${call.method}`)) } satisfies ThreadAnswer);
    return;
  }
  // Every method of either store does its work before it returns (its promise is already settled).
  let answer: Promise<unknown>;
  try {
    answer = method.apply(store, call.args);
  } catch (err) {
    answer = Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  answer.then(
    (value) => port.postMessage({ id: call.id, ok: true, value: outgoing(call.method, value) } satisfies ThreadAnswer),
    (err: unknown) => port.postMessage({ id: call.id, ok: false, error: toThreadError(err) } satisfies ThreadAnswer),
  );
});
