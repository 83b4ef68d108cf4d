// The one HTTP client of the fetch stage: streaming bodies, a shared deadline
// (AbortSignal), byte caps, and redirects only where git itself follows them
// (the initial info/refs request, http.followRedirects=initial) and only to
// URLs the policy allows; every connection's address is checked after DNS
// (src/net/url-policy.ts).
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { checkEndpointUrl, policyLookup, type UrlPolicy } from './url-policy.js';
import { isVerificationError, VerificationError } from '../report/verification-error.js';

export interface HttpRequest {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** Follow up to this many redirects (GET only). */
  maxRedirects?: number;
}

export interface HttpResponse {
  /** The URL that answered, after redirects. */
  url: string;
  statusCode: number;
  statusMessage: string;
  headers: Record<string, string>;
  body: AsyncIterable<Buffer>;
}

export interface TransportOptions {
  policy: UrlPolicy;
  signal: AbortSignal;
  userAgent: string;
}

export class HttpTransport {
  private readonly lookup: ReturnType<typeof policyLookup>;

  constructor(private readonly opts: TransportOptions) {
    this.lookup = policyLookup(opts.policy);
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    let url = checkEndpointUrl(parseUrl(req.url), this.opts.policy);
    const redirects = req.method === 'GET' ? (req.maxRedirects ?? 0) : 0;
    for (let hop = 0; ; hop++) {
      const res = await this.once(url, req);
      const location = res.headers['location'];
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && location !== undefined) {
        res.destroy();
        if (hop >= redirects) {
          throw new VerificationError('FETCH_FAILED', `${url.href} redirects to ${location}; not followed`);
        }
        url = checkEndpointUrl(parseUrl(location, url), this.opts.policy);
        continue;
      }
      return {
        url: url.href,
        statusCode: res.statusCode ?? 0,
        statusMessage: res.statusMessage ?? '',
        headers: flattenHeaders(res.headers),
        body: res as AsyncIterable<Buffer>,
      };
    }
  }

  private once(url: URL, req: HttpRequest): Promise<http.IncomingMessage> {
    const signal = this.opts.signal;
    if (signal.aborted) return Promise.reject(abortError(signal));
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { 'user-agent': this.opts.userAgent, ...req.headers };
      if (req.body) headers['content-length'] = String(req.body.length);
      // Every connection resolves its host through the policy's lookup: the address connected to is checked.
      // The abort reaches this request only while it lasts. Node's own `signal`
      // option would also destroy the keep-alive socket the request gave back to
      // the agent's pool, which then fails with no listener: an uncaught
      // exception that stops the process.
      const onAbort = (): void => {
        // Destroying the request destroys its socket with the same error, after
        // node has stopped listening to the socket once the response began.
        r.socket?.on('error', () => {});
        r.destroy(abortError(signal));
      };
      const release = (): void => signal.removeEventListener('abort', onAbort);
      const r = mod.request(url, { method: req.method, headers, lookup: this.lookup }, (res) => {
        // A response whose body nobody reads any more is destroyed by the abort:
        // whoever iterates the body sees the error; an unread one must not be uncaught.
        res.on('error', () => {});
        res.once('close', release);
        resolve(res);
      });
      signal.addEventListener('abort', onAbort, { once: true });
      r.on('error', (err) => {
        release();
        if (signal.aborted) reject(abortError(signal));
        else if (isVerificationError(err)) reject(err);
        else reject(new VerificationError('FETCH_FAILED', `${url.href}: ${err.message}`, { cause: err }));
      });
      r.end(req.body ? Buffer.from(req.body) : undefined);
    });
  }
}

function parseUrl(raw: string, base?: URL): URL {
  try {
    return new URL(raw, base);
  } catch {
    throw new VerificationError('FETCH_FAILED', `not a URL: ${JSON.stringify(raw)}`);
  }
}

function flattenHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

export function abortError(signal: AbortSignal): VerificationError {
  const why: unknown = signal.reason;
  if (isVerificationError(why)) return why;
  return new VerificationError('FETCH_TIMEOUT', 'the fetch time limit was reached');
}

/** What to throw when a body passes its cap. */
export type TooLarge = (message: string) => Error;

const tooLargeFetch: TooLarge = (message) => new VerificationError('FETCH_FAILED', message);

/** Yields the stream's chunks, failing once more than `maxBytes` have passed. */
export async function* capStream(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
  what: string,
  tooLarge: TooLarge = tooLargeFetch,
): AsyncGenerator<Uint8Array> {
  let n = 0;
  for await (const chunk of body) {
    n += chunk.length;
    if (n > maxBytes) {
      if (body instanceof Readable) body.destroy();
      throw tooLarge(`${what} is larger than the limit of ${maxBytes} bytes`);
    }
    yield chunk;
  }
}

export async function collect(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
  what: string,
  tooLarge: TooLarge = tooLargeFetch,
): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of capStream(body, maxBytes, what, tooLarge)) parts.push(chunk);
  return Buffer.concat(parts);
}
