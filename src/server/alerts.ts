// Alerts: a verdict that says the archive holds something the tag does not
// justify (`mismatch`, `rejected`), a ledger alarm, or an archive upload still
// `unverifiable` after its retries is POSTed, as the stored report JSON, to
// every configured URL. Each URL is tried independently, with
// bounded retries and exponential backoff: network errors, timeouts, 5xx, 408
// and 429 are retried; another 4xx is the receiver refusing and is not.
// Deliveries are at least once per URL while the process lives (a receiver
// may see a retry of a delivery it did accept but could not acknowledge:
// `Idempotency-Key` lets it drop the copy); the verdict itself is in the store
// before any alert is sent, so a lost alert never loses a verdict.
//
// Every delivery is signed by the Standard Webhooks rules the intake verifies
// GitLab's signing token with (src/server/intake/webhook-auth.ts):
// `webhook-id` (the idempotency key, the same for each retry),
// `webhook-timestamp` (this attempt) and `webhook-signature: v1,<base64
// HMAC-SHA256 of "id.timestamp.body">`, one signature per configured secret.
// A receiver trusts an alert by its signature, without a secret in its URL.
import type { Logger } from 'pino';
import type { ServiceMetrics } from './api/metrics.js';
import { decodeSigningSecret, standardWebhookHeaders } from './intake/webhook-auth.js';

export interface AlertSettings {
  readonly urls: readonly string[];
  readonly retries: number;
  readonly backoffMs: number;
  readonly timeoutMs: number;
  /** `whsec_…` secrets the deliveries are signed with (several during a rotation); empty: unsigned. */
  readonly signingSecrets?: readonly string[];
}

/**
 * `unverifiable`: an upload found in the archive (a job of the archive
 * watcher) that is still unverifiable after its retries: an upload in Debian
 * that nobody has checked.
 */
export type AlertEvent = 'mismatch' | 'rejected' | 'alarm' | 'unverifiable';

export interface Alert {
  readonly jobId: string;
  readonly event: AlertEvent;
  /** The report as stored (with ledger alarms added). */
  readonly report: unknown;
}

const RETRYABLE_STATUS = (status: number): boolean => status >= 500 || status === 408 || status === 429;

export class AlertSender {
  readonly #settings: AlertSettings;
  readonly #metrics: ServiceMetrics | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #stop = new AbortController();
  readonly #keys: readonly Buffer[];
  readonly #now: () => number;

  constructor(settings: AlertSettings, metrics?: ServiceMetrics, now: () => number = Date.now) {
    this.#settings = settings;
    this.#metrics = metrics;
    this.#keys = (settings.signingSecrets ?? []).map(decodeSigningSecret);
    this.#now = now;
  }

  /** Starts delivery to every URL and returns at once; `drain` waits for deliveries under way. */
  send(alert: Alert, log: Logger): void {
    this.#metrics?.alertRaised(alert.event);
    const body = Buffer.from(JSON.stringify(alert.report), 'utf8');
    for (const url of this.#settings.urls) {
      const p = this.#deliver(url, alert, body, log).finally(() => this.#inFlight.delete(p));
      this.#inFlight.add(p);
    }
  }

  /** Waits for deliveries under way, up to `ms`; then cancels their remaining retries. */
  async drain(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([Promise.allSettled([...this.#inFlight]), timeout]);
    clearTimeout(timer);
    this.#stop.abort();
    await Promise.allSettled([...this.#inFlight]);
  }

  async #deliver(url: string, alert: Alert, body: Buffer, log: Logger): Promise<void> {
    const { retries, backoffMs, timeoutMs } = this.#settings;
    const target = new URL(url);
    // The URL may carry a secret (a chat hook's path); log only where it goes.
    const where = `${target.protocol}//${target.host}`;
    const id = `t2u-verify-job-${alert.jobId}-${alert.event}`;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (this.#stop.signal.aborted) break;
      let problem: string;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': id,
            't2u-verify-job': alert.jobId,
            't2u-verify-event': alert.event,
            // Signed per attempt: the timestamp is this attempt's, so a receiver's tolerance window holds for retries.
            ...(this.#keys.length > 0 && standardWebhookHeaders(this.#keys, id, this.#now(), body)),
          },
          body,
          signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.#stop.signal]),
          redirect: 'error',
        });
        await response.body?.cancel();
        if (response.ok) {
          log.info({ alert: where, event: alert.event, attempt: attempt + 1 }, 'alert delivered');
          this.#metrics?.alert('delivered');
          return;
        }
        problem = `HTTP ${response.status}`;
        if (!RETRYABLE_STATUS(response.status)) {
          log.error({ alert: where, event: alert.event, status: response.status }, 'alert refused by the receiver; not retried');
          this.#metrics?.alert('failed');
          return;
        }
      } catch (err) {
        problem = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err as Error).message;
      }
      const last = attempt === retries;
      log.warn(
        { alert: where, event: alert.event, attempt: attempt + 1, problem },
        last ? 'alert delivery failed' : 'alert delivery failed; will retry',
      );
      if (last) break;
      await sleep(backoffMs * 2 ** attempt, this.#stop.signal);
    }
    this.#metrics?.alert('failed');
    log.error({ alert: where, event: alert.event }, 'alert not delivered');
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
