// The OpenAPI document: served by the service, identical to docs/openapi.json
// (`npm run docs` writes it), and describing every route the service has.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { expect, it } from 'vitest';
import { ServiceMetrics } from '../../src/server/api/metrics.js';
import { openApiDocument, renderOpenApi } from '../../src/server/api/openapi.js';
import { buildServiceApp } from '../../src/server/service-app.js';
import { parseIntakeConfig } from '../../src/server/intake/intake-config.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { API_TOKEN, TOKEN } from './intake-helpers.js';

const DOC = new URL('../../docs/openapi.json', import.meta.url);

it('is served as docs/openapi.json has it, and documents every route', async () => {
  const dir = mkdtempSync(join(tmpdir(), 't2u-openapi-'));
  const store = new SqliteStore({ dataDir: dir });
  const routes: { method: string; url: string }[] = [];
  const app = await buildServiceApp({
    store,
    metrics: new ServiceMetrics(),
    log: pino({ level: 'silent' }),
    intake: parseIntakeConfig({ gitlab: { tokens: [TOKEN] }, apiTokens: [API_TOKEN] }),
    onRoute: (r) => routes.push(r),
  });
  try {
    const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toBe(readFileSync(DOC, 'utf8'));
    expect(res.body).toBe(renderOpenApi());

    const paths = openApiDocument.paths as Record<string, Record<string, unknown>>;
    const documented = new Set(Object.entries(paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    // fastify adds HEAD for every GET; OpenAPI's {id} is fastify's :id.
    // The dashboard's HTML pages are not API; every other route is.
    const api = routes.filter((r) => r.method !== 'HEAD' && /^\/(api|hooks)\/|^\/(metrics|healthz)$/.test(r.url));
    expect(routes.some((r) => r.url === '/verifications/:id')).toBe(true);
    const registered = new Set(api.map((r) => `${r.method} ${r.url.replace(/:([A-Za-z]+)/g, '{$1}')}`));
    expect(registered.size).toBeGreaterThanOrEqual(7);
    expect([...registered].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((r) => !registered.has(r))).toEqual([]);
    expect(openApiDocument.openapi).toBe('3.1.0');
  } finally {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
