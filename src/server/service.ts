// The service's life cycle: open the store, start the HTTP application, the
// workers and (serve with watch.mirror) the archive watcher, and stop them in
// the order that loses nothing: the watcher (its poll under way aborted; what
// it queued is queued), the listener (requests under way finish; each is
// persisted before its 2xx), then the workers (grace period, then abort and
// hand back), then alert deliveries under way, then the store.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { AlertSender } from './alerts.js';
import { loadOrCreateAlertSecret } from './alert-secret.js';
import { ServiceMetrics } from './api/metrics.js';
import { buildServiceApp } from './service-app.js';
import { intakeSettings, urlPolicy, type ServiceConfig } from './service-config.js';
import { Worker, type VerifyJob } from './queue/worker.js';
import { openPublisher, type Publisher } from '../publish/publisher.js';
import { startArchiveWatcher, type ArchiveWatcher } from './archive-watch/archive-watcher.js';

export interface ServiceDeps {
  readonly verifyJob: VerifyJob;
  readonly log: Logger;
  /** A store to use instead of the configured one (not closed by stop). */
  readonly store?: Store;
  /** Worker id (tests tell workers apart). */
  readonly workerId?: string;
  /** Worker abort wait (see WorkerOptions.abortWaitMs). */
  readonly abortWaitMs?: number;
}

export interface ServiceHandle {
  /** `http://host:port` when listening. */
  readonly url: string | undefined;
  readonly app: FastifyInstance | undefined;
  readonly store: Store;
  readonly worker: Worker;
  readonly metrics: ServiceMetrics;
  /** The transparency log (serve mode with log.enabled). */
  readonly publisher: Publisher | undefined;
  /** Graceful stop; resolves when everything is closed. Safe to call twice. */
  stop(): Promise<void>;
}

export type ServiceMode = 'serve' | 'worker';

/** The configured alert signing secrets, else the data directory's (made on first start), when there is a receiver. */
async function alertSigningSecrets(config: ServiceConfig, log: Logger): Promise<readonly string[]> {
  if (config.alerts.urls.length === 0 || config.alerts.signingSecrets.length > 0) return config.alerts.signingSecrets;
  const { secret, path, created } = await loadOrCreateAlertSecret(config.dataDir);
  if (created) log.info({ path }, 'alert signing secret generated: give this file to the alert receivers');
  return [secret];
}

/** The archive watcher of `serve --watch-mirror`: `t2u-verify watch` without --once, inside the service. */
function startWatcher(config: ServiceConfig, store: Store, log: Logger, signal: AbortSignal): ArchiveWatcher | undefined {
  const w = config.watch;
  if (w.mirror === undefined) return undefined;
  return startArchiveWatcher({
    store,
    mirror: w.mirror,
    suites: w.suites,
    component: w.component,
    ...(w.archiveKeyring !== undefined && { archiveKeyring: w.archiveKeyring }),
    policy: { allowHttpLoopback: config.fetch.allowHttpLoopback === true },
    repoUrlMap: w.repoUrlMap,
    checkTagCopies: w.checkTagCopies,
    pendingBoundMs: w.pendingBoundHours * 3600_000,
    intervalMs: w.intervalSeconds * 1000,
    signal,
    log: log.child({ watcher: true }),
  });
}

/** How often the serve process logs verdicts recorded without an attestation. */
const RECONCILE_MS = 60_000;

/**
 * `serve`: intake, API, health, metrics and `config.workers` workers.
 * `worker`: workers only; health and metrics on `config.listen` when set.
 */
export async function startService(config: ServiceConfig, deps: ServiceDeps, mode: ServiceMode = 'serve'): Promise<ServiceHandle> {
  const { log } = deps;
  const store =
    deps.store ??
    (await openStore(
      { ...(config.database !== undefined && { url: config.database }), dataDir: config.dataDir },
      { leaseMs: config.leaseMs, maxAttempts: config.maxAttempts, backoffBaseMs: config.backoffBaseMs, backoffMaxMs: config.backoffMaxMs },
    ));
  // The serve process attests its workers' verdicts (worker processes' verdicts are reconciled below).
  let publisher: Publisher | undefined;
  if (mode === 'serve' && config.log.enabled) {
    try {
      publisher = await openPublisher({
        dataDir: config.dataDir,
        log: config.log,
        ...(config.database !== undefined && { database: config.database }),
      });
    } catch (err) {
      if (deps.store === undefined) await store.close();
      throw err;
    }
  }
  const metrics = new ServiceMetrics();
  let alerts: AlertSender;
  try {
    alerts = new AlertSender({ ...config.alerts, signingSecrets: await alertSigningSecrets(config, log) }, metrics);
  } catch (err) {
    await publisher?.close();
    if (deps.store === undefined) await store.close();
    throw err;
  }
  const worker = new Worker({
    store: publisher === undefined ? store : publisher.attesting(store, log.child({ log: true })),
    verifyJob: deps.verifyJob,
    concurrency: config.workers,
    leaseMs: config.leaseMs,
    pollMs: config.pollMs,
    jobTimeoutMs: config.jobTimeoutMs,
    log: log.child({ worker: true }),
    metrics,
    alerts,
    ...(deps.workerId !== undefined && { workerId: deps.workerId }),
    ...(deps.abortWaitMs !== undefined && { abortWaitMs: deps.abortWaitMs }),
  });

  let app: FastifyInstance | undefined;
  let url: string | undefined;
  try {
    // `listen` is always set for serve (it has a default) and optional for worker.
    const listen = config.listen as ServiceConfig['listen'] | undefined;
    if (listen !== undefined) {
      app = await buildServiceApp({
        store,
        metrics,
        log,
        ...(publisher !== undefined && { publisher }),
        ...(mode === 'serve' && { intake: intakeSettings(config), urlPolicy: urlPolicy(config), onEnqueued: () => worker.wake() }),
      });
      const address = await app.listen({ host: listen.host, port: listen.port });
      url = address;
    }
  } catch (err) {
    await app?.close();
    await publisher?.close();
    if (deps.store === undefined) await store.close();
    throw err;
  }
  worker.start();
  const watching = new AbortController();
  const watcher = mode === 'serve' ? startWatcher(config, store, log, watching.signal) : undefined;
  // Verdicts recorded but not logged: by a previous process that stopped in
  // between, or by `worker` processes sharing the store (they do not append).
  const reconcile = (): void => {
    publisher
      ?.reconcile(store, log)
      .catch((err: unknown) => log.error({ err }, 'finished jobs could not be checked for missing attestations'));
  };
  reconcile();
  const reconciling = publisher === undefined ? undefined : setInterval(reconcile, RECONCILE_MS);
  reconciling?.unref();
  log.info(
    {
      mode,
      url,
      workers: config.workers,
      store: config.database !== undefined ? 'postgresql' : 'sqlite',
      workerId: worker.id,
      ...(watcher !== undefined && { watching: config.watch.mirror }),
    },
    'service started',
  );

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      log.info('service stopping');
      clearInterval(reconciling);
      watching.abort();
      await watcher?.done;
      await app?.close();
      await worker.stop(config.shutdownGraceMs);
      await alerts.drain(config.alerts.timeoutMs);
      await publisher?.close();
      if (deps.store === undefined) await store.close();
      log.info('service stopped');
    })());
  return { url, app, store, worker, metrics, publisher, stop };
}
