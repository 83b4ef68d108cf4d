// Failures of the sandbox itself, as data. The command's own behaviour (exit
// status, a timeout, truncated output) is reported in SandboxResult; an error
// is thrown only when the sandbox could not be set up or the caller asks for
// a result to be a success (requireSuccess).
import type { ReasonCode } from '../report/reasons.js';
import { VerificationError } from '../report/verification-error.js';

export type SandboxErrorCode = Extract<ReasonCode, 'SANDBOX_FAILED' | 'SANDBOX_TIMEOUT' | 'WORK_QUOTA_EXCEEDED'>;

export class SandboxError extends VerificationError<SandboxErrorCode> {
  override readonly name = 'SandboxError';
}
