// The service's metrics in Prometheus' text exposition format (version
// 0.0.4): counters and a histogram kept in this process, the queue depth read
// from the store at scrape time (it is shared by every worker process, so only
// the store knows it). Written by hand: four families do not need a client
// library.
import { VERIFY_VERDICTS } from '../../report/report.js';
import type { QueueDepth } from '../../store/store.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Bucket bounds of the verification duration, in seconds: a check that fails
 * at the signature takes well under a second, a full rebuild minutes, a slow
 * fetch of a large repository up to the job time limit.
 */
export const DURATION_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600] as const;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

export class ServiceMetrics {
  readonly #verdicts = new Map<string, number>(VERIFY_VERDICTS.map((v) => [v, 0]));
  readonly #durationCounts: number[] = DURATION_BUCKETS.map(() => 0);
  #durationSum = 0;
  #durationCount = 0;
  readonly #requests = new Map<string, { route: string; status: string; n: number }>();
  readonly #alerts = new Map<string, number>([['delivered', 0], ['failed', 0]]);
  readonly #raised = new Map<string, number>(['mismatch', 'rejected', 'alarm', 'unverifiable'].map((e) => [e, 0]));
  #released = 0;

  /** A verdict recorded in the store (not counted when the lease was lost); its duration, when this worker ran it to the end. */
  verdict(verdict: string, durationMs?: number): void {
    this.#verdicts.set(verdict, (this.#verdicts.get(verdict) ?? 0) + 1);
    if (durationMs === undefined) return;
    const s = durationMs / 1000;
    for (let i = 0; i < DURATION_BUCKETS.length; i++) if (s <= DURATION_BUCKETS[i]!) this.#durationCounts[i]!++;
    this.#durationSum += s;
    this.#durationCount++;
  }

  /** A job handed back to the queue (retry, shutdown, timeout). */
  released(): void {
    this.#released++;
  }

  /** An intake request answered: `route` is the route pattern, never the raw URL (bounded label values). */
  request(route: string, status: number): void {
    const key = `${route} ${status}`;
    const e = this.#requests.get(key);
    if (e) e.n++;
    else this.#requests.set(key, { route, status: String(status), n: 1 });
  }

  /** An alert raised by this process's workers (counted once, whatever the number of receivers). */
  alertRaised(event: string): void {
    this.#raised.set(event, (this.#raised.get(event) ?? 0) + 1);
  }

  alert(outcome: 'delivered' | 'failed'): void {
    this.#alerts.set(outcome, (this.#alerts.get(outcome) ?? 0) + 1);
  }

  /**
   * The exposition text; `depth` is the store's answer, absent if the store
   * did not answer; `unverifiableArchive` the number of archive uploads whose
   * job ended `unverifiable`.
   */
  render(depth: QueueDepth | undefined, unverifiableArchive?: number): string {
    const out: string[] = [];
    out.push('# HELP t2u_verify_verifications_total Verdicts recorded by the workers of this process.');
    out.push('# TYPE t2u_verify_verifications_total counter');
    for (const [verdict, n] of this.#verdicts) out.push(`t2u_verify_verifications_total${labels({ verdict })} ${n}`);

    out.push('# HELP t2u_verify_verification_duration_seconds Time from claim to recorded verdict.');
    out.push('# TYPE t2u_verify_verification_duration_seconds histogram');
    DURATION_BUCKETS.forEach((le, i) =>
      out.push(`t2u_verify_verification_duration_seconds_bucket${labels({ le: String(le) })} ${this.#durationCounts[i]}`),
    );
    out.push(`t2u_verify_verification_duration_seconds_bucket${labels({ le: '+Inf' })} ${this.#durationCount}`);
    out.push(`t2u_verify_verification_duration_seconds_sum ${this.#durationSum}`);
    out.push(`t2u_verify_verification_duration_seconds_count ${this.#durationCount}`);

    out.push('# HELP t2u_verify_jobs_released_total Jobs handed back to the queue for a later attempt.');
    out.push('# TYPE t2u_verify_jobs_released_total counter');
    out.push(`t2u_verify_jobs_released_total ${this.#released}`);

    out.push('# HELP t2u_verify_queue_depth Jobs in the store by state (all processes sharing it).');
    out.push('# TYPE t2u_verify_queue_depth gauge');
    if (depth !== undefined) {
      for (const state of ['ready', 'delayed', 'running'] as const) out.push(`t2u_verify_queue_depth${labels({ state })} ${depth[state]}`);
    }
    out.push('# HELP t2u_verify_store_up Whether the store answered this scrape.');
    out.push('# TYPE t2u_verify_store_up gauge');
    out.push(`t2u_verify_store_up ${depth === undefined ? 0 : 1}`);

    out.push('# HELP t2u_verify_intake_requests_total Webhook and API intake requests by route and status.');
    out.push('# TYPE t2u_verify_intake_requests_total counter');
    for (const { route, status, n } of this.#requests.values()) out.push(`t2u_verify_intake_requests_total${labels({ route, status })} ${n}`);

    out.push('# HELP t2u_verify_alerts_total Alert deliveries by outcome (after retries).');
    out.push('# TYPE t2u_verify_alerts_total counter');
    for (const [outcome, n] of this.#alerts) out.push(`t2u_verify_alerts_total${labels({ outcome })} ${n}`);

    out.push('# HELP t2u_verify_alerts_raised_total Alerts raised by the workers of this process, by event.');
    out.push('# TYPE t2u_verify_alerts_raised_total counter');
    for (const [event, n] of this.#raised) out.push(`t2u_verify_alerts_raised_total${labels({ event })} ${n}`);

    out.push('# HELP t2u_verify_unverifiable_archive_uploads Archive uploads whose verification ended unverifiable (the whole store).');
    out.push('# TYPE t2u_verify_unverifiable_archive_uploads gauge');
    if (unverifiableArchive !== undefined) out.push(`t2u_verify_unverifiable_archive_uploads ${unverifiableArchive}`);
    return `${out.join('\n')}\n`;
  }
}
