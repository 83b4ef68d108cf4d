// A row of the jobs table as both stores read it (the snake_case columns the
// migrations of postgres-store.ts and sqlite-store.ts create), and the Job it
// stands for. The databases differ only in the types they answer for the id,
// the times and the report column; each store says how its own become a Date
// and the stored report's JSON value.
import { upgradeStoredReport } from '../report/stored-report.js';
import type { Job, JobIntake, JobStatus, JobVerdict } from './store.js';

export interface JobRow<Id, Time, Report> {
  id: Id;
  repo: string;
  tag: string;
  tag_object: string | null;
  upload: string | null;
  source: string;
  idempotency_key: string | null;
  version: string | null;
  package: string | null;
  status: string;
  attempts: number;
  max_attempts: number;
  run_at: Time;
  lease_owner: string | null;
  lease_token: string | null;
  lease_expires_at: Time | null;
  verdict: string | null;
  report: Report;
  last_error: string | null;
  created_at: Time;
  started_at: Time | null;
  finished_at: Time | null;
}

/** The Job of `row`: `date` makes a Date of a time as the database answers it, `report` the stored report's JSON value of the column (null or undefined: none). */
export function jobOfRow<Id, Time, Report>(
  row: JobRow<Id, Time, Report>,
  date: (time: Time) => Date,
  report: (column: Report) => unknown,
): Job {
  const maybeDate = (time: Time | null): Date | null => (time === null ? null : date(time));
  const stored = report(row.report);
  return {
    id: String(row.id),
    repo: row.repo,
    tag: row.tag,
    tagObject: row.tag_object,
    upload: row.upload,
    intake: row.source as JobIntake,
    idempotencyKey: row.idempotency_key,
    version: row.version,
    package: row.package,
    status: row.status as JobStatus,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: date(row.run_at),
    leaseOwner: row.lease_owner,
    leaseExpiresAt: maybeDate(row.lease_expires_at),
    verdict: row.verdict as JobVerdict | null,
    report: stored === null || stored === undefined ? null : upgradeStoredReport(stored),
    lastError: row.last_error,
    createdAt: date(row.created_at),
    startedAt: maybeDate(row.started_at),
    finishedAt: maybeDate(row.finished_at),
  };
}
