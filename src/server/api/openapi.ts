// The service's HTTP interface as an OpenAPI 3.1 document, drawn by
// @fastify/swagger from the routes' own schemas: each route declares its
// parameters, body and answers (zod schemas, converted to JSON Schema by
// zod-to-json-schema, or JSON Schema), so the document says what the routes
// are. Served at GET /api/v1/openapi.json and kept, identical, in
// docs/openapi.json (`npm run docs`); test/server/openapi.test.ts checks both,
// that the document is OpenAPI 3.1, and that no API route lacks a schema.
// The schemas document; they do not validate (schemasDocumentOnly in
// src/server/api/api-schemas.ts).
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { ZodType } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';

/** The routes that are API (documented); the others are the dashboard's HTML pages. */
export function isApiRoute(url: string): boolean {
  return /^\/(?:api|hooks|log|attestations|witness)\//.test(url) || url === '/healthz' || url === '/metrics';
}

/** A route schema part as JSON Schema: zod converted (requests as the input they accept), JSON Schema as it is. */
export function jsonSchemaOf(schema: unknown, io: 'input' | 'output' = 'input'): unknown {
  if (!(schema instanceof ZodType)) return schema;
  const converted = zodToJsonSchema(schema as unknown as Parameters<typeof zodToJsonSchema>[0], {
    target: 'jsonSchema2019-09',
    $refStrategy: 'none',
    effectStrategy: 'input',
    pipeStrategy: io,
  }) as Record<string, unknown>;
  delete converted['$schema'];
  return converted;
}

function responsesOf(response: unknown): unknown {
  if (typeof response !== 'object' || response === null) return response;
  return Object.fromEntries(Object.entries(response).map(([status, r]) => [status, jsonSchemaOf(r, 'output')]));
}

const INFO = {
  title: 't2u-verify service',
  version: '1',
  summary: "Independent verification of Debian's tag2upload uploads",
  description:
    'Verification requests (GitLab tag push webhooks and API calls) are persisted before they are acknowledged, ' +
    'then verified by workers; verdicts, reports and build logs are read back by id or listed. See docs/service.md.',
  license: { name: 'MIT', identifier: 'MIT' },
};

const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description: 'One of the configured apiTokens; reads need none when the service sets publicReads.',
  },
  gitlabToken: { type: 'apiKey', in: 'header', name: 'X-Gitlab-Token', description: "The webhook's secret token (gitlab.tokens)." },
  webhookSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'webhook-signature',
    description:
      'Standard Webhooks signature: `v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">` with a gitlab.signingSecrets key; ' +
      'needs webhook-id and webhook-timestamp (±300 s).',
  },
};

/**
 * Collects the routes registered after it into the document (`app.swagger()`):
 * register it before the routes. Routes that are not API, or have no schema,
 * are left out (the test makes sure no API route is without one).
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: INFO,
      servers: [{ url: '/' }],
      components: { securitySchemes: SECURITY_SCHEMES as never },
    },
    transform: ({ schema, url }) => {
      if (schema === undefined || schema === null || !isApiRoute(url)) return { schema: { ...schema, hide: true }, url };
      const s = schema as Record<string, unknown>;
      const out: Record<string, unknown> = { ...s };
      // Parameters as what they mean (a number parsed from the query string is
      // an integer in the document); a body as the JSON it must be.
      for (const part of ['params', 'querystring', 'headers']) if (s[part] !== undefined) out[part] = jsonSchemaOf(s[part], 'output');
      if (s['body'] !== undefined) out['body'] = jsonSchemaOf(s['body']);
      if (s['response'] !== undefined) out['response'] = responsesOf(s['response']);
      return { schema: out, url };
    },
  });
}

/** The document as served and as stored in docs/openapi.json. */
export function renderOpenApi(app: FastifyInstance): string {
  return `${JSON.stringify(app.swagger(), null, 2)}\n`;
}
