// Opens the configured store: PostgreSQL when a postgres:// URL is given,
// otherwise the SQLite file under the data directory, its connection on a
// thread of its own so that no commit waits on the caller's event loop.
import { PostgresStore } from './postgres-store.js';
import { SqliteThreadStore } from './sqlite-thread-store.js';
import type { Store, StoreOptions } from './store.js';

export interface StoreLocation {
  /** `postgres://…` or `postgresql://…`; absent: SQLite. */
  readonly url?: string;
  /** Where the SQLite file lives. */
  readonly dataDir: string;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(?:ql)?:\/\//.test(url);
}

export async function openStore(location: StoreLocation, options?: StoreOptions): Promise<Store> {
  if (location.url !== undefined) {
    if (!isPostgresUrl(location.url))
      throw new Error(`store URL must start with postgres:// or postgresql://, not ${JSON.stringify(location.url.split(':')[0])}`);
    return PostgresStore.open({ url: location.url }, options);
  }
  return SqliteThreadStore.open({ dataDir: location.dataDir }, options);
}
