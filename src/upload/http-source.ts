// GET requests of the upload stage, over the fetch stage's transport: https
// only (plain http to loopback when the policy allows it, for tests), a
// shared deadline for the whole upload, redirects checked against the same
// policy. Mirror content needs no transport security for integrity (the
// InRelease signature and the .dsc signature vouch for it), but https keeps
// the verifier's one rule for every URL it contacts. HTTP 404 is "not found";
// every other failure is a fetch failure or a timeout.
import { HttpTransport } from '../net/http-transport.js';
import type { UrlPolicy } from '../net/url-policy.js';
import { isVerificationError, VerificationError } from '../report/verification-error.js';
import { reasonInfo } from '../report/reasons.js';

export interface HttpSourceOptions {
  readonly policy: UrlPolicy;
  /** The deadline of the whole operation. */
  readonly signal: AbortSignal;
  readonly userAgent?: string;
}

/** A GET whose body streams; errors are VerificationErrors with an upload-layer code. */
export type HttpSource = (url: string) => Promise<AsyncIterable<Uint8Array>>;

/** Maps the transport's errors, and an aborted deadline, to upload reason codes. */
export function uploadErrorOf(e: unknown, signal: AbortSignal, what: string): VerificationError {
  if (isVerificationError(e) && reasonInfo(e.code).layer === 'upload') return e;
  if (signal.aborted)
    return new VerificationError('UPLOAD_TIMEOUT', `${what}: the time limit for obtaining the upload was reached`, { cause: e });
  if (isVerificationError(e)) {
    if (e.code === 'UNSUPPORTED_URL') return new VerificationError('UPLOAD_URL_INVALID', `${what}: ${e.message}`, { cause: e });
    if (e.code === 'FETCH_TIMEOUT') return new VerificationError('UPLOAD_TIMEOUT', `${what}: ${e.message}`, { cause: e });
    return new VerificationError('UPLOAD_FETCH_FAILED', `${what}: ${e.message}`, { cause: e });
  }
  return new VerificationError('UPLOAD_FETCH_FAILED', `${what}: ${(e as Error).message}`, { cause: e });
}

export function makeHttpSource(options: HttpSourceOptions): HttpSource {
  const transport = new HttpTransport({ policy: options.policy, signal: options.signal, userAgent: options.userAgent ?? 't2u-verify' });
  return async (url) => {
    let res;
    try {
      res = await transport.request({ url, method: 'GET', maxRedirects: 3 });
    } catch (e) {
      throw uploadErrorOf(e, options.signal, url);
    }
    if (res.statusCode === 200) return res.body;
    drain(res.body);
    if (res.statusCode === 404 || res.statusCode === 410)
      throw new VerificationError('UPLOAD_NOT_FOUND', `${url}: HTTP ${res.statusCode} (not found)`);
    throw new VerificationError('UPLOAD_FETCH_FAILED', `${url}: HTTP ${res.statusCode} ${res.statusMessage}`.trim());
  };
}

function drain(body: AsyncIterable<Uint8Array>): void {
  const stream = body as { destroy?: () => void };
  if (typeof stream.destroy === 'function') stream.destroy();
}
