// Reconciliation: every tag2upload upload a suite's index lists, against the
// store. An upload with no finished verification — never queued, or queued
// and still not done after a bound — is listed, so an operator sees any
// upload in the archive that nobody verified. Data only; routes and the CLI
// render it.
import type { JobStatus, Store } from '../../store/store.js';
import type { SourcesIndex } from '../../upload/index.js';
import { archiveJobsFor, archiveUploadOf, uploadIdentity, type ArchiveUpload } from './archive-entry.js';

export const DEFAULT_PENDING_BOUND_MS = 24 * 3600_000;

export interface UnverifiedUpload {
  readonly suite: string;
  readonly source: string;
  readonly version: string;
  readonly tag: string;
  readonly tagObject: string;
  readonly upload: string;
  /** `never-enqueued`: no job verifies it; `overdue`: its newest job is not done after the bound. */
  readonly state: 'never-enqueued' | 'overdue';
  readonly job?: {
    readonly id: string;
    readonly status: JobStatus;
    readonly attempts: number;
    readonly createdAt: string;
    readonly lastError: string | null;
  };
}

export interface Reconciliation {
  readonly suite: string;
  readonly mirror: string;
  readonly checkedAt: string;
  /** Entries with Git-Tag-Info. */
  readonly uploads: number;
  /** With a done job. */
  readonly verified: number;
  /** Queued or running within the bound. */
  readonly pending: number;
  readonly unverified: readonly UnverifiedUpload[];
}

export interface ReconcileOptions {
  /** How long a job may stay queued or running before its upload is listed. Default 24 h. */
  readonly pendingBoundMs?: number;
  readonly now?: () => Date;
  /**
   * Uploads known to be verified (uploadIdentity): a done job stays done, so a
   * long-running watcher need not ask the store again. Filled in as found.
   */
  readonly verifiedCache?: Set<string>;
}

export async function reconcile(
  store: Store,
  index: Pick<SourcesIndex, 'mirror' | 'suite' | 'entries'>,
  options: ReconcileOptions = {},
): Promise<Reconciliation> {
  const now = (options.now ?? (() => new Date()))();
  const bound = options.pendingBoundMs ?? DEFAULT_PENDING_BOUND_MS;
  const cache = options.verifiedCache;
  const uploads = index.entries.map((e) => archiveUploadOf(index, e)).filter((u): u is ArchiveUpload => u !== undefined);
  let verified = 0;
  let pending = 0;
  const unverified: UnverifiedUpload[] = [];
  for (const u of uploads) {
    const id = uploadIdentity(u);
    if (cache?.has(id)) {
      verified++;
      continue;
    }
    const jobs = await archiveJobsFor(store, u);
    if (jobs.some((j) => j.status === 'done')) {
      verified++;
      cache?.add(id);
      continue;
    }
    const base = { suite: u.suite, source: u.source, version: u.version, tag: u.tag, tagObject: u.tagObject, upload: u.upload };
    const job = jobs[0];
    if (job === undefined) {
      unverified.push({ ...base, state: 'never-enqueued' });
    } else if (now.getTime() - job.createdAt.getTime() > bound) {
      unverified.push({
        ...base,
        state: 'overdue',
        job: { id: job.id, status: job.status, attempts: job.attempts, createdAt: job.createdAt.toISOString(), lastError: job.lastError },
      });
    } else {
      pending++;
    }
  }
  return { suite: index.suite, mirror: index.mirror, checkedAt: now.toISOString(), uploads: uploads.length, verified, pending, unverified };
}
