// Chooses the repository adapter: a URL is fetched over smart HTTP(S), anything
// else is a local path read in place.
import type { Config } from '../config/schema.js';
import { LocalRepository } from '../fetch/index.js';
import { RemoteRepository } from '../fetch/index.js';
import type { Repository } from '../fetch/index.js';
import type { UrlPolicy } from '../net/url-policy.js';

export function isUrl(repo: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repo);
}

/** The URL policy of a configuration: every repository, upload and index fetch follows it. */
export function urlPolicyOf(config: Readonly<Pick<Config, 'fetch'>>): UrlPolicy {
  const { allowHttpLoopback, allowedHosts } = config.fetch;
  return { allowHttpLoopback, ...(allowedHosts !== undefined && { allowedHosts }) };
}

/** `onPackBytes`: told the running count of pack bytes a remote repository receives (progress). */
export async function openRepository(repo: string, config: Readonly<Config>, onPackBytes?: (bytes: number) => void): Promise<Repository> {
  const f = config.fetch;
  if (isUrl(repo)) {
    const remote = await RemoteRepository.open(repo, urlPolicyOf(config), {
      timeoutMs: f.timeoutMs,
      maxPackBytes: f.maxPackBytes,
      maxObjectBytes: f.maxObjectBytes,
      maxRefsBytes: f.maxRefsBytes,
    });
    // open() lists refs only; the packs come later, so the observer misses nothing.
    remote.onPackBytes = onPackBytes;
    return remote;
  }
  return LocalRepository.open(repo, { timeoutMs: f.timeoutMs, maxObjectBytes: f.maxObjectBytes });
}
