// A finished job as the store returns it, for tests and benchmarks that
// attest or publish a verdict without running a verification.
import type { Job } from '../../src/store/store.js';

export function finishedJob(fields: Partial<Job> & Pick<Job, 'verdict' | 'report'>): Job {
  const now = new Date();
  return {
    id: '1',
    repo: 'r',
    tag: 't',
    tagObject: null,
    upload: null,
    intake: 'api',
    idempotencyKey: null,
    version: null,
    package: null,
    status: 'done',
    attempts: 1,
    maxAttempts: 1,
    runAt: now,
    leaseOwner: null,
    leaseExpiresAt: null,
    lastError: null,
    createdAt: now,
    startedAt: now,
    finishedAt: now,
    ...fields,
  };
}
