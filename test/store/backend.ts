// How the store tests name a store to open, in this process or in a child.
import { PostgresStore } from '../../src/store/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { SqliteThreadStore } from '../../src/store/sqlite-thread-store.js';
import type { Store, StoreOptions } from '../../src/store/store.js';

/** `sqlite-thread`: the same file, its connection on a worker thread (what the service opens). */
export type Backend = { readonly kind: 'sqlite' | 'sqlite-thread'; readonly file: string } | { readonly kind: 'postgres'; readonly url: string };

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
