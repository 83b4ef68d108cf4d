// The messages between src/store/sqlite-thread-client.ts and the thread that
// owns the SQLite connection (src/store/sqlite-thread.ts).
import type { SqliteStoreLocation } from './sqlite-store.js';
import type { StoreOptions } from './store.js';

/** `jobs`: the job store (sqlite-store.ts); `log`: the log's leaf order (sqlite-log-store.ts). */
export type StoreKind = 'jobs' | 'log';

/**
 * A call to the store opened as `handle`, or, for method `open`, opening one
 * (args: kind, location, options; the answer is the new handle).
 */
export interface ThreadCall {
  readonly id: number;
  readonly handle: number;
  readonly method: string;
  readonly args: unknown[];
}

export type OpenArgs = [kind: StoreKind, location: SqliteStoreLocation, options?: StoreOptions];

/** An error as it crosses the thread (a structured clone keeps only plain errors' fields). */
export interface ThreadError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

export type ThreadAnswer =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: ThreadError };

export function toThreadError(err: unknown): ThreadError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const code = (err as { code?: unknown }).code;
  return { name: err.name, message: err.message, ...(typeof code === 'string' && { code }) };
}

export function fromThreadError(e: ThreadError): Error {
  return Object.assign(new Error(e.message), { name: e.name }, e.code !== undefined ? { code: e.code } : {});
}
