// Routes for operators and their tools: GET /healthz (the store answers),
// GET /metrics (Prometheus text) and GET /api/v1/openapi.json. No
// credentials: they say nothing about any job (health and metrics only
// count), and a load balancer or Prometheus must reach them.
import type { FastifyPluginCallback } from 'fastify';
import type { QueueDepth, Store } from '../../store/store.js';
import { METRICS_CONTENT_TYPE, type ServiceMetrics } from './metrics.js';
import { renderOpenApi } from './openapi.js';
import { schemasDocumentOnly, text } from './api-schemas.js';
import { z } from 'zod';

export interface OpsRoutesOptions {
  readonly store: Store;
  readonly metrics: ServiceMetrics;
  /** Also serve the OpenAPI document (the full service; a worker-only process has no API). */
  readonly openApi: boolean;
  /** How long the store may take to answer a health check. */
  readonly healthTimeoutMs?: number;
}

function depthWithin(store: Store, ms: number): Promise<QueueDepth | undefined> {
  return within(store.depth(), ms);
}

/** The store's answer, or undefined if it failed or took longer than `ms`. */
async function within<T>(answer: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([answer, timeout]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

export const opsRoutes: FastifyPluginCallback<OpsRoutesOptions> = (app, options, done) => {
  schemasDocumentOnly(app);
  const { store, metrics } = options;
  const timeoutMs = options.healthTimeoutMs ?? 2_000;

  const depthSchema = z.object({ ready: z.number().int(), delayed: z.number().int(), running: z.number().int() });
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'The store answers',
        operationId: 'health',
        security: [],
        response: {
          200: z.object({ status: z.literal('ok'), queue: depthSchema }).describe('Healthy.'),
          503: z.object({ status: z.literal('unavailable'), reason: z.string() }).describe('The store did not answer in time.'),
        },
      },
    },
    async (request, reply) => {
      const depth = await depthWithin(store, timeoutMs);
      if (depth === undefined) {
        request.log.warn('health check: the store did not answer');
        return reply.code(503).send({ status: 'unavailable', reason: 'the store did not answer' });
      }
      return reply.send({ status: 'ok', queue: depth });
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (text exposition format 0.0.4)',
        operationId: 'metrics',
        security: [],
        response: { 200: text('Metrics.') },
      },
    },
    async (_request, reply) => {
      const [depth, unverifiable] = await Promise.all([
        depthWithin(store, timeoutMs),
        within(store.count({ intake: 'archive', verdict: 'unverifiable' }), timeoutMs),
      ]);
      return reply.header('content-type', METRICS_CONTENT_TYPE).send(await metrics.render(depth, unverifiable));
    },
  );

  if (options.openApi) {
    let document: string | undefined;
    app.get(
      '/api/v1/openapi.json',
      {
        schema: {
          summary: 'This document',
          operationId: 'openApi',
          security: [],
          response: { 200: { description: 'The OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
      async (_request, reply) => reply.header('content-type', 'application/json; charset=utf-8').send((document ??= renderOpenApi(app))),
    );
  }
  done();
};
