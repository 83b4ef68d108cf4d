// Which unverifiable outcomes the queue retries: only those whose every undecided reason is transient.
import { describe, expect, it } from 'vitest';
import { retryDecision, TRANSIENT_REASONS } from '../../src/server/queue/retry-rule.js';
import { REASONS, type ReasonCode } from '../../src/report/reasons.js';
import { verifyReport } from './service-helpers.js';

const req = { repo: 'https://salsa.debian.org/x/y.git', tag: 'debian/1-1' };
const decide = (...codes: ReasonCode[]) => retryDecision(verifyReport(req, codes));

describe('retryDecision', () => {
  it('retries transient causes: network, time limits, an upload not yet published', () => {
    expect(decide('FETCH_FAILED')).toEqual({ retryable: true, codes: ['FETCH_FAILED'] });
    expect(decide('UPLOAD_NOT_FOUND', 'SANDBOX_TIMEOUT').retryable).toBe(true);
    // A note does not stand in the way.
    expect(decide('FETCH_TIMEOUT', 'KEYRING_STALE').retryable).toBe(true);
  });

  it('does not retry when one cause is permanent, nor verdicts about the input', () => {
    expect(decide('FETCH_FAILED', 'UPLOAD_CHECKSUM_MISMATCH').retryable).toBe(false);
    expect(decide('UNSUPPORTED_OBJECT_FORMAT').retryable).toBe(false);
    expect(decide('SIGNATURE_INVALID', 'FETCH_FAILED').retryable).toBe(false); // rejected
    expect(decide('RECONSTRUCTION_MISMATCH').retryable).toBe(false);
    expect(decide().retryable).toBe(false); // reproduced
  });

  it('lists only registered unverifiable codes', () => {
    for (const code of TRANSIENT_REASONS) expect(REASONS[code].effect).toBe('unverifiable');
  });
});
