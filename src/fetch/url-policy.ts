// Which repository URLs the verifier may contact. tag2upload only accepts
// https:// repository URLs; plain http is for loopback test servers, and only
// when the configuration allows it.
import { isIP } from 'node:net';
import { FetchError } from './fetch-error.js';

export interface UrlPolicy {
  /** Allow http:// to loopback addresses (127.0.0.0/8, ::1, localhost). Tests only. */
  readonly allowHttpLoopback: boolean;
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

/** Parses and checks a repository URL; throws FetchError(UNSUPPORTED_URL) when not allowed. */
export function checkRepositoryUrl(raw: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FetchError('UNSUPPORTED_URL', `not a URL: ${JSON.stringify(raw)}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new FetchError('UNSUPPORTED_URL', 'repository URLs must not carry credentials');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new FetchError('UNSUPPORTED_URL', 'repository URLs must not have a query or fragment');
  }
  return checkEndpointUrl(url, policy);
}

/** The scheme and host rules alone, for every request the transport makes (including redirects). */
export function checkEndpointUrl(url: URL, policy: UrlPolicy): URL {
  if (url.username !== '' || url.password !== '') {
    throw new FetchError('UNSUPPORTED_URL', 'URLs must not carry credentials');
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:') {
    if (policy.allowHttpLoopback && isLoopbackHost(url.hostname)) return url;
    throw new FetchError(
      'UNSUPPORTED_URL',
      policy.allowHttpLoopback
        ? `plain http is allowed only to loopback addresses, not ${url.hostname}`
        : 'plain http is not allowed: tag2upload fetches over https:// only',
    );
  }
  throw new FetchError('UNSUPPORTED_URL', `unsupported scheme ${url.protocol} (only https:// is supported)`);
}
