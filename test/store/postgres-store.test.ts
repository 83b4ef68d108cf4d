// The PostgreSQL store against the shared behaviour, on a real throwaway
// server started from Debian's binaries (test/helpers/postgres.ts), plus what
// is PostgreSQL's own: migrations shared by workers starting together.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { storeBehaviour } from './store-behaviour.js';
import { deadPort } from '../helpers/dead-port.js';

let server: PostgresServer | undefined;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});
let n = 0;

function started(): PostgresServer {
  if (server === undefined) throw new Error('the test PostgreSQL server did not start');
  return server;
}

storeBehaviour('PostgreSQL', () => ({
  fresh: async () => ({ kind: 'postgres', url: await started().createDatabase(`store_${n++}`) }),
  rawExec: async (backend, sql) => {
    if (backend.kind !== 'postgres') throw new Error('not PostgreSQL');
    const client = new pg.Client({ connectionString: backend.url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  },
}));

describe('PostgresStore', () => {
  it('migrates once when several workers open a new database together', async () => {
    const url = await started().createDatabase(`store_${n++}`);
    const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open({ url, poolSize: 2 })));
    const { id } = await stores[0]!.enqueue({ repo: 'r', tag: 'debian/1', intake: 'api' });
    expect(await stores[3]!.get(id)).toMatchObject({ repo: 'r' });
    await Promise.all(stores.map((s) => s.close()));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const versions = await client.query('SELECT version FROM schema_migrations ORDER BY version');
    await client.end();
    expect(versions.rows).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }, { version: 5 }]);
  });

  it('is chosen by openStore for a postgres:// URL, which must be one', async () => {
    const url = await started().createDatabase(`store_${n++}`);
    const store = await openStore({ url, dataDir: '/nonexistent' });
    expect(store).toBeInstanceOf(PostgresStore);
    await store.close();
    await expect(openStore({ url: 'mysql://x', dataDir: '/tmp' })).rejects.toThrow(/postgres:\/\//);
  });

  it('fails to open with the connection error when the server is not there', async () => {
    await expect(PostgresStore.open({ url: `postgres://postgres@127.0.0.1:${await deadPort()}/none` })).rejects.toThrow(/ECONNREFUSED/);
  });
});
