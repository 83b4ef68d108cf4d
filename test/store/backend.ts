// How the store tests name a store to open, in this process or in a child.
import { PostgresStore } from '../../src/store/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store, StoreOptions } from '../../src/store/store.js';

export type Backend = { readonly kind: 'sqlite'; readonly file: string } | { readonly kind: 'postgres'; readonly url: string };

export async function openBackend(backend: Backend, options?: StoreOptions): Promise<Store> {
  return backend.kind === 'sqlite'
    ? new SqliteStore({ file: backend.file }, options)
    : PostgresStore.open({ url: backend.url, poolSize: 8 }, options);
}
