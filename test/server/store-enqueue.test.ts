// The intake in front of the real SQLite store: the job exists in the database
// when the 202 is sent, and redeliveries, second hooks and repeated API calls
// create no second job.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { groupCommit, storeEnqueue } from '../../src/server/intake/store-enqueue.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
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
    expect(job).toMatchObject({ status: 'queued', intake: 'webhook' });
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
    expect(await store.get(a.json<{ id: string }>().id)).toMatchObject({ intake: 'api', status: 'queued', tagObject: null });
    await app.close();
  });
});

describe('group commit', () => {
  const request = (i: number) => ({
    repo: 'https://salsa.debian.org/x/y.git',
    tag: `debian/1.${i}-1`,
    tagObject: (i + 1).toString(16).padStart(40, 'f'),
    intake: 'webhook' as const,
    idempotencyKey: `gitlab:d-${i}`,
  });

  it('persists requests that arrive together in one transaction, each answered with its own job', async () => {
    const batches: number[] = [];
    const many = store.enqueueMany.bind(store);
    store.enqueueMany = (rs) => {
      batches.push(rs.length);
      return many(rs);
    };
    const enqueue = groupCommit(store, 100);
    const results = await Promise.all([...Array.from({ length: 250 }, (_, i) => enqueue(request(i))), enqueue(request(3))]);
    expect(batches).toEqual([100, 100, 51]);
    expect(results.slice(0, 250).every((r) => r.created)).toBe(true);
    expect(new Set(results.map((r) => r.id)).size).toBe(250);
    // The copy of request 3 in the same batch as others found the job its original made.
    expect(results[250]).toEqual({ id: results[3]!.id, created: false });
    expect((await store.list({ limit: 1000 })).length).toBe(250);
  });

  it('fails only the request that fails, and a store without enqueueMany gets them one by one', async () => {
    const enqueue = groupCommit(store);
    const bad = { ...request(1), intake: 'elsewhere' as never };
    const [ok, failed] = await Promise.allSettled([enqueue(request(0)), enqueue(bad)]);
    expect(ok).toMatchObject({ status: 'fulfilled', value: { created: true } });
    expect(failed).toMatchObject({
      status: 'rejected',
      reason: expect.objectContaining({ message: expect.stringMatching(/CHECK constraint/) as unknown }) as unknown,
    });
    expect((await store.list({})).map((j) => j.tag)).toEqual(['debian/1.0-1']);

    const calls: string[] = [];
    const single = groupCommit({
      enqueue: (r: { tag: string }) => (calls.push(r.tag), Promise.resolve({ id: r.tag, created: true })),
    } as unknown as Store);
    await Promise.all([single(request(5)), single(request(6))]);
    expect(calls).toEqual(['debian/1.5-1', 'debian/1.6-1']);
  });
});
