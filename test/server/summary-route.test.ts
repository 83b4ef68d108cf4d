// GET /api/v1/summary through the service's application over a real SQLite
// store: the counts of today's verdicts, the parameters validated, and the
// read API's token.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ServiceMetrics } from '../../src/server/api/metrics.js';
import { buildServiceApp } from '../../src/server/service-app.js';
import { parseIntakeConfig } from '../../src/server/intake/intake-config.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { VerdictSummary } from '../../src/store/verdict-summary.js';
import { API_TOKEN, TOKEN } from './intake-helpers.js';

const auth = { authorization: `Bearer ${API_TOKEN}` };
let dir: string;
let store: SqliteStore;
let app: FastifyInstance;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 't2u-summary-api-'));
  store = new SqliteStore({ dataDir: dir });
  for (const verdict of ['reproduced', 'reproduced', 'mismatch'] as const) {
    await store.enqueue({ repo: `https://salsa.debian.org/x/${verdict}-${Math.random()}.git`, tag: 'debian/1-1', intake: 'api' });
    const [c] = await store.claim({ workerId: 'w', limit: 1 });
    await store.complete(c!.id, c!.leaseToken, { verdict, report: {} });
  }
  await store.enqueue({ repo: 'https://salsa.debian.org/x/q.git', tag: 'debian/1-1', intake: 'api' });
  app = await buildServiceApp({
    store,
    metrics: new ServiceMetrics(),
    log: pino({ level: 'silent' }),
    intake: parseIntakeConfig({ gitlab: { tokens: [TOKEN] }, apiTokens: [API_TOKEN] }),
  });
});
afterAll(async () => {
  await app.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

it("counts the verdicts of the window's periods, today's last", async () => {
  const res = await app.inject({ method: 'GET', url: '/api/v1/summary?period=day&days=7', headers: auth });
  expect(res.statusCode).toBe(200);
  const s = res.json<VerdictSummary>();
  expect(s.period).toBe('day');
  expect(s.periods).toHaveLength(7);
  expect(s.periods.at(-1)!.start).toBe(`${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`);
  expect(s.periods.at(-1)!.counts).toMatchObject({ reproduced: 2, mismatch: 1 });
  expect(s.total).toBe(3);
  expect(s.verdicts).toContain('unverifiable');
  // The defaults: 30 days; weeks over 12 weeks.
  expect((await app.inject({ method: 'GET', url: '/api/v1/summary', headers: auth })).json<VerdictSummary>().periods).toHaveLength(30);
  const weeks = (await app.inject({ method: 'GET', url: '/api/v1/summary?period=week', headers: auth })).json<VerdictSummary>();
  expect(weeks.periods.length).toBeGreaterThanOrEqual(12);
  expect(weeks.periods.length).toBeLessThanOrEqual(13);
  expect(new Date(weeks.since).getUTCDay()).toBe(1);
  expect(weeks.total).toBe(3);
});

it('refuses a window it does not bound, or an unknown parameter, naming it', async () => {
  for (const [query, path] of [
    ['days=0', 'days'],
    ['days=367', 'days'],
    ['days=12.5', 'days'],
    ['days=-1', 'days'],
    ['period=month', 'period'],
    ['verdict=mismatch', ''],
  ] as const) {
    const res = await app.inject({ method: 'GET', url: `/api/v1/summary?${query}`, headers: auth });
    expect(res.statusCode, query).toBe(400);
    expect(res.json<{ error: string; path?: string }>(), query).toMatchObject({ error: 'invalid', ...(path !== '' && { path }) });
  }
});

it("asks for the read API's token", async () => {
  expect((await app.inject({ method: 'GET', url: '/api/v1/summary' })).statusCode).toBe(401);
});
