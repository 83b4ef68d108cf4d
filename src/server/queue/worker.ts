// The worker loop: claims jobs from the store up to its concurrency, renews
// each job's lease while it runs, calls the verification with an AbortSignal,
// and records the outcome. Exactly one verdict per job is the store's doing
// (only the holder of the current lease token may record one); this loop's
// part is never to throw work away: a job it cannot finish (shutdown, its own
// time limit, an exception, a transient `unverifiable`) is handed back with
// `fail(retryable)`, and the store retries it with backoff, on this worker or
// another, until its attempts run out.
//
// An archive upload that ends `unverifiable` raises an alert too (see
// #alertUnverifiable).
//
// Order of the finish, so that a crash at any point loses nothing: the ledger
// is written first (recording the same sighting again returns the same
// alarms, so a retried job raises them again), then the verdict, then the
// alerts (sent only once the verdict is stored, and only by the worker whose
// verdict it is).
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { effectOf, REASONS, reason, type ReasonCode } from '../../report/reasons.js';
import { verifyVerdict, type VerifyReport } from '../../report/report.js';
import type { Alarm, ClaimedJob, Store } from '../../store/store.js';
import type { AlertSender } from '../alerts.js';
import type { ServiceMetrics } from '../api/metrics.js';
import { retryDecision } from './retry-rule.js';
import { AttemptLogBuffer } from './attempt-log.js';

/**
 * One verification: the pipeline, injected (src/server/queue/verify-job.ts makes the
 * real one, src/server/queue/job-process.ts runs it in a child process); `close`
 * ends what it holds once the workers have stopped.
 */
export type VerifyJob = ((
  req: { repo: string; tag: string; tagObject?: string; upload?: string },
  ctx: {
    signal: AbortSignal;
    log: Logger;
    /** Receives what the verification prints (progress, sandboxed commands' output): the attempt's log. */
    output?: (text: string) => void;
  },
) => Promise<VerifyReport>) & { close?: () => Promise<void> };

/** The report as stored: the pipeline's, with the ledger's alarms. */
export type StoredReport = VerifyReport & { alarms?: Alarm[] };

export interface WorkerOptions {
  readonly store: Store;
  readonly verifyJob: VerifyJob;
  /** Jobs run at once. */
  readonly concurrency: number;
  readonly leaseMs: number;
  /** How often an idle worker asks for work; `wake()` asks at once. */
  readonly pollMs: number;
  /** Wall-clock limit of one job; beyond it the job is aborted and handed back. */
  readonly jobTimeoutMs: number;
  readonly log: Logger;
  readonly metrics?: ServiceMetrics;
  readonly alerts?: AlertSender;
  /** Shown in job listings; defaults to host, pid and a random suffix. */
  readonly workerId?: string;
  /**
   * After aborting a job, how long to wait for the verification to stop
   * before the job is handed back anyway (its late result is then refused by
   * the store: the lease token is no longer current).
   */
  readonly abortWaitMs?: number;
}

type StopReason = 'shutdown' | 'timeout' | 'lease-lost';

interface Running {
  readonly job: ClaimedJob;
  readonly controller: AbortController;
  stopReason: StopReason | undefined;
  /** Gives up waiting for the verification (it ignored the abort). */
  force: () => void;
  readonly done: Promise<void>;
}

export class Worker {
  readonly id: string;
  readonly #o: WorkerOptions;
  readonly #running = new Set<Running>();
  #stopping = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  /**
   * A wake-up that came while no idle wait was pending (a claim was in
   * flight, or a job was being started): the next wait ends at once, as the
   * job queued or the slot freed meanwhile may not have been seen by that claim.
   */
  #woken = false;

  constructor(options: WorkerOptions) {
    this.#o = options;
    this.id = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  }

  /** Jobs running now. */
  get running(): number {
    return this.#running.size;
  }

  start(): void {
    if (this.#loop !== undefined) return;
    if (this.#o.concurrency < 1) return;
    this.#loop = this.#run();
  }

  /** Asks for work now (a job was just queued in this process, or one finished). */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  /**
   * Graceful stop: claim nothing more; let running jobs finish within
   * `graceMs`; then abort them, and hand back to the queue those that do not
   * finish, for another worker to take.
   */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    this.wake();
    await this.#loop;
    const all = (): Promise<unknown> => Promise.allSettled([...this.#running].map((r) => r.done));
    if (this.#running.size > 0) {
      this.#o.log.info({ running: this.#running.size, graceMs }, 'stopping: waiting for running verifications');
      if (!(await within(all(), graceMs))) {
        for (const r of this.#running) this.#abort(r, 'shutdown');
        if (!(await within(all(), this.#o.abortWaitMs ?? 5_000))) for (const r of this.#running) r.force();
      }
      await all();
    }
    this.#o.log.info('worker stopped');
  }

  async #run(): Promise<void> {
    const { store, concurrency, leaseMs, pollMs, log } = this.#o;
    while (!this.#stopping) {
      const free = concurrency - this.#running.size;
      let claimed = 0;
      // What was queued before this claim, it sees; a wake from now on asks again.
      this.#woken = false;
      if (free > 0) {
        try {
          const jobs = await store.claim({ workerId: this.id, limit: free, leaseMs });
          claimed = jobs.length;
          for (const job of jobs) this.#start(job);
        } catch (err) {
          log.error({ err }, 'claim failed; will retry');
        }
      }
      // Claimed as many as asked: there may be more, ask again at once.
      if (free > 0 && claimed === free) continue;
      await this.#idle(pollMs);
    }
  }

  #idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
      if (this.#stopping || this.#woken) done();
    });
  }

  #abort(r: Running, why: StopReason): void {
    if (r.stopReason !== undefined) return;
    r.stopReason = why;
    r.controller.abort(new Error(`verification aborted: ${why}`));
  }

  #start(job: ClaimedJob): void {
    const log = this.#o.log.child({ job: job.id, repo: job.repo, tag: job.tag, attempt: job.attempts });
    const controller = new AbortController();
    let force!: () => void;
    const forced = new Promise<never>((_, reject) => {
      force = () => reject(new Error('the verification did not stop after abort'));
    });
    const entry: Running = { job, controller, stopReason: undefined, force, done: Promise.resolve() };
    (entry as { done: Promise<void> }).done = this.#execute(entry, forced, log)
      .catch((err: unknown) => log.error({ err }, 'job handling failed; the lease will expire and the job be retried'))
      .finally(() => {
        this.#running.delete(entry);
        this.wake();
      });
    this.#running.add(entry);
  }

  async #execute(r: Running, forced: Promise<never>, log: Logger): Promise<void> {
    const { store, leaseMs, jobTimeoutMs, verifyJob } = this.#o;
    const { job } = r;
    const started = performance.now();
    log.info({ tagObject: job.tagObject, upload: job.upload }, 'verification started');
    // Renew the lease well before it runs out; a refused renewal means another
    // worker took the job (this one stalled past the lease): stop working on it.
    const heartbeat = setInterval(
      () => {
        store.heartbeat(job.id, job.leaseToken, leaseMs).then(
          (ok) => {
            if (!ok) {
              log.warn('lease lost: another worker has the job');
              this.#abort(r, 'lease-lost');
            }
          },
          (err: unknown) => log.warn({ err }, 'lease renewal failed; will try again'),
        );
      },
      Math.max(100, Math.floor(leaseMs / 3)),
    );
    const timeout = setTimeout(() => {
      log.warn({ jobTimeoutMs }, 'verification took too long: aborting');
      this.#abort(r, 'timeout');
    }, jobTimeoutMs);

    let report: VerifyReport | undefined;
    let error: unknown;
    const output = new AttemptLogBuffer();
    output.append(
      `[t2u-verify] attempt ${job.attempts} at job ${job.id} (${job.repo} ${job.tag}) by worker ${this.id}, ${new Date().toISOString()}\n`,
    );
    try {
      const request = {
        repo: job.repo,
        tag: job.tag,
        ...(job.tagObject !== null && { tagObject: job.tagObject }),
        ...(job.upload !== null && { upload: job.upload }),
      };
      report = await Promise.race([
        verifyJob(request, { signal: r.controller.signal, log, output: (text) => output.append(text) }),
        forced,
      ]);
    } catch (err) {
      error = err;
    } finally {
      clearInterval(heartbeat);
      clearTimeout(timeout);
    }
    // Stop silently forced promise rejections from surfacing later.
    forced.catch(() => undefined);
    output.append(
      `[t2u-verify] ${attemptEnd(r.stopReason, report, error)}, after ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
    // Kept before the outcome is recorded, so that a finished job's log is there; a log that cannot be kept loses nothing else.
    await store
      .putAttemptLog(job.id, job.attempts, output.finish())
      .catch((err: unknown) => log.warn({ err }, "the attempt's log could not be kept"));

    if (r.stopReason === 'lease-lost') {
      log.warn('result dropped: the job belongs to another worker now');
      return;
    }
    // A shutdown says nothing about the job: it goes back at once, its attempt not counted.
    if (r.stopReason === 'shutdown') return this.#handBack(r, 'aborted: shutdown', log);
    // Past the job's time limit: its result says more about the limit than about the tag; counted, with backoff.
    if (r.stopReason !== undefined) return this.#release(r, `aborted: ${r.stopReason}`, log);
    if (report === undefined) return this.#release(r, `verification failed: ${describe(error)}`, log, error);

    const decision = retryDecision(report);
    const final = job.attempts >= job.maxAttempts;
    if (decision.retryable && !final) {
      return this.#release(r, `unverifiable (${decision.codes.join(', ')})`, log, undefined, report);
    }
    await this.#finish(r, report, performance.now() - started, log);
  }

  async #handBack(r: Running, why: string, log: Logger): Promise<void> {
    if (await this.#o.store.handBack(r.job.id, r.job.leaseToken, why)) {
      this.#o.metrics?.released();
      log.info({ why }, 'job handed back, its attempt not counted');
    } else {
      log.warn({ why }, 'could not hand the job back: the lease was lost');
    }
  }

  async #release(r: Running, why: string, log: Logger, err?: unknown, report?: VerifyReport): Promise<void> {
    const { id, leaseToken } = r.job;
    const result = await this.#o.store.fail(id, leaseToken, { error: why, retryable: true, ...(report !== undefined && { report }) });
    const fields = { why, ...(err !== undefined && { err }), ...(report !== undefined && { verdict: report.verdict }) };
    switch (result.outcome) {
      case 'retry':
        this.#o.metrics?.released();
        log.info({ ...fields, runAt: result.runAt.toISOString() }, 'job handed back for a later attempt');
        return;
      case 'failed':
        // The store recorded `unverifiable` after the last attempt.
        this.#o.metrics?.verdict('unverifiable');
        log.warn({ ...fields, verdict: 'unverifiable' }, 'job failed for good: attempts exhausted');
        this.#alertUnverifiable(
          r.job,
          report ?? { verdict: 'unverifiable', repo: r.job.repo, tag: { name: r.job.tag }, upload: r.job.upload, error: why },
          log,
        );
        return;
      case 'lease-lost':
        log.warn(fields, 'could not hand the job back: the lease was lost');
        return;
    }
  }

  async #finish(r: Running, report: VerifyReport, durationMs: number, baseLog: Logger): Promise<void> {
    const { store, metrics, alerts } = this.#o;
    const { job } = r;
    const vlog = baseLog.child({ verdict: report.verdict });
    let alarms: Alarm[] = [];
    const tagObject = report.tag.object;
    if (tagObject !== undefined) {
      alarms = await store.recordTagSeen({
        repo: job.repo,
        tagName: report.tag.name || job.tag,
        tagObject,
        // The upstream= commit and its tree: the same commit id with another tree is UPSTREAM_TREE_CHANGED.
        ...(report.source.upstreamCommit !== undefined && report.source.upstreamTree !== undefined
          ? { upstreamCommit: report.source.upstreamCommit, upstreamTree: report.source.upstreamTree }
          : {}),
      });
      for (const a of alarms) vlog.warn({ alarm: a.code, previous: a.previous }, a.message);
    }
    const stored: StoredReport = alarms.length === 0 ? report : withAlarms(report, alarms);
    const verdict = stored.verdict;
    const log = verdict === report.verdict ? vlog : baseLog.child({ verdict });
    const ok = await store.complete(job.id, job.leaseToken, {
      verdict,
      report: stored,
      ...(report.source.version !== undefined && { version: report.source.version }),
    });
    if (!ok) {
      log.warn('verdict not recorded: the lease was lost (another worker records its own)');
      return;
    }
    metrics?.verdict(verdict, durationMs);
    log.info({ durationMs: Math.round(durationMs), reasons: stored.reasons.map((x) => x.code) }, 'verification done');
    const event = verdict === 'mismatch' || verdict === 'rejected' ? verdict : alarms.length > 0 ? 'alarm' : undefined;
    if (event !== undefined) alerts?.send({ jobId: job.id, event, report: stored }, log);
    // A recorded `unverifiable` is final: its reasons are permanent, or this was the last attempt.
    else if (verdict === 'unverifiable') this.#alertUnverifiable(job, stored, log);
  }

  /**
   * An upload the archive holds (a job of the archive watcher) that stays
   * unverifiable after its retries is an upload in Debian that nobody has
   * checked: it raises an alert of its own kind. Other jobs name uploads that
   * may never exist (a tag tag2upload refused), so they do not.
   */
  #alertUnverifiable(job: ClaimedJob, report: unknown, log: Logger): void {
    if (job.intake !== 'archive') return;
    log.error({ verdict: 'unverifiable', upload: job.upload }, 'an archive upload is unverifiable after its retries');
    this.#o.alerts?.send({ jobId: job.id, event: 'unverifiable', report }, log);
  }
}

/**
 * The report with the ledger's alarms, in full and as reasons: an alarm whose
 * code is a `note` (TAG_REPLAYED, TAG_MOVED: a fork or a re-pushed tag may be
 * innocent) joins the notes; one that is not (UPSTREAM_TREE_CHANGED) joins the
 * reasons and takes part in the verdict.
 */
function withAlarms(report: VerifyReport, alarms: Alarm[]): StoredReport {
  const known = alarms.filter((a) => a.code in REASONS).map((a) => reason(a.code as ReasonCode, a.message));
  const notes = known.filter((r) => effectOf(r) === 'note');
  const reasons = known.filter((r) => effectOf(r) !== 'note');
  const all = [...report.reasons, ...reasons];
  const verdict = reasons.length === 0 ? report.verdict : verifyVerdict(all, report.verdict === 'equivalent');
  return { ...report, verdict, reasons: all, notes: [...report.notes, ...notes], alarms };
}

/** The attempt log's last line. */
function attemptEnd(stopReason: StopReason | undefined, report: VerifyReport | undefined, error: unknown): string {
  if (stopReason !== undefined) return `stopped: ${stopReason}`;
  if (report === undefined) return `failed: ${describe(error)}`;
  const codes = report.reasons.map((x) => x.code);
  return `verdict ${report.verdict}${codes.length > 0 ? ` (${codes.join(', ')})` : ''}`;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const r = await Promise.race([p.then(() => true as const), t]);
  clearTimeout(timer);
  return r;
}
