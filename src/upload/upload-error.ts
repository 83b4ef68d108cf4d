// Failures of the upload stage, as data: each carries the reason code the
// verdict will record (upload layer: the upload could not be obtained).
import type { ReasonCode } from '../report/reasons.js';

export class UploadError extends Error {
  override readonly name = 'UploadError';
  constructor(
    readonly code: ReasonCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
