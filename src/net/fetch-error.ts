// Failures of the fetch stage, as data: each carries the reason code that the
// verdict will record (docs/architecture.md §2: fetch problems make a verdict unverifiable,
// a detected SHA-1 collision rejects).
import { VerificationError } from '../report/verification-error.js';

export class FetchError extends VerificationError {
  override readonly name = 'FetchError';
}
