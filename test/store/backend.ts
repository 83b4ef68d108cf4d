// How the store tests name a store to open, in this process or in a child.
import { join } from 'node:path';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { SqliteThreadStore } from '../../src/store/sqlite-thread-store.js';
import Database from 'better-sqlite3';
import type { Store, StoreOptions } from '../../src/store/store.js';

/** `sqlite-thread`: the same file, its connection on a worker thread (what the service opens). */
export type Backend =
  { readonly kind: 'sqlite' | 'sqlite-thread'; readonly file: string } | { readonly kind: 'postgres'; readonly url: string };

export async function openBackend(backend: Backend, options?: StoreOptions): Promise<Store> {
  switch (backend.kind) {
    case 'sqlite':
      return new SqliteStore({ file: backend.file }, options);
    case 'sqlite-thread':
      return SqliteThreadStore.open({ file: backend.file }, options);
    case 'postgres':
      return PostgresStore.open({ url: backend.url, poolSize: 8 }, options);
  }
}

let sqliteFiles = 0;

/** Fresh SQLite files of one kind under `dir` (never the same file twice in a process), and raw SQL run on them by a connection of the test's own. */
export function sqliteEnv(
  kind: 'sqlite' | 'sqlite-thread',
  dir: string,
): { fresh: () => Promise<Backend>; rawExec: (backend: Backend, sql: string) => Promise<void> } {
  return {
    fresh: () => Promise.resolve({ kind, file: join(dir, `store-${sqliteFiles++}.sqlite`) }),
    // An error of the statement is the promise's rejection, as the PostgreSQL store's would be.
    rawExec: (backend, sql) =>
      new Promise<void>((resolve) => {
        if (backend.kind !== kind) throw new Error(`not ${kind}`);
        const db = new Database(backend.file);
        try {
          db.exec(sql);
        } finally {
          db.close();
        }
        resolve();
      }),
  };
}
