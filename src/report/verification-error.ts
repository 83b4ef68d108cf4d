// The base of every error that carries a reason code: stages throw these, the
// pipeline turns them into reasons `{code, layer, message}` (sigstore-js's
// error.ts pattern: a typed code and a cause).
import type { ReasonCode } from './reasons.js';

export class VerificationError<C extends ReasonCode = ReasonCode> extends Error {
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A type guard that keeps the code typed (instanceof on a generic class yields `any`). */
export function isVerificationError(err: unknown): err is VerificationError {
  return err instanceof VerificationError;
}
