// A suite's Sources index, fetched only when it changed. The mirror's
// InRelease is requested with If-Modified-Since (apt does the same) and its
// SHA-256 compared with the last one processed; only a new InRelease is
// verified (gpgv, suite, Valid-Until) and its Sources.xz downloaded, by the
// upload stage's fetchSourcesIndex, which is handed the InRelease bytes read
// here so that the index checked is the one of the InRelease hashed.
import { trimEnd } from '../../text/scan.js';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { collect, HttpTransport } from '../../net/http-transport.js';
import type { UrlPolicy } from '../../net/url-policy.js';
import { makeHttpSource, uploadErrorOf, type HttpSource } from '../../upload/index.js';
import { fetchSourcesIndex, type SourcesIndex } from '../../upload/index.js';
import { VerificationError } from '../../report/verification-error.js';

/** What the watcher keeps of the last InRelease it processed for a suite. */
export interface IndexCursor {
  readonly inReleaseSha256: string;
  /** The Last-Modified header of that answer, sent back as If-Modified-Since. */
  readonly lastModified?: string;
  /** The Release's Valid-Until: an unchanged InRelease still expires. */
  readonly validUntil?: string;
}

export interface IndexFetchOptions {
  readonly mirror: string;
  readonly suite: string;
  readonly component?: string;
  readonly archiveKeyring?: string;
  readonly allowExpiredRelease?: boolean;
  readonly policy: UrlPolicy;
  /** Time limit for InRelease and Sources.xz together. */
  readonly timeoutMs?: number;
  /** Stops the fetch (the watcher's stop signal). */
  readonly signal?: AbortSignal;
  readonly previous?: IndexCursor;
  readonly now?: () => Date;
}

export type IndexFetch =
  | { readonly changed: false; readonly cursor: IndexCursor; readonly notModified: boolean }
  | { readonly changed: true; readonly cursor: IndexCursor; readonly index: SourcesIndex };

const MAX_IN_RELEASE_BYTES = 16 << 20;

export async function fetchIndexIfChanged(options: IndexFetchOptions): Promise<IndexFetch> {
  const mirror = trimEnd(options.mirror, '/');
  const { suite, previous } = options;
  if (!/^[A-Za-z0-9.+_-]+$/.test(suite))
    throw new VerificationError('UPLOAD_URL_INVALID', `invalid suite name ${JSON.stringify(suite.slice(0, 80))}`);
  const timeoutMs = options.timeoutMs ?? 300_000;
  const signal = options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
  const now = (options.now ?? (() => new Date()))();
  const inReleaseUrl = `${mirror}/dists/${suite}/InRelease`;
  const transport = new HttpTransport({ policy: options.policy, signal, userAgent: 't2u-verify' });

  let bytes: Buffer;
  let lastModified: string | undefined;
  try {
    const headers: Record<string, string> = previous?.lastModified !== undefined ? { 'if-modified-since': previous.lastModified } : {};
    const res = await transport.request({ url: inReleaseUrl, method: 'GET', headers, maxRedirects: 3 });
    if (res.statusCode === 304 && previous !== undefined) {
      drain(res.body);
      return { changed: false, cursor: stillValid(previous, suite, now, options.allowExpiredRelease), notModified: true };
    }
    if (res.statusCode !== 200) {
      drain(res.body);
      const code = res.statusCode === 404 || res.statusCode === 410 ? 'UPLOAD_NOT_FOUND' : 'UPLOAD_FETCH_FAILED';
      throw new VerificationError(code, `${inReleaseUrl}: HTTP ${res.statusCode} ${res.statusMessage}`.trim());
    }
    lastModified = res.headers['last-modified'];
    bytes = await collect(res.body, MAX_IN_RELEASE_BYTES, `${suite} InRelease`, (m) => new VerificationError('UPLOAD_TOO_LARGE', m));
  } catch (e) {
    throw uploadErrorOf(e, signal, `${suite} InRelease`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (previous !== undefined && previous.inReleaseSha256 === sha256) {
    const cursor = stillValid(previous, suite, now, options.allowExpiredRelease);
    return { changed: false, cursor: { ...cursor, ...(lastModified !== undefined ? { lastModified } : {}) }, notModified: false };
  }
  // The same bytes, verified by fetchSourcesIndex; everything else goes to the mirror.
  const rest = makeHttpSource({ policy: options.policy, signal });
  const http: HttpSource = (url) => (url === inReleaseUrl ? Promise.resolve(once(bytes)) : rest(url));
  const index = await fetchSourcesIndex({
    mirror,
    suite,
    ...(options.component !== undefined ? { component: options.component } : {}),
    ...(options.archiveKeyring !== undefined ? { archiveKeyring: options.archiveKeyring } : {}),
    ...(options.allowExpiredRelease ? { allowExpiredRelease: true } : {}),
    ...(options.now ? { now: options.now } : {}),
    policy: options.policy,
    timeoutMs,
    http,
  });
  return {
    changed: true,
    index,
    cursor: {
      inReleaseSha256: sha256,
      ...(lastModified !== undefined ? { lastModified } : {}),
      ...(index.validUntil !== undefined ? { validUntil: index.validUntil } : {}),
    },
  };
}

/**
 * An InRelease not re-read is still bound by its Valid-Until: a mirror that
 * keeps serving an old one (or answering 304) must not hide new uploads forever.
 */
function stillValid(cursor: IndexCursor, suite: string, now: Date, allowExpired: boolean | undefined): IndexCursor {
  if (cursor.validUntil !== undefined && !allowExpired && !(Date.parse(cursor.validUntil) >= now.getTime())) {
    throw new VerificationError(
      'UPLOAD_INDEX_UNVERIFIED',
      `InRelease of ${suite} expired at ${cursor.validUntil} (now ${now.toISOString()}) and the mirror serves no newer one`,
    );
  }
  return cursor;
}

function once(b: Uint8Array): AsyncIterable<Uint8Array> {
  return Readable.from([b]);
}

function drain(body: AsyncIterable<Uint8Array>): void {
  const stream = body as { destroy?: () => void };
  if (typeof stream.destroy === 'function') stream.destroy();
}
