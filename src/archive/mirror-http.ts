// GET of a Debian mirror's files into memory, over the one HTTP client
// (src/net/http-transport.ts): the URL policy for the mirror and every
// redirect (https, plain http only to loopback when the test switch allows
// it, public addresses, the allowed hosts), a deadline per request and a size
// cap. Integrity comes from the InRelease signature and the checksums it
// signs, not from the transport; the policy keeps the verifier's one rule for
// every URL it contacts. Failures are ArchiveError(`network`), which lets a
// cached copy stand in; more bytes than asked for is `too-large`.
import { collect, HttpTransport } from '../net/http-transport.js';
import type { UrlPolicy } from '../net/url-policy.js';
import { ArchiveError, type MirrorGet } from './release.js';

export interface MirrorHttpOptions {
  readonly policy: UrlPolicy;
  /** Per request. Default 120 s. */
  readonly timeoutMs?: number;
  readonly maxRedirects?: number;
}

export function makeMirrorGet(options: MirrorHttpOptions): MirrorGet {
  const timeoutMs = options.timeoutMs ?? 120_000;
  return async (url, maxBytes) => {
    const signal = AbortSignal.timeout(timeoutMs);
    const transport = new HttpTransport({ policy: options.policy, signal, userAgent: 't2u-verify' });
    try {
      const res = await transport.request({ url, method: 'GET', maxRedirects: options.maxRedirects ?? 5 });
      if (res.statusCode !== 200) {
        (res.body as { destroy?: () => void }).destroy?.();
        throw new ArchiveError('network', `GET ${url}: HTTP ${res.statusCode}`);
      }
      return await collect(res.body, maxBytes, `GET ${url}`, (message) => new ArchiveError('too-large', message));
    } catch (e) {
      if (e instanceof ArchiveError) throw e;
      const why = signal.aborted ? `no answer within ${timeoutMs} ms` : (e as Error).message;
      throw new ArchiveError('network', `GET ${url}: ${why}`, { cause: e });
    }
  };
}
