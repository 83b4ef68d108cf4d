// The service's metrics, through prom-client, in Prometheus' text exposition
// format (version 0.0.4): the process's own (prom-client's default metrics,
// `process_*` and `nodejs_*`), `t2u_verify_build_info`, the counters and the
// histogram kept in this process, and the gauges read from the store at
// scrape time (the queue is shared by every worker process, so only the store
// knows it). Each ServiceMetrics has registries of its own, never
// prom-client's global one, so that several services in one process (the
// tests) keep their counts apart.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type LabelValues } from 'prom-client';
import { VERIFIER_VERSION } from '../../publish/verifier-facts.js';
import { VERIFY_VERDICTS } from '../../report/report.js';
import type { QueueDepth } from '../../store/store.js';

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * Bucket bounds of the verification duration, in seconds: a check that fails
 * at the signature takes well under a second, a full rebuild minutes, a slow
 * fetch of a large repository up to the job time limit.
 */
export const DURATION_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600] as const;

const ALERT_EVENTS = ['mismatch', 'rejected', 'alarm', 'unverifiable'] as const;
const ALERT_OUTCOMES = ['delivered', 'failed'] as const;

/**
 * A counter with one label, every value of which is exported at 0 before its
 * first event, so that a rate over it is defined from the start.
 */
function zeroedCounter<L extends string>(
  registers: Registry[],
  name: string,
  help: string,
  label: L,
  values: readonly string[],
): Counter<L> {
  const counter = new Counter<L>({ name, help, labelNames: [label], registers });
  for (const value of values) counter.inc({ [label]: value } as LabelValues<L>, 0);
  return counter;
}

export class ServiceMetrics {
  readonly #registry = new Registry();
  readonly #verdicts: Counter<'verdict'>;
  readonly #duration: Histogram;
  readonly #released: Counter;
  readonly #requests: Counter<'route' | 'status'>;
  readonly #alerts: Counter<'outcome'>;
  readonly #raised: Counter<'event'>;

  constructor() {
    const registers = [this.#registry];
    collectDefaultMetrics({ register: this.#registry });
    new Gauge({
      name: 't2u_verify_build_info',
      help: 'The running verifier: its version and the Node.js version; always 1.',
      labelNames: ['version', 'node'] as const,
      registers,
    }).set({ version: VERIFIER_VERSION, node: process.versions.node }, 1);
    this.#verdicts = zeroedCounter(
      registers,
      't2u_verify_verifications_total',
      'Verdicts recorded by the workers of this process.',
      'verdict',
      VERIFY_VERDICTS,
    );
    this.#duration = new Histogram({
      name: 't2u_verify_verification_duration_seconds',
      help: 'Time from claim to recorded verdict.',
      buckets: [...DURATION_BUCKETS],
      registers,
    });
    this.#released = new Counter({
      name: 't2u_verify_jobs_released_total',
      help: 'Jobs handed back to the queue for a later attempt.',
      registers,
    });
    this.#requests = new Counter({
      name: 't2u_verify_intake_requests_total',
      help: 'Webhook and API intake requests by route and status.',
      labelNames: ['route', 'status'] as const,
      registers,
    });
    this.#alerts = zeroedCounter(
      registers,
      't2u_verify_alerts_total',
      'Alert deliveries by outcome (after retries).',
      'outcome',
      ALERT_OUTCOMES,
    );
    this.#raised = zeroedCounter(
      registers,
      't2u_verify_alerts_raised_total',
      'Alerts raised by the workers of this process, by event.',
      'event',
      ALERT_EVENTS,
    );
  }

  /** A verdict recorded in the store (not counted when the lease was lost); its duration, when this worker ran it to the end. */
  verdict(verdict: string, durationMs?: number): void {
    this.#verdicts.inc({ verdict });
    if (durationMs !== undefined) this.#duration.observe(durationMs / 1000);
  }

  /** A job handed back to the queue (retry, shutdown, timeout). */
  released(): void {
    this.#released.inc();
  }

  /** An intake request answered: `route` is the route pattern, never the raw URL (bounded label values). */
  request(route: string, status: number): void {
    this.#requests.inc({ route, status: String(status) });
  }

  /** An alert raised by this process's workers (counted once, whatever the number of receivers). */
  alertRaised(event: string): void {
    this.#raised.inc({ event });
  }

  alert(outcome: (typeof ALERT_OUTCOMES)[number]): void {
    this.#alerts.inc({ outcome });
  }

  /**
   * The exposition text; `depth` is the store's answer, absent if the store
   * did not answer; `unverifiableArchive` the number of archive uploads whose
   * job ended `unverifiable`, absent likewise. The store's gauges live in a
   * registry made for this scrape, so an unknown value is absent rather than
   * a stale or zero one.
   */
  async render(depth: QueueDepth | undefined, unverifiableArchive?: number): Promise<string> {
    const scrape = new Registry();
    const registers = [scrape];
    const queue = new Gauge({
      name: 't2u_verify_queue_depth',
      help: 'Jobs in the store by state (all processes sharing it).',
      labelNames: ['state'] as const,
      registers,
    });
    if (depth !== undefined) for (const state of ['ready', 'delayed', 'running'] as const) queue.set({ state }, depth[state]);
    new Gauge({ name: 't2u_verify_store_up', help: 'Whether the store answered this scrape.', registers }).set(depth === undefined ? 0 : 1);
    const archive = new Gauge({
      name: 't2u_verify_unverifiable_archive_uploads',
      help: 'Archive uploads whose verification ended unverifiable (the whole store).',
      registers,
    });
    if (unverifiableArchive !== undefined) archive.set(unverifiableArchive);
    else scrape.removeSingleMetric('t2u_verify_unverifiable_archive_uploads');
    return `${await this.#registry.metrics()}\n${await scrape.metrics()}`;
  }
}
