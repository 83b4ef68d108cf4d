// The read API (src/server/api/api-routes.ts) over a real SQLite store, through
// the service's application: listing with `total` and filters (the source
// package among them), one job, and who may read.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ServiceMetrics } from '../../src/server/api/metrics.js';
import { buildServiceApp } from '../../src/server/service-app.js';
import { parseIntakeConfig, type IntakeConfigInput } from '../../src/server/intake/intake-config.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Job } from '../../src/store/store.js';
import { API_TOKEN, TOKEN } from './intake-helpers.js';
import { reportOf } from './dashboard-fixtures.js';

const auth = { authorization: `Bearer ${API_TOKEN}` };
let dir: string;
let store: SqliteStore;
const ids: Record<string, string> = {};

/** Finished jobs, one per fixture report, and one still queued. */
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 't2u-api-'));
  store = new SqliteStore({ dataDir: dir });
  for (const [i, name] of ['reproduced', 'equivalent', 'tamper-debian-tar', 'rejected'].entries()) {
    const report = reportOf(name);
    const { id } = await store.enqueue({ repo: `https://salsa.debian.org/x/p${i}.git`, tag: report.tag.name, intake: 'api' });
    const [claimed] = await store.claim({ workerId: 'test', limit: 1 });
    await store.complete(claimed!.id, claimed!.leaseToken, { verdict: report.verdict, report });
    ids[name] = id;
  }
  await store.putAttemptLog(ids['reproduced']!, 1, { text: '[t2u-verify] fetching\n<script>alert(1)</script>\n', truncated: false });
  await store.putAttemptLog(ids['reproduced']!, 2, { text: 'again\n', truncated: true });
  ids['queued'] = (await store.enqueue({ repo: 'https://salsa.debian.org/x/q.git', tag: 'debian/9-1', intake: 'webhook' })).id;
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function app(intake: Partial<IntakeConfigInput> = {}): Promise<FastifyInstance> {
  return buildServiceApp({
    store,
    metrics: new ServiceMetrics(),
    log: pino({ level: 'silent' }),
    intake: parseIntakeConfig({ gitlab: { tokens: [TOKEN] }, apiTokens: [API_TOKEN], ...intake }),
  });
}

interface ListBody {
  verifications: (Job & { package: string | null })[];
  total: number;
  limit: number;
  offset: number;
  reason?: string;
}

describe('GET /api/v1/verifications', () => {
  it('says how many jobs match the filters in all, beside the page', async () => {
    const a = await app();
    const list = async (q: string) => {
      const res = await a.inject({ url: `/api/v1/verifications${q}`, headers: auth });
      return { status: res.statusCode, body: res.json<ListBody>() };
    };
    const all = await list('?limit=2');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ total: 5, limit: 2, offset: 0 });
    expect(all.body.verifications).toHaveLength(2);
    expect((await list('?limit=2&offset=4')).body).toMatchObject({ total: 5, offset: 4 });
    expect((await list('?status=done')).body.total).toBe(4);
    expect((await list('?verdict=mismatch')).body.total).toBe(1);
    expect((await list('?source=webhook&status=done')).body).toMatchObject({ total: 0, verifications: [] });
    await a.close();
  });

  it('filters by source package, which a job has once its report names it', async () => {
    const a = await app();
    const pkg = reportOf('reproduced').source.package!;
    const others = ['equivalent', 'tamper-debian-tar', 'rejected'].filter((n) => reportOf(n).source.package === pkg);
    const res = await a.inject({ url: `/api/v1/verifications?package=${pkg}`, headers: auth });
    const body = res.json<ListBody>();
    expect(body.total).toBe(1 + others.length);
    expect(body.verifications.map((j) => j.id)).toContain(ids['reproduced']);
    for (const j of body.verifications) expect(j.package).toBe(pkg);
    const one = await a.inject({ url: `/api/v1/verifications/${ids['queued']}`, headers: auth });
    expect(one.json()).toMatchObject({ status: 'queued', package: null });
    const none = await a.inject({ url: '/api/v1/verifications?package=no-such-package', headers: auth });
    expect(none.json()).toMatchObject({ total: 0, verifications: [] });
    for (const bad of ['Hello', 'a', '-x', 'a%20b', 'x'.repeat(201)]) {
      const r = await a.inject({ url: `/api/v1/verifications?package=${bad}`, headers: auth });
      expect(r.statusCode).toBe(400);
      expect(r.json()).toMatchObject({ error: 'invalid', path: 'package' });
    }
    await a.close();
  });
});

describe('who may read', () => {
  it('asks for a token by default, compared with every configured one', async () => {
    const a = await app();
    for (const url of ['/api/v1/verifications', `/api/v1/verifications/${ids['reproduced']}`]) {
      expect((await a.inject({ url })).statusCode).toBe(401);
      expect((await a.inject({ url, headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode).toBe(401);
      expect((await a.inject({ url, headers: auth })).statusCode).toBe(200);
    }
    await a.close();
  });

  it('lets anyone read with publicReads, and still asks a token to write', async () => {
    const a = await app({ publicReads: true });
    const list = await a.inject({ url: '/api/v1/verifications' });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ total: 5 });
    expect((await a.inject({ url: `/api/v1/verifications/${ids['reproduced']}` })).json()).toMatchObject({ verdict: 'reproduced' });
    expect((await a.inject({ method: 'HEAD', url: '/api/v1/verifications' })).statusCode).toBe(200);
    const write = await a.inject({
      method: 'POST',
      url: '/api/v1/verifications',
      payload: { repo: 'https://salsa.debian.org/x/y.git', tag: 'debian/1-1' },
    });
    expect(write.statusCode).toBe(401);
    await a.close();
  });
});

describe("an attempt's log", () => {
  it('is served as text, never to be rendered, and listed with its job', async () => {
    const a = await app();
    const id = ids['reproduced']!;
    const res = await a.inject({ url: `/api/v1/verifications/${id}/attempts/1/log`, headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(res.headers['x-t2u-verify-log-truncated']).toBe('false');
    expect(res.body).toBe('[t2u-verify] fetching\n<script>alert(1)</script>\n');
    const second = await a.inject({ url: `/api/v1/verifications/${id}/attempts/2/log`, headers: auth });
    expect(second.headers['x-t2u-verify-log-truncated']).toBe('true');
    const job = (await a.inject({ url: `/api/v1/verifications/${id}`, headers: auth })).json<{ logs: { createdAt: string }[] }>();
    expect(job.logs.map(({ createdAt, ...rest }) => ({ ...rest, at: Number.isNaN(Date.parse(createdAt)) ? 'bad' : 'date' }))).toEqual([
      { attempt: 1, bytes: 48, truncated: false, at: 'date', url: `/api/v1/verifications/${id}/attempts/1/log` },
      { attempt: 2, bytes: 6, truncated: true, at: 'date', url: `/api/v1/verifications/${id}/attempts/2/log` },
    ]);
    for (const url of [
      `/api/v1/verifications/${id}/attempts/3/log`,
      `/api/v1/verifications/${id}/attempts/0/log`,
      `/api/v1/verifications/${id}/attempts/x/log`,
      '/api/v1/verifications/99999/attempts/1/log',
    ]) {
      expect((await a.inject({ url, headers: auth })).statusCode).toBe(404);
    }
    expect((await a.inject({ url: `/api/v1/verifications/${id}/attempts/1/log` })).statusCode).toBe(401);
    await a.close();
  });
});
