// Opens the log's leaf order where the job queue is: PostgreSQL when a
// postgres:// URL is given, otherwise the SQLite file under the data
// directory, its connection on a thread of its own.
import type { LogStore } from './log-store.js';
import { PostgresLogStore } from './postgres-log-store.js';
import { SqliteThreadLogStore } from './sqlite-thread-log-store.js';

export async function openLogStore(location: { readonly url?: string; readonly dataDir: string }): Promise<LogStore> {
  if (location.url !== undefined) return PostgresLogStore.open(location.url);
  return SqliteThreadLogStore.open({ dataDir: location.dataDir });
}
