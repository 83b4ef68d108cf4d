// Failures of the upload stage, as data: each carries the reason code the
// verdict will record (upload layer: the upload could not be obtained).
import { VerificationError } from '../report/verification-error.js';

export class UploadError extends VerificationError {
  override readonly name = 'UploadError';
}
