// The intake in front of the real SQLite store: the job exists in the database
// when the 202 is sent, and redeliveries, second hooks and repeated API calls
// create no second job.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storeEnqueue } from '../../src/server/store-enqueue.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { API_TOKEN, TOKEN, buildApp, tagPushBody } from './intake-helpers.js';

let dir: string;
let store: SqliteStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 't2u-intake-store-'));
  store = new SqliteStore({ dataDir: dir });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const hook = (payload: string, headers: Record<string, string> = {}) => ({
  method: 'POST' as const,
  url: '/hooks/gitlab',
  headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-token': TOKEN, ...headers },
  payload,
});

describe('intake → store', () => {
  it('persists a tag push as a queued webhook job before answering, once per tag object', async () => {
    const app = await buildApp({}, storeEnqueue(store));
    const first = await app.inject(hook(tagPushBody(), { 'x-gitlab-event-uuid': 'uuid-1' }));
    expect(first.statusCode).toBe(202);
    const { id, created } = first.json<{ id: string; created: boolean }>();
    expect(created).toBe(true);
    const job = await store.get(id);
    expect(job).toMatchObject({ status: 'queued', source: 'webhook' });
    expect(job?.tagObject).toMatch(/^[0-9a-f]{40}$/);

    // A redelivery (same UUID) and a second hook for the same tag object (new UUID): the same job.
    for (const uuid of ['uuid-1', 'uuid-2']) {
      const again = await app.inject(hook(tagPushBody(), { 'x-gitlab-event-uuid': uuid }));
      expect(again.statusCode).toBe(202);
      expect(again.json()).toEqual({ id, created: false });
    }
    expect((await store.list({})).length).toBe(1);
    await app.close();
  });

  it('merges repeated API requests for a tag by name while the job is pending', async () => {
    const app = await buildApp({}, storeEnqueue(store));
    const request = {
      method: 'POST' as const,
      url: '/api/v1/verifications',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ repo: 'https://salsa.debian.org/debian/hello.git', tag: 'debian/2.10-3' }),
    };
    const a = await app.inject(request);
    const b = await app.inject(request);
    expect(a.statusCode).toBe(202);
    expect(b.json<{ id: string }>().id).toBe(a.json<{ id: string }>().id);
    expect(b.json<{ created: boolean }>().created).toBe(false);
    expect(await store.get(a.json<{ id: string }>().id)).toMatchObject({ source: 'api', status: 'queued', tagObject: null });
    await app.close();
  });
});
