// Both copies of a tag2upload tag: git-debpush pushes the signed tag to the
// maintainer's repository (normally Vcs-Git, on Salsa) and tag2upload pushes
// the same tag object to dgit-repos. Each copy is read from the server's ref
// advertisement only (no objects fetched), bounded in size and time, and
// compared with the object the archive's Git-Tag-Info names.
import type { RefInfo } from '../../fetch/index.js';
import { RemoteRepository } from '../../fetch/index.js';
import type { UrlPolicy } from '../../net/url-policy.js';
import { isVerificationError } from '../../report/verification-error.js';
import type { ArchiveUpload } from '../archive-watch/archive-entry.js';

/**
 * One rewrite of repository URLs: a URL starting with `from` is read at `to`
 * followed by the rest. For a local mirror of dgit-repos, or test servers;
 * never applied unless configured. The first matching entry wins.
 */
export interface RepoUrlRewrite {
  readonly from: string;
  readonly to: string;
}

export function rewriteRepoUrl(url: string, map: readonly RepoUrlRewrite[]): string {
  const hit = map.find((r) => url.startsWith(r.from));
  return hit === undefined ? url : `${hit.to}${url.slice(hit.from.length)}`;
}

/** Reads `refs/tags/<tag>` from a repository's ref advertisement; throws VerificationError. */
export type TagRefReader = (url: string, tag: string) => Promise<RefInfo | undefined>;

export interface RefReadLimits {
  /** Wall-clock limit per repository (discovery and ls-refs). */
  readonly timeoutMs: number;
  /** Cap on the ref advertisement (a v0 server sends every ref). */
  readonly maxRefsBytes: number;
}

export const REF_READ_DEFAULTS: RefReadLimits = { timeoutMs: 30_000, maxRefsBytes: 16 << 20 };

/** The fetch stage's remote adapter, used for its ref advertisement alone. */
export function remoteTagRefReader(policy: UrlPolicy, limits: RefReadLimits = REF_READ_DEFAULTS): TagRefReader {
  return async (url, tag) => {
    const repo = await RemoteRepository.open(url, policy, { ...limits, maxPackBytes: 1, maxObjectBytes: 1 });
    try {
      return await repo.resolveTag(tag);
    } finally {
      await repo.close();
    }
  };
}

export type CopyRole = 'dgit-repos' | 'vcs-git';

export interface TagCopy {
  readonly role: CopyRole;
  /** The repository as the archive names it. */
  readonly url: string;
  /** Where it was read, when a rewrite applied. */
  readonly readAt?: string;
  /**
   * `match`: the tag names the Git-Tag-Info object; `differs`: another object;
   * `missing`: the repository has no such tag; `unreachable`: it could not be read.
   */
  readonly state: 'match' | 'differs' | 'missing' | 'unreachable';
  /** What refs/tags/<tag> names there (differs, match). */
  readonly object?: string;
  /** Why it could not be read (unreachable). */
  readonly error?: { readonly code: string; readonly message: string };
}

export interface TagCopiesCheck {
  readonly copies: readonly TagCopy[];
  /** Some copy was read and does not name the Git-Tag-Info object. */
  readonly differ: boolean;
  /** The repository the verification should fetch: the first copy that matches, else dgit-repos. */
  readonly repo: string;
}

async function readCopy(
  role: CopyRole,
  url: string,
  u: ArchiveUpload,
  read: TagRefReader,
  map: readonly RepoUrlRewrite[],
): Promise<TagCopy> {
  const at = rewriteRepoUrl(url, map);
  const base = { role, url, ...(at !== url ? { readAt: at } : {}) };
  let ref: RefInfo | undefined;
  try {
    ref = await read(at, u.tag);
  } catch (e) {
    const code = isVerificationError(e) ? e.code : 'FETCH_FAILED';
    return { ...base, state: 'unreachable', error: { code, message: (e as Error).message } };
  }
  if (ref === undefined) return { ...base, state: 'missing' };
  return { ...base, state: ref.oid === u.tagObject ? 'match' : 'differs', object: ref.oid };
}

/** Reads the tag from dgit-repos and, when the entry names one, from Vcs-Git, in parallel. */
export async function checkTagCopies(u: ArchiveUpload, read: TagRefReader, map: readonly RepoUrlRewrite[] = []): Promise<TagCopiesCheck> {
  const wanted: Array<[CopyRole, string]> = [['dgit-repos', u.dgitRepo]];
  if (u.vcsGit !== undefined && u.vcsGit !== u.dgitRepo) wanted.push(['vcs-git', u.vcsGit]);
  const copies = await Promise.all(wanted.map(([role, url]) => readCopy(role, url, u, read, map)));
  const differ = copies.some((c) => c.state === 'differs' || c.state === 'missing');
  const matching = copies.find((c) => c.state === 'match');
  return { copies, differ, repo: matching?.url ?? u.dgitRepo };
}

/** One line for the log and the poll result. */
export function describeCopies(u: ArchiveUpload, check: TagCopiesCheck): string {
  const parts = check.copies.map((c) => {
    switch (c.state) {
      case 'match':
        return `${c.role} ${c.url} has it`;
      case 'differs':
        return `${c.role} ${c.url} names ${c.object ?? '?'}`;
      case 'missing':
        return `${c.role} ${c.url} has no such tag`;
      case 'unreachable':
        return `${c.role} ${c.url} could not be read (${c.error?.code ?? '?'})`;
    }
  });
  return `${u.source} ${u.version}: the archive's Git-Tag-Info names tag object ${u.tagObject} for ${u.tag}; ${parts.join('; ')}`;
}
