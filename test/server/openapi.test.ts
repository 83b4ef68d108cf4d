// The OpenAPI document, drawn from the routes' schemas: served by the service,
// identical to docs/openapi.json (`npm run docs` writes it), an OpenAPI 3.1
// document in structure, with every API route in it and no API route without
// a schema; its report schema is the report's (real reports validate).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ServiceMetrics } from '../../src/server/api/metrics.js';
import { wholeNumber } from '../../src/server/api/api-schemas.js';
import { isApiRoute } from '../../src/server/api/openapi.js';
import { parseIntakeConfig } from '../../src/server/intake/intake-config.js';
import { openApiText } from '../../src/server/openapi-document.js';
import { buildServiceApp } from '../../src/server/service-app.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { storedReportSchema } from '../../src/report/report-schema.js';
import { reportOf } from './dashboard-fixtures.js';
import { API_TOKEN, TOKEN } from './intake-helpers.js';

const DOC = new URL('../../docs/openapi.json', import.meta.url);

// The JSON Schema validator fastify ships (ajv 8, through @fastify/ajv-compiler), with its formats.
const fastifysOwn = createRequire(createRequire(import.meta.url).resolve('@fastify/ajv-compiler'));
type Validator = ((data: unknown) => boolean) & { errors?: unknown };
type AjvLike = { compile(schema: object): Validator; errorsText(errors: unknown): string };
const { Ajv2020 } = fastifysOwn('ajv/dist/2020') as { Ajv2020: new (options: object) => AjvLike };
const addFormats = fastifysOwn('ajv-formats') as { default: (ajv: AjvLike) => void };
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

type Operation = {
  operationId?: string;
  parameters?: { name: string; in: string; schema?: unknown }[];
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
};
type Document = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { securitySchemes?: Record<string, unknown> };
};

let dir: string;
let store: SqliteStore;
let app: FastifyInstance;
const routes: { method: string; url: string; schema?: unknown }[] = [];
let served: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 't2u-openapi-'));
  store = new SqliteStore({ dataDir: dir });
  app = await buildServiceApp({
    store,
    metrics: new ServiceMetrics(),
    log: pino({ level: 'silent' }),
    intake: parseIntakeConfig({ gitlab: { tokens: [TOKEN] }, apiTokens: [API_TOKEN] }),
    onRoute: (r) => routes.push(r),
  });
  const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  served = res.body;
});
afterAll(async () => {
  await app.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const doc = (): Document => JSON.parse(served) as Document;

describe('the OpenAPI document', () => {
  it('is served as docs/openapi.json has it, and as drawn without a service', async () => {
    expect(served).toBe(readFileSync(DOC, 'utf8'));
    expect(served).toBe(await openApiText());
  });

  it('is an OpenAPI 3.1 document: each operation has an id, responses with descriptions, and its path parameters', () => {
    const d = doc();
    expect(d.openapi).toBe('3.1.0');
    expect(d.info).toMatchObject({ title: 't2u-verify service', version: '1' });
    expect(Object.keys(d.components?.securitySchemes ?? {})).toEqual(['bearer', 'gitlabToken', 'webhookSignature']);
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(d.paths)) {
      expect(path.startsWith('/'), path).toBe(true);
      for (const [method, op] of Object.entries(item)) {
        expect(METHODS, `${method} ${path}`).toContain(method);
        expect(op.operationId, `${method} ${path}`).toMatch(/^[a-zA-Z]+$/);
        expect(ids.has(op.operationId!), `operationId ${op.operationId} twice`).toBe(false);
        ids.add(op.operationId!);
        const responses = Object.entries(op.responses ?? {});
        expect(responses.length, `${method} ${path} has responses`).toBeGreaterThan(0);
        for (const [status, r] of responses) {
          expect(status, `${method} ${path}`).toMatch(/^[1-5][0-9][0-9]$/);
          expect(typeof r.description, `${method} ${path} ${status}`).toBe('string');
          for (const media of Object.values(r.content ?? {})) expect(media.schema, `${method} ${path} ${status}`).toBeDefined();
        }
        // Every {name} in the path is a required path parameter, and there are no others.
        const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        const params = (op.parameters ?? []).filter((p) => p.in === 'path');
        expect(params.map((p) => p.name).sort(), `${method} ${path}`).toEqual([...inPath].sort());
        for (const p of op.parameters ?? []) expect(['path', 'query', 'header', 'cookie'], `${method} ${path} ${p.name}`).toContain(p.in);
      }
    }
  });

  it('describes every API route, each with a schema; only the dashboard pages are left out', () => {
    const api = routes.filter((r) => r.method !== 'HEAD' && isApiRoute(r.url));
    // A route added without a schema fails here.
    expect(
      api.filter((r) => typeof r.schema !== 'object' || r.schema === null || !('response' in r.schema)).map((r) => `${r.method} ${r.url}`),
    ).toEqual([]);
    const documented = Object.entries(doc().paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    // fastify's :id and * are OpenAPI's {id} and {*}.
    const registered = api.map((r) => `${r.method} ${r.url.replace(/:([A-Za-z]+)/g, '{$1}').replace(/\*$/, '{*}')}`);
    expect([...documented].sort()).toEqual([...new Set(registered)].sort());
    expect(registered).toEqual(
      expect.arrayContaining([
        'POST /hooks/gitlab',
        'GET /healthz',
        'GET /metrics',
        'GET /log/checkpoint',
        'GET /api/v1/verifications/{id}/attempts/{attempt}/log',
      ]),
    );
    // The dashboard's pages are routes too, and not API.
    expect(routes.some((r) => r.url === '/verifications/:id' && !isApiRoute(r.url))).toBe(true);
    expect(documented.some((d) => d.includes(' /verifications/'))).toBe(false);
  });

  it("carries the report's schema, which real stored reports meet and a report with a stray field does not", () => {
    const op = doc().paths['/api/v1/verifications/{id}']!['get']!;
    const job = op.responses!['200']!.content!['application/json']!.schema as { properties: { report: object } };
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const validate = ajv.compile(job.properties.report);
    const names = [
      'reproduced',
      'equivalent',
      'tamper-debian-tar',
      'tamper-orig-byte',
      'tamper-dsc-build-depends',
      'rejected',
      'hostile-tagger',
      'hostile-tagger-rejected',
    ];
    for (const name of names) {
      const report = reportOf(name);
      expect(validate(report), `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      expect(storedReportSchema.safeParse(report).success, name).toBe(true);
    }
    const alarmed = {
      ...reportOf('reproduced'),
      alarms: [{ code: 'TAG_MOVED', message: 'm', previous: { tagObject: 'a'.repeat(40), firstSeen: '2026-01-01T00:00:00.000Z' } }],
    };
    expect(validate(alarmed), ajv.errorsText(validate.errors)).toBe(true);
    const stray = { ...reportOf('reproduced'), surprise: 1 };
    expect(validate(stray)).toBe(false);
    expect(storedReportSchema.safeParse(stray).success).toBe(false);
    const badCode = { ...reportOf('reproduced'), reasons: [{ code: 'NOT_A_CODE', layer: 'bits', message: 'x' }] };
    expect(validate(badCode)).toBe(false);
  });

  it('says what the routes check, from the same zod schemas', () => {
    const list = doc().paths['/api/v1/verifications']!['get']!;
    const pkg = list.parameters!.find((p) => p.name === 'package');
    expect(pkg).toMatchObject({ in: 'query', schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9+.-]{1,199}$' } });
    const page = list.responses!['200']!.content!['application/json']!.schema as { required: string[] };
    expect(page.required).toEqual(['verifications', 'total', 'limit', 'offset']);
    const post = doc().paths['/api/v1/verifications']!['post'] as Operation & {
      requestBody: { content: Record<string, { schema: { required: string[]; additionalProperties: boolean } }> };
    };
    expect(post.requestBody.content['application/json']!.schema).toMatchObject({ required: ['repo', 'tag'], additionalProperties: false });
  });

  it('documents each whole-number query parameter as a bounded integer, as the route parses it', () => {
    const numeric = Object.entries(doc().paths).flatMap(([path, ops]) =>
      Object.values(ops).flatMap((op) =>
        (op.parameters ?? [])
          .filter((p) => p.in === 'query' && ['limit', 'offset', 'days', 'from', 'to'].includes(p.name))
          .map((p) => [`${path} ${p.name}`, p.schema] as const),
      ),
    );
    expect(numeric.map(([where]) => where).sort()).toEqual([
      '/api/v1/log/consistency from',
      '/api/v1/log/consistency to',
      '/api/v1/summary days',
      '/api/v1/verifications limit',
      '/api/v1/verifications offset',
    ]);
    for (const [where, schema] of numeric) {
      const s = schema as { type?: string; minimum?: unknown; maximum?: unknown };
      expect([s.type, typeof s.minimum, typeof s.maximum], where).toEqual(['integer', 'number', 'number']);
    }
    // No query parameter anywhere is a string that only holds digits.
    const digitStrings = Object.values(doc().paths).flatMap((ops) =>
      Object.values(ops).flatMap((op) =>
        (op.parameters ?? []).filter(
          (p) => p.in === 'query' && /^\^\[0-9\]/.test(String((p.schema as { pattern?: string } | undefined)?.pattern)),
        ),
      ),
    );
    expect(digitStrings).toEqual([]);
  });

  it('parses a whole number strictly: what Number() would also take is refused', () => {
    const n = wholeNumber(0, 1000);
    expect(n.parse('0')).toBe(0);
    expect(n.parse('1000')).toBe(1000);
    for (const bad of ['', ' 1', '1 ', '+1', '-1', '1e3', '0x10', '01', '1.0', '1001', '12345678901234567'])
      expect(n.safeParse(bad).success, bad).toBe(false);
  });
});
