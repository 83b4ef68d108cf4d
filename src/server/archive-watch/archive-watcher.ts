// The archive watcher: finds every tag2upload upload in a Debian mirror and
// queues it for verification, so that uploads are verified even where no
// webhook is installed. One poll, per suite: fetch the Sources index when its
// InRelease changed (verified against the archive keyring), take the entries
// with Git-Tag-Info, and queue each upload not seen before, after reading its
// tag from both dgit-repos and Vcs-Git; then reconcile the index with the
// store. The loop repeats polls with jitter, backs off after failures, and
// never lets a failure escape: each is logged with a code.
import type { UrlPolicy } from '../../net/url-policy.js';
import { reason, type Reason, type ReasonCode } from '../../report/reasons.js';
import { isVerificationError, VerificationError } from '../../report/verification-error.js';
import type { Store } from '../../store/store.js';
import { tag2uploadEntries, type SourcesIndex } from '../../upload/index.js';
import { archiveIdempotencyKey, archiveJobsFor, archiveUploadOf, uploadIdentity, type ArchiveUpload } from './archive-entry.js';
import { fetchIndexIfChanged, type IndexCursor } from './archive-index-fetch.js';
import { reconcile, type Reconciliation } from './archive-reconcile.js';
import {
  checkTagCopies,
  describeCopies,
  remoteTagRefReader,
  REF_READ_DEFAULTS,
  type RepoUrlRewrite,
  type TagCopy,
  type TagRefReader,
} from '../intake/tag-copies.js';

/** A pino-style logger (fastify's `log` fits). */
export interface WatcherLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const SILENT_LOG: WatcherLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface ArchiveWatcherOptions {
  readonly store: Store;
  /** The mirror, e.g. https://deb.debian.org/debian. */
  readonly mirror: string;
  /** Default ['unstable']. */
  readonly suites?: readonly string[];
  /** Default main. */
  readonly component?: string;
  /** Default /usr/share/keyrings/debian-archive-keyring.gpg. */
  readonly archiveKeyring?: string;
  readonly allowExpiredRelease?: boolean;
  /** Default: https only. */
  readonly policy?: UrlPolicy;
  /**
   * Rewrites of repository URLs for reading tags (see tag-copies.ts): e.g.
   * `{from: 'https://git.dgit.debian.org/', to: 'https://dgit-mirror.example/'}`.
   * Jobs keep the URLs the archive names. Empty by default: nothing is rewritten.
   */
  readonly repoUrlMap?: readonly RepoUrlRewrite[];
  /** Read the tag from dgit-repos and Vcs-Git before queueing. Default true. */
  readonly checkTagCopies?: boolean;
  /** Limits per repository read. */
  readonly refTimeoutMs?: number;
  readonly maxRefsBytes?: number;
  /** Replaces the ref reader (defaults to the fetch stage's remote adapter). */
  readonly tagRefReader?: TagRefReader;
  /** Uploads checked at once. Default 4. */
  readonly concurrency?: number;
  /** Time limit for one suite's InRelease and Sources.xz. Default 5 minutes. */
  readonly indexTimeoutMs?: number;
  /** Reconcile each suite after the poll. Default true. */
  readonly reconcile?: boolean;
  /** See archive-reconcile.ts. Default 24 h. */
  readonly pendingBoundMs?: number;
  readonly log?: WatcherLog;
  readonly now?: () => Date;
}

/** A failure of one suite's poll, by reason code (STORE_FAILED and INTERNAL_ERROR for the service's own failures). */
export interface WatcherFailure {
  readonly code: ReasonCode;
  readonly message: string;
}

export interface QueuedUpload {
  readonly jobId: string;
  readonly source: string;
  readonly version: string;
  readonly tag: string;
  readonly tagObject: string;
  readonly repo: string;
  readonly upload: string;
}

export interface CopiesDiscrepancy {
  readonly reason: Reason;
  readonly source: string;
  readonly version: string;
  readonly tag: string;
  readonly tagObject: string;
  readonly copies: readonly TagCopy[];
}

export interface CopyNote {
  readonly source: string;
  readonly version: string;
  readonly copy: TagCopy;
}

export interface SuitePoll {
  readonly suite: string;
  /** `unchanged`: the InRelease is the one processed last (or the mirror said 304). */
  readonly status: 'changed' | 'unchanged' | 'failed';
  /** Unchanged because the mirror answered 304 Not Modified (rather than the same bytes). */
  readonly notModified?: boolean;
  readonly error?: WatcherFailure;
  /** Entries with Git-Tag-Info in the index (changed), or kept from the last one (unchanged). */
  readonly uploads: number;
  /** Jobs created by this poll. */
  readonly enqueued: readonly QueuedUpload[];
  /** Uploads a job already existed for. */
  readonly known: number;
  readonly discrepancies: readonly CopiesDiscrepancy[];
  /** Copies that could not be read: not an alarm. */
  readonly notes: readonly CopyNote[];
  readonly warnings: readonly string[];
  readonly reconciliation?: Reconciliation;
}

export interface PollResult {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly suites: readonly SuitePoll[];
}

/** What the watcher remembers between polls (in memory; the store holds the jobs). */
export interface WatcherState {
  readonly cursors: Map<string, IndexCursor>;
  /** The tag2upload entries of the last index processed, per suite. */
  readonly indexes: Map<string, Pick<SourcesIndex, 'mirror' | 'suite' | 'entries'>>;
  /** uploadIdentity of uploads a job exists for. */
  readonly queued: Set<string>;
  /** uploadIdentity of uploads with a done job. */
  readonly verified: Set<string>;
}

export function newWatcherState(): WatcherState {
  return { cursors: new Map(), indexes: new Map(), queued: new Set(), verified: new Set() };
}

/** A poll's failure by reason code: the verification's own code, STORE_FAILED for the store, INTERNAL_ERROR for anything else. */
export function watcherFailureOf(e: unknown): WatcherFailure {
  if (isVerificationError(e)) return { code: e.code, message: e.message };
  return { code: 'INTERNAL_ERROR', message: e instanceof Error ? e.message : String(e) };
}

async function storeCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new VerificationError('STORE_FAILED', `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

interface SuiteWork {
  enqueued: QueuedUpload[];
  known: number;
  discrepancies: CopiesDiscrepancy[];
  notes: CopyNote[];
}

async function queueUpload(
  u: ArchiveUpload,
  o: ArchiveWatcherOptions,
  state: WatcherState,
  read: TagRefReader,
  work: SuiteWork,
): Promise<void> {
  const log = o.log ?? SILENT_LOG;
  const id = uploadIdentity(u);
  if (state.queued.has(id)) {
    work.known++;
    return;
  }
  if ((await storeCall('listing jobs', () => archiveJobsFor(o.store, u))).length > 0) {
    state.queued.add(id);
    work.known++;
    return;
  }
  let repo = u.dgitRepo;
  if (o.checkTagCopies ?? true) {
    const check = await checkTagCopies(u, read, o.repoUrlMap ?? []);
    repo = check.repo;
    for (const copy of check.copies.filter((c) => c.state === 'unreachable')) {
      work.notes.push({ source: u.source, version: u.version, copy });
      log.info(
        { source: u.source, version: u.version, role: copy.role, url: copy.url, code: copy.error?.code },
        `tag copy not read: ${copy.error?.message ?? '?'}`,
      );
    }
    if (check.differ) {
      const r = reason('TAG_COPIES_DIFFER', describeCopies(u, check));
      work.discrepancies.push({
        reason: r,
        source: u.source,
        version: u.version,
        tag: u.tag,
        tagObject: u.tagObject,
        copies: check.copies,
      });
      log.warn({ code: r.code, source: u.source, version: u.version, tag: u.tag, tagObject: u.tagObject, copies: check.copies }, r.message);
    }
  }
  const result = await storeCall('enqueue', () =>
    o.store.enqueue({
      repo,
      tag: u.tag,
      tagObject: u.tagObject,
      upload: u.upload,
      intake: 'archive',
      version: u.version,
      idempotencyKey: archiveIdempotencyKey(u),
    }),
  );
  state.queued.add(id);
  if (!result.created) {
    work.known++;
    return;
  }
  const queued = { jobId: result.id, source: u.source, version: u.version, tag: u.tag, tagObject: u.tagObject, repo, upload: u.upload };
  work.enqueued.push(queued);
  log.info({ ...queued, suite: u.suite }, 'archive upload queued for verification');
}

async function pollSuite(
  suite: string,
  o: ArchiveWatcherOptions,
  state: WatcherState,
  read: TagRefReader,
  signal: AbortSignal | undefined,
): Promise<SuitePoll> {
  const log = o.log ?? SILENT_LOG;
  const work: SuiteWork = { enqueued: [], known: 0, discrepancies: [], notes: [] };
  const previous = state.cursors.get(suite);
  let status: SuitePoll['status'];
  let notModified = false;
  let warnings: readonly string[] = [];
  try {
    const fetched = await fetchIndexIfChanged({
      mirror: o.mirror,
      suite,
      ...(o.component !== undefined ? { component: o.component } : {}),
      ...(o.archiveKeyring !== undefined ? { archiveKeyring: o.archiveKeyring } : {}),
      ...(o.allowExpiredRelease ? { allowExpiredRelease: true } : {}),
      policy: o.policy ?? { allowHttpLoopback: false },
      ...(o.indexTimeoutMs !== undefined ? { timeoutMs: o.indexTimeoutMs } : {}),
      ...(signal ? { signal } : {}),
      ...(previous ? { previous } : {}),
      ...(o.now ? { now: o.now } : {}),
    });
    if (fetched.changed) {
      status = 'changed';
      warnings = fetched.index.warnings;
      for (const w of warnings) log.warn({ suite }, w);
      const entries = tag2uploadEntries(fetched.index);
      const uploads = entries.map((e) => archiveUploadOf(fetched.index, e)).filter((u): u is ArchiveUpload => u !== undefined);
      await pool(uploads, o.concurrency ?? 4, async (u) => {
        if (signal?.aborted) return;
        await queueUpload(u, o, state, read, work);
      });
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('stopped');
      // Only an index processed to the end moves the cursor: a failed poll is redone in full.
      state.indexes.set(suite, { mirror: fetched.index.mirror, suite, entries });
    } else {
      status = 'unchanged';
      notModified = fetched.notModified;
    }
    state.cursors.set(suite, fetched.cursor);
  } catch (e) {
    const error = watcherFailureOf(e);
    log.error({ suite, code: error.code }, `archive poll of ${suite} failed: ${error.message}`);
    return { suite, status: 'failed', error, uploads: 0, ...work, warnings };
  }
  const index = state.indexes.get(suite);
  let reconciliation: Reconciliation | undefined;
  if ((o.reconcile ?? true) && index !== undefined) {
    try {
      reconciliation = await reconcile(o.store, index, {
        verifiedCache: state.verified,
        ...(o.pendingBoundMs !== undefined ? { pendingBoundMs: o.pendingBoundMs } : {}),
        ...(o.now ? { now: o.now } : {}),
      });
      if (reconciliation.unverified.length > 0) {
        log.warn(
          { suite, unverified: reconciliation.unverified.length, uploads: reconciliation.uploads },
          `${reconciliation.unverified.length} tag2upload uploads in ${suite} have no finished verification`,
        );
      }
    } catch (e) {
      const error: WatcherFailure = { code: 'STORE_FAILED', message: `reconciliation: ${e instanceof Error ? e.message : String(e)}` };
      log.error({ suite, code: error.code }, error.message);
      return { suite, status: 'failed', error, uploads: index.entries.length, ...work, warnings };
    }
  }
  return {
    suite,
    status,
    ...(notModified ? { notModified } : {}),
    uploads: index?.entries.length ?? 0,
    ...work,
    warnings,
    ...(reconciliation ? { reconciliation } : {}),
  };
}

/** One poll of every configured suite. Never throws: a suite's failure is in its result. */
export async function pollArchive(
  options: ArchiveWatcherOptions,
  state: WatcherState = newWatcherState(),
  signal?: AbortSignal,
): Promise<PollResult> {
  const now = options.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const read =
    options.tagRefReader ??
    remoteTagRefReader(options.policy ?? { allowHttpLoopback: false }, {
      timeoutMs: options.refTimeoutMs ?? REF_READ_DEFAULTS.timeoutMs,
      maxRefsBytes: options.maxRefsBytes ?? REF_READ_DEFAULTS.maxRefsBytes,
    });
  const suites: SuitePoll[] = [];
  for (const suite of options.suites ?? ['unstable']) {
    if (signal?.aborted) break;
    suites.push(await pollSuite(suite, options, state, read, signal));
  }
  return { startedAt, finishedAt: now().toISOString(), suites };
}

export interface ArchiveWatcherLoopOptions extends ArchiveWatcherOptions {
  /** Time between polls. */
  readonly intervalMs: number;
  /** Stops the loop (and the poll under way). */
  readonly signal: AbortSignal;
  /** First delay after a failed poll; doubles per consecutive failure. Default min(60 s, intervalMs). */
  readonly retryMs?: number;
  /** Cap on that delay. Default max(intervalMs, 1 h). */
  readonly maxBackoffMs?: number;
  /** Fraction of each delay drawn at random either way. Default 0.1. */
  readonly jitter?: number;
  readonly random?: () => number;
  /** Called after each poll. */
  readonly onPoll?: (result: PollResult) => void;
}

export interface ArchiveWatcher {
  /** Resolves when the loop has stopped (after the signal aborts). */
  readonly done: Promise<void>;
  readonly state: WatcherState;
}

/** The delay before the next poll: the interval, or a capped exponential backoff after failures; with jitter. */
export function nextDelayMs(
  failures: number,
  o: Pick<ArchiveWatcherLoopOptions, 'intervalMs' | 'retryMs' | 'maxBackoffMs' | 'jitter'>,
  random: () => number = Math.random,
): number {
  const base =
    failures === 0
      ? o.intervalMs
      : Math.min((o.retryMs ?? Math.min(60_000, o.intervalMs)) * 2 ** (failures - 1), o.maxBackoffMs ?? Math.max(o.intervalMs, 3600_000));
  const jitter = o.jitter ?? 0.1;
  return Math.max(0, Math.round(base * (1 + jitter * (2 * random() - 1))));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Polls until `signal` aborts. Failures are logged and retried with backoff; they never reject `done`. */
export function startArchiveWatcher(options: ArchiveWatcherLoopOptions): ArchiveWatcher {
  const log = options.log ?? SILENT_LOG;
  const state = newWatcherState();
  const { signal } = options;
  const loop = async (): Promise<void> => {
    let failures = 0;
    while (!signal.aborted) {
      let failed: boolean;
      try {
        const result = await pollArchive(options, state, signal);
        failed = result.suites.some((s) => s.status === 'failed');
        options.onPoll?.(result);
      } catch (e) {
        // pollArchive reports failures in its result; this is a bug or an onPoll that threw.
        failed = true;
        log.error({ code: 'INTERNAL_ERROR' }, `archive watcher: ${e instanceof Error ? e.message : String(e)}`);
      }
      failures = failed ? failures + 1 : 0;
      if (signal.aborted) break;
      const delay = nextDelayMs(failures, options, options.random);
      if (failures > 0) log.warn({ failures, delayMs: delay }, 'archive watcher backing off after a failed poll');
      await sleep(delay, signal);
    }
    log.info({}, 'archive watcher stopped');
  };
  return { done: loop(), state };
}
