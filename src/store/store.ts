// The store: the verification queue (jobs, leases, retries, verdicts) and the
// ledger of tag objects seen. One interface, two implementations: SQLite (a
// file under the data directory, the default) and PostgreSQL (several worker
// processes on several machines sharing one queue). Both enforce the same
// rules in the database itself, not in process memory:
// - a job is persisted once per idempotency key, and once per (repository,
//   tag, tag object); a request naming no object is collapsed with a pending
//   one for the same repository and tag;
// - at most one job per (repository, tag) is running at any time (a unique
//   partial index on running jobs): two runs of the same tag could race to
//   publish different verdicts;
// - a claim carries a fresh lease token; only the holder of the current token
//   may complete, fail or extend the job, so a worker that lost its lease
//   (its job reclaimed by another after expiry) cannot record a second verdict.
import type { ReasonCode } from '../report/reasons.js';

/** Where a request came from: a GitLab hook, the API, the archive watcher (stored, and shown by the API, as `source`). */
export type JobIntake = 'webhook' | 'api' | 'archive';

export type JobStatus = 'queued' | 'running' | 'done';

/** docs/architecture.md §2: the verdicts of `verify`, and `authentic` of `check-tag`. */
export type JobVerdict = 'reproduced' | 'equivalent' | 'mismatch' | 'rejected' | 'unverifiable' | 'authentic';

export const JOB_VERDICTS: readonly JobVerdict[] = ['reproduced', 'equivalent', 'mismatch', 'rejected', 'unverifiable', 'authentic'];

export interface EnqueueRequest {
  readonly repo: string;
  readonly tag: string;
  /** The tag object id, when the caller knows it (a webhook does; an API request by name may not). */
  readonly tagObject?: string;
  /** The upload to compare with (a .dsc path or URL). */
  readonly upload?: string;
  readonly intake: JobIntake;
  /** A delivery id (e.g. a webhook's): a redelivery with the same key creates no second job. */
  readonly idempotencyKey?: string;
  /** The Debian version, when known at intake; `complete` may fill it in later. */
  readonly version?: string;
}

export interface EnqueueResult {
  readonly id: string;
  /** False when an existing job was returned instead. */
  readonly created: boolean;
}

export interface Job {
  readonly id: string;
  readonly repo: string;
  readonly tag: string;
  readonly tagObject: string | null;
  readonly upload: string | null;
  readonly intake: JobIntake;
  readonly idempotencyKey: string | null;
  readonly version: string | null;
  /** The source package, once a report names it (filled in with the verdict). */
  readonly package: string | null;
  readonly status: JobStatus;
  /** Claims so far (a claim counts as an attempt even if its worker died). */
  readonly attempts: number;
  readonly maxAttempts: number;
  /** When a queued job becomes claimable (later than now while backing off). */
  readonly runAt: Date;
  readonly leaseOwner: string | null;
  readonly leaseExpiresAt: Date | null;
  readonly verdict: JobVerdict | null;
  /** The report JSON of the final attempt (docs/architecture.md §4), as given to `complete` or `fail`. */
  readonly report: unknown;
  /** Why the last attempt failed, if it did. */
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
}

/** A job held by a worker; `leaseToken` proves the hold on later calls. */
export interface ClaimedJob extends Job {
  readonly leaseToken: string;
}

export interface ClaimOptions {
  /** Identifies the worker (host and pid), shown in listings; not a credential. */
  readonly workerId: string;
  /** How many jobs to claim at most (the worker's free slots). */
  readonly limit: number;
  /** Lease length; defaults to the store's `leaseMs`. */
  readonly leaseMs?: number;
}

export interface CompleteInput {
  readonly verdict: JobVerdict;
  readonly report: unknown;
  readonly version?: string;
}

export interface FailInput {
  readonly error: string;
  /** True for causes that may pass later (fetch failures, timeouts): retried with backoff until maxAttempts. */
  readonly retryable: boolean;
  /** The report of the failed attempt, kept on a final failure. */
  readonly report?: unknown;
}

export type FailResult =
  { readonly outcome: 'retry'; readonly runAt: Date } | { readonly outcome: 'failed' } | { readonly outcome: 'lease-lost' };

export interface JobFilter {
  readonly status?: JobStatus;
  readonly intake?: JobIntake;
  readonly version?: string;
  readonly verdict?: JobVerdict;
  readonly repo?: string;
  /** The source package (indexed; known once a report names it). */
  readonly package?: string;
  /** The tag object (indexed: the archive watcher looks up every upload of a suite by it). */
  readonly tagObject?: string;
  /** Created at or after. */
  readonly since?: Date;
  /** Created before. */
  readonly until?: Date;
  /** Newest first; default 100, at most 1000. */
  readonly limit?: number;
  readonly offset?: number;
}

export interface QueueDepth {
  /** Queued and claimable now. */
  readonly ready: number;
  /** Queued, waiting for a retry time. */
  readonly delayed: number;
  readonly running: number;
}

/** The periods a summary counts verdicts by: UTC days, and ISO weeks (from Monday 00:00 UTC). */
export type SummaryPeriod = 'day' | 'week';

export interface SummaryQuery {
  readonly period: SummaryPeriod;
  /** Jobs finished at or after. */
  readonly since: Date;
  /** Jobs finished before. */
  readonly until: Date;
}

/** How many jobs finished with one verdict in one period. */
export interface SummaryCount {
  /** The period's first instant (UTC midnight; a Monday for weeks). */
  readonly start: Date;
  readonly verdict: JobVerdict;
  readonly count: number;
}

/** Each period's length in ms (UTC has no daylight saving time). */
export const PERIOD_MS: Readonly<Record<SummaryPeriod, number>> = { day: 86_400_000, week: 7 * 86_400_000 };
/** 1970-01-05, the first Monday after the epoch: weeks are counted from it. */
export const FIRST_MONDAY_MS = 4 * PERIOD_MS.day;

/** The start of the period that holds `at`: what both stores compute in SQL. */
export function periodStart(at: Date, period: SummaryPeriod): Date {
  const origin = period === 'day' ? 0 : FIRST_MONDAY_MS;
  const length = PERIOD_MS[period];
  return new Date(Math.floor((at.getTime() - origin) / length) * length + origin);
}

/** The start of the period after the one that starts at `start`. */
export function nextPeriod(start: Date, period: SummaryPeriod): Date {
  return new Date(start.getTime() + PERIOD_MS[period]);
}

export type AlarmCode = Extract<ReasonCode, 'TAG_REPLAYED' | 'TAG_MOVED' | 'UPSTREAM_TREE_CHANGED'>;

/** A ledger alarm: what was seen now contradicts what was seen before. */
export interface Alarm {
  readonly code: AlarmCode;
  readonly message: string;
  /** The earlier sighting that the new one contradicts. */
  readonly previous: {
    readonly repo?: string;
    readonly tagName?: string;
    readonly tagObject?: string;
    readonly upstreamCommit?: string;
    readonly upstreamTree?: string;
    readonly firstSeen: Date;
  };
}

export interface TagSighting {
  readonly repo: string;
  readonly tagName: string;
  readonly tagObject: string;
  /** The `upstream=` commit of the tag, and the tree it had when seen. */
  readonly upstreamCommit?: string;
  readonly upstreamTree?: string;
}

/**
 * The most of one attempt's log that is kept, as rebuilderd keeps at most
 * 10 MiB of a build log: beyond it, the middle is dropped and a line says so.
 */
export const MAX_ATTEMPT_LOG_BYTES = 10 * 1024 * 1024;

/** What one attempt at a job printed (src/server/queue/attempt-log.ts makes it). */
export interface AttemptLogInput {
  /** UTF-8 text, at most MAX_ATTEMPT_LOG_BYTES (bytes beyond are dropped by the store). */
  readonly text: string;
  /** Output was dropped to keep it within the cap (the text also says where). */
  readonly truncated: boolean;
}

export interface AttemptLog extends AttemptLogInput {
  readonly attempt: number;
  readonly createdAt: Date;
}

/** One attempt's log, without its text. */
export interface AttemptLogEntry {
  readonly attempt: number;
  readonly bytes: number;
  readonly truncated: boolean;
  readonly createdAt: Date;
}

/** The text as stored: within MAX_ATTEMPT_LOG_BYTES, cut at a character boundary. */
export function boundedLogText(text: string): string {
  if (Buffer.byteLength(text, 'utf8') <= MAX_ATTEMPT_LOG_BYTES) return text;
  return Buffer.from(text, 'utf8')
    .subarray(0, MAX_ATTEMPT_LOG_BYTES)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}

/** The outcome of one request of a batch: a job, or why this request (alone) failed. */
export type EnqueueOutcome = { readonly ok: true; readonly result: EnqueueResult } | { readonly ok: false; readonly error: Error };

export interface Store {
  enqueue(request: EnqueueRequest): Promise<EnqueueResult>;
  /**
   * Enqueues several requests in one durable commit (group commit: one fsync
   * for the batch instead of one per request), each with the rules of
   * `enqueue`; a request that fails does not fail the others. Optional: a
   * store whose commits are already shared by concurrent transactions
   * (PostgreSQL) need not have it.
   */
  enqueueMany?(requests: readonly EnqueueRequest[]): Promise<EnqueueOutcome[]>;
  /**
   * Claims up to `limit` jobs: queued ones whose run time has come, and running
   * ones whose lease expired (their worker died). Never two of the same
   * (repository, tag), and never one whose (repository, tag) is running.
   */
  claim(options: ClaimOptions): Promise<ClaimedJob[]>;
  /** Extends the lease; false if the lease was lost (stop work on the job). */
  heartbeat(id: string, leaseToken: string, leaseMs?: number): Promise<boolean>;
  /** Records the verdict; false (and nothing recorded) if the lease was lost. */
  complete(id: string, leaseToken: string, input: CompleteInput): Promise<boolean>;
  fail(id: string, leaseToken: string, input: FailInput): Promise<FailResult>;
  /**
   * Gives a job back without charging it an attempt and without a backoff:
   * queued again at once, its claim's attempt taken back. For a worker that
   * stops (shutdown) while the job runs, which says nothing about the job.
   * False (and nothing changed) if the lease was lost.
   */
  handBack(id: string, leaseToken: string, why: string): Promise<boolean>;
  get(id: string): Promise<Job | undefined>;
  list(filter?: JobFilter): Promise<Job[]>;
  depth(): Promise<QueueDepth>;
  /** How many jobs match (`limit` and `offset` are ignored). */
  count(filter?: JobFilter): Promise<number>;
  /**
   * Done jobs counted per period and verdict, by the time they finished
   * (an indexed range scan: the window bounds the work). Only the
   * (period, verdict) pairs that occur, in no particular order.
   */
  summary(query: SummaryQuery): Promise<SummaryCount[]>;
  /**
   * Records a tag object seen in a repository (docs/architecture.md §6) and returns the
   * alarms it raises against earlier sightings: the same object in another
   * repository (replay), another object under the same name in the same
   * repository (moved), another tree for the same upstream commit id.
   * Recording the same sighting again returns the same alarms.
   */
  recordTagSeen(sighting: TagSighting): Promise<Alarm[]>;
  /** Keeps what attempt `attempt` of job `id` printed (replacing an earlier log of that attempt: a handed-back attempt's number is used again). */
  putAttemptLog(id: string, attempt: number, log: AttemptLogInput): Promise<void>;
  getAttemptLog(id: string, attempt: number): Promise<AttemptLog | undefined>;
  /** The attempts of job `id` that have a log, in order. */
  attemptLogs(id: string): Promise<AttemptLogEntry[]>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Default lease length for claims and heartbeats. */
  readonly leaseMs?: number;
  /** Attempts before a job fails for good (a crashed attempt counts). */
  readonly maxAttempts?: number;
  /** First retry delay; doubles with each attempt up to `backoffMaxMs`. */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
}

export const STORE_DEFAULTS = {
  leaseMs: 5 * 60_000,
  maxAttempts: 5,
  backoffBaseMs: 30_000,
  backoffMaxMs: 6 * 3600_000,
} as const satisfies Required<StoreOptions>;

export function resolveOptions(options: StoreOptions | undefined): Required<StoreOptions> {
  return { ...STORE_DEFAULTS, ...options };
}

/**
 * The delay before retry number `attempts` (1 after the first failure):
 * exponential, capped, with up to 20% jitter so that jobs failed together by
 * one outage do not all return in the same instant.
 */
export function backoffMs(attempts: number, options: Required<StoreOptions>, random: () => number = Math.random): number {
  const exp = options.backoffBaseMs * 2 ** Math.max(0, attempts - 1);
  const capped = Math.min(exp, options.backoffMaxMs);
  return Math.round(capped * (1 + 0.2 * random()));
}

export const MAX_LIST_LIMIT = 1000;

/**
 * A Debian source package name (Debian Policy §5.6.1: lower case letters,
 * digits, `+`, `-` and `.`, at least two characters, starting with a letter
 * or digit), bounded.
 */
export const SOURCE_PACKAGE = /^[a-z0-9][a-z0-9+.-]{1,199}$/;

/**
 * The source package a report names (`source.package`), kept in its own
 * indexed column so that jobs can be listed by package; anything else than a
 * valid name is none.
 */
export function packageOf(report: unknown): string | null {
  const source = typeof report === 'object' && report !== null ? (report as { source?: unknown }).source : undefined;
  const name = typeof source === 'object' && source !== null ? (source as { package?: unknown }).package : undefined;
  return typeof name === 'string' && SOURCE_PACKAGE.test(name) ? name : null;
}

export function listLimit(filter: JobFilter | undefined): number {
  return Math.min(Math.max(1, filter?.limit ?? 100), MAX_LIST_LIMIT);
}

/** The message of an alarm, shared by both stores so they say the same thing. */
export function alarmMessage(code: AlarmCode, now: TagSighting, previous: Alarm['previous']): string {
  switch (code) {
    case 'TAG_REPLAYED':
      return `tag object ${now.tagObject} (${now.tagName}) in ${now.repo} was first seen in ${previous.repo ?? '?'} as ${previous.tagName ?? '?'}`;
    case 'TAG_MOVED':
      return `tag ${now.tagName} in ${now.repo} is now object ${now.tagObject}; it was ${previous.tagObject ?? '?'}`;
    case 'UPSTREAM_TREE_CHANGED':
      return `upstream commit ${now.upstreamCommit ?? '?'} now has tree ${now.upstreamTree ?? '?'}; it had ${previous.upstreamTree ?? '?'}`;
  }
}
