// The one network call of the Debian keyring download: GET a URL from a
// Debian mirror into memory, with a deadline, a size cap and a few redirects.
// It is an interface so tests can point it at a loopback server. The mirror
// is the operator's choice; a redirect to another host is not, so with a
// `redirectGuard` (the pipeline passes the URL policy's, src/net/url-policy.ts)
// it must lead to an allowed address: literals, and every address the name
// resolves to.
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';

export type HttpGet = (url: string) => Promise<Uint8Array>;

/** The network failed (connection, timeout, HTTP status): a cached copy may stand in. */
export class MirrorNetworkError extends Error {
  override readonly name = 'MirrorNetworkError';
}

/** How a redirect to another host than the mirror's is judged. */
export interface RedirectGuard {
  readonly addressAllowed: (address: string) => boolean;
  /** The DNS lookup of such a request's connection: refuses a name that resolves to an address not allowed. */
  readonly lookup: LookupFunction;
}

export interface HttpGetOptions {
  timeoutMs?: number;
  maxBytes?: number;
  maxRedirects?: number;
  redirectGuard?: RedirectGuard;
}

export function makeHttpGet(options: HttpGetOptions = {}): HttpGet {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  const maxRedirects = options.maxRedirects ?? 5;
  const guard = options.redirectGuard;
  const get = (url: string, redirects: number, mirrorHost?: string): Promise<Uint8Array> =>
    new Promise((resolve, reject) => {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        reject(new MirrorNetworkError(`invalid URL ${url}`));
        return;
      }
      const client = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : undefined;
      if (!client) {
        reject(new MirrorNetworkError(`unsupported URL scheme in ${url}`));
        return;
      }
      const guarded = guard !== undefined && mirrorHost !== undefined && parsed.host !== mirrorHost ? guard : undefined;
      const host = parsed.hostname.replace(/^\[|\]$/g, '');
      if (guarded !== undefined && isIP(host) !== 0 && !guarded.addressAllowed(host)) {
        reject(new MirrorNetworkError(`${mirrorHost} redirects to ${host}, which is not a public address`));
        return;
      }
      const options = { timeout: timeoutMs, ...(guarded !== undefined && { lookup: guarded.lookup }) };
      const req = client.get(parsed, options, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          if (redirects >= maxRedirects) {
            reject(new MirrorNetworkError(`too many redirects fetching ${url}`));
            return;
          }
          resolve(get(new URL(res.headers.location, parsed).toString(), redirects + 1, mirrorHost ?? parsed.host));
          return;
        }
        if (status !== 200) {
          res.resume();
          reject(new MirrorNetworkError(`GET ${url}: HTTP ${status}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            req.destroy(new MirrorNetworkError(`GET ${url}: more than ${maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          const all = Buffer.concat(chunks);
          resolve(new Uint8Array(all.buffer, all.byteOffset, all.length));
        });
        res.on('error', (e) => reject(new MirrorNetworkError(`GET ${url}: ${e.message}`)));
      });
      req.on('timeout', () => req.destroy(new MirrorNetworkError(`GET ${url}: no answer within ${timeoutMs} ms`)));
      req.on('error', (e) => reject(e instanceof MirrorNetworkError ? e : new MirrorNetworkError(`GET ${url}: ${e.message}`)));
    });
  return (url) => get(url, 0);
}
