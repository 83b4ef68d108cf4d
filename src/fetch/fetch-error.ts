// Failures of the fetch stage, as data: each carries the reason code that the
// verdict will record (DESIGN.md §2: fetch problems make a verdict unverifiable,
// a detected SHA-1 collision rejects).
import type { ReasonCode } from '../report/reasons.js';

export class FetchError extends Error {
  override readonly name = 'FetchError';
  constructor(
    readonly code: ReasonCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
