// The OpenAPI document of the full service (`serve`), drawn from its routes
// without a store or a listener: `npm run docs` writes it to docs/openapi.json,
// and the served one is checked against that file (test/server/openapi.test.ts).
import pino from 'pino';
import { ServiceMetrics } from './api/metrics.js';
import { renderOpenApi } from './api/openapi.js';
import { parseIntakeConfig } from './intake/intake-config.js';
import { buildServiceApp } from './service-app.js';
import type { Store } from '../store/store.js';

/** A store no route is asked to use while the document is drawn. */
const noStore = new Proxy({} as Store, {
  get: (_target, name) => () => Promise.reject(new Error(`the OpenAPI document needs no store (${String(name)})`)),
});

export async function openApiText(): Promise<string> {
  const app = await buildServiceApp({
    store: noStore,
    metrics: new ServiceMetrics(),
    log: pino({ level: 'silent' }),
    intake: parseIntakeConfig({ gitlab: { tokens: ['x'.repeat(32)] } }),
  });
  try {
    await app.ready();
    return renderOpenApi(app);
  } finally {
    await app.close();
  }
}
