// Opens the log's leaf order where the job queue is: PostgreSQL when a
// postgres:// URL is given, otherwise the SQLite file under the data directory.
import type { LogStore } from './log-store.js';
import { PostgresLogStore } from './postgres-log-store.js';
import { SqliteLogStore } from './sqlite-log-store.js';

export async function openLogStore(location: { readonly url?: string; readonly dataDir: string }): Promise<LogStore> {
  if (location.url !== undefined) return PostgresLogStore.open(location.url);
  return new SqliteLogStore({ dataDir: location.dataDir });
}
