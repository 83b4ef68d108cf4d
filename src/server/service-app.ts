// The service's HTTP application: the intake (its own encapsulated context,
// with its raw-body parser), the read API, health, metrics and the OpenAPI
// document on one fastify instance.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Store } from '../store/store.js';
import { apiRoutes } from './api/api-routes.js';
import { intakeRoutes, type Enqueue } from './intake/intake-routes.js';
import type { IntakeConfig } from './intake/intake-config.js';
import type { UrlPolicy } from '../net/url-policy.js';
import type { ServiceMetrics } from './api/metrics.js';
import { opsRoutes } from './api/ops-routes.js';
import { registerOpenApi } from './api/openapi.js';
import { dashboard } from './dashboard/dashboard.js';
import { logRoutes } from './api/log-routes.js';
import type { Publisher } from '../publish/publisher.js';
import { storeEnqueue } from './intake/store-enqueue.js';

export interface ServiceAppOptions {
  readonly store: Store;
  readonly metrics: ServiceMetrics;
  readonly log: FastifyBaseLogger;
  /** The intake's settings; absent: no intake and no API (a worker-only process serving health and metrics). */
  readonly intake?: Readonly<IntakeConfig>;
  /** The rule repository and upload URLs named at intake must meet (the service's `fetch` settings). */
  readonly urlPolicy?: UrlPolicy;
  /** Called when the intake created a job (wakes this process's worker). */
  readonly onEnqueued?: () => void;
  /** Told of every route as it is added (the OpenAPI test checks each one is documented). */
  readonly onRoute?: (route: { readonly method: string; readonly url: string; readonly schema?: unknown }) => void;
  /** The transparency log and attestation keys (absent: the /log/ routes answer 404). */
  readonly publisher?: Publisher;
}

/** The intake routes whose answers are counted in t2u_verify_intake_requests_total. */
const INTAKE_ROUTES = new Set(['POST /hooks/gitlab', 'POST /api/v1/verifications']);

export async function buildServiceApp(options: ServiceAppOptions): Promise<FastifyInstance> {
  const { store, metrics, log } = options;
  const app = Fastify({
    loggerInstance: log,
    // One line per request, on completion, with its status and time (below), not fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // Behind a proxy the client address would be the proxy's: logs only, no decisions depend on it.
    trustProxy: false,
  });
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) options.onRoute?.({ method, url: route.url, schema: route.schema });
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = `${request.method} ${request.routeOptions.url ?? ''}`;
    if (INTAKE_ROUTES.has(route)) metrics.request(route.slice(route.indexOf(' ') + 1), reply.statusCode);
    request.log.info(
      { method: request.method, route: request.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 },
      'request',
    );
  });
  // The OpenAPI document collects the routes registered after it (the full service; a worker-only process has no API).
  if (options.intake !== undefined) await registerOpenApi(app);
  await app.register(opsRoutes, { store, metrics, openApi: options.intake !== undefined });
  await app.register(logRoutes, { ...(options.publisher !== undefined && { publisher: options.publisher }) });
  if (options.intake !== undefined) {
    const persist = storeEnqueue(store);
    const enqueue: Enqueue = async (request) => {
      const result = await persist(request);
      if (result.created) options.onEnqueued?.();
      return result;
    };
    await app.register(intakeRoutes, {
      config: options.intake,
      enqueue,
      ...(options.urlPolicy !== undefined && { urlPolicy: options.urlPolicy }),
    });
    await app.register(apiRoutes, { store, apiTokens: options.intake.apiTokens, publicReads: options.intake.publicReads });
    // The read-only HTML dashboard (no authentication of its own: docs/service.md).
    await app.register(dashboard, { store });
  }
  return app;
}
