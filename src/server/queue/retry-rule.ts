// Which `unverifiable` outcomes the queue retries. The rule: a report is
// retried when its verdict is `unverifiable` and every reason that made it so
// is transient, i.e. a property of the moment (the network, a forge or mirror
// answering, a time limit on a loaded machine, an upload the archive has not
// published yet) and not of the input. One permanent reason (a sha256
// repository, a malformed .dsc, a checksum that does not match) makes retrying
// pointless: the same input gives the same answer. `rejected` and `mismatch`
// are never retried: they are verdicts about the input.
import { effectOf, type Reason, type ReasonCode } from '../../report/reasons.js';
import type { VerifyReport } from '../../report/report.js';

/** Reasons that may pass on a later attempt. */
export const TRANSIENT_REASONS: ReadonlySet<ReasonCode> = new Set<ReasonCode>([
  'FETCH_FAILED',
  'FETCH_TIMEOUT',
  // "Retry; a persistent corrupt pack from a forge deserves investigation."
  'PACK_INVALID',
  'SANDBOX_FAILED',
  'SANDBOX_TIMEOUT',
  'KEYRING_UNAVAILABLE',
  // tag2upload builds and uploads after the tag is pushed, and the archive
  // publishes later still: a webhook's job usually finds no upload at first.
  'UPLOAD_NOT_FOUND',
  'UPLOAD_FETCH_FAILED',
  'UPLOAD_TIMEOUT',
  'BUILD_TIMEOUT',
  'ROOTFS_UNAVAILABLE',
  'VERIFICATION_ABORTED',
  // The job's process: past its time limit (a loaded machine), or killed from outside.
  'JOB_TIME_LIMIT',
  'JOB_PROCESS_FAILED',
]);

export interface RetryDecision {
  readonly retryable: boolean;
  /** The reason codes that decided it, for the job's last error. */
  readonly codes: readonly string[];
}

export function retryDecision(report: Pick<VerifyReport, 'verdict' | 'reasons'>): RetryDecision {
  if (report.verdict !== 'unverifiable') return { retryable: false, codes: [] };
  const undecided = report.reasons.filter((r) => effectOf(r) === 'unverifiable');
  const codes = undecided.map((r) => r.code);
  // No reason at all is a report we cannot explain: not retried, so that it is seen.
  // KEYRING_UNAVAILABLE is transient for the tag's keyrings; for the upload keyring it names what the operator must configure.
  const transient = (r: Reason): boolean => TRANSIENT_REASONS.has(r.code) && !(r.code === 'KEYRING_UNAVAILABLE' && r.subject === 'upload');
  return { retryable: undecided.length > 0 && undecided.every(transient), codes };
}
