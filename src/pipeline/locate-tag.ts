// The sponsor's form of verify (`t2u-verify verify SOURCE VERSION`, or a
// .dsc as dscverify takes): from an upload already obtained, the tag that
// should have made it and a repository that holds that very tag object. The
// tag's name is git-debpush's (DEP-14 mangling of the .dsc's Version); the
// object is the .dsc's `Git-Tag-Info: tag=`. The repositories tried, in order:
// the `Dgit:` field's URL (dgit-repos, where tag2upload pushes the tag), the
// .dsc's `Vcs-Git`, and Salsa's debian/SOURCE. A repository whose tag of that
// name is another object is not used: the report would then judge a tag other
// than the one the upload names.
import { tagNameForVersion } from '../interpret/index.js';
import { reason, type Reason } from '../report/reasons.js';
import { isVerificationError, type VerificationError } from '../report/verification-error.js';
import type { Repository } from '../fetch/index.js';
import type { Dsc } from '../deb822/dsc.js';

export interface RepositoryCandidate {
  /** Where the URL came from, for messages: "Dgit field", "Vcs-Git", "Salsa". */
  readonly from: string;
  readonly url: string;
}

export interface LocatedTag {
  readonly tag: string;
  /** The tag object the upload names (Git-Tag-Info tag=). */
  readonly tagObject: string;
  readonly repo?: string;
  /** Why no repository could be used, when `repo` is absent: REPOSITORY_NOT_FOUND. */
  readonly reason?: Reason;
  /** One line per candidate tried: what it answered. */
  readonly tried: readonly string[];
}

/** Salsa's usual home of a Debian package's packaging repository. */
export const SALSA = 'https://salsa.debian.org/debian';

/** Vcs-Git is `URL [-b BRANCH] [[PATH]]` (Debian Policy §5.6.26): the URL is its first word. */
function vcsGitUrl(value: string | undefined): string | undefined {
  const first = value?.trim().split(/\s+/, 1)[0];
  return first === undefined || first === '' ? undefined : first;
}

export function repositoryCandidates(dsc: Dsc): RepositoryCandidate[] {
  const out: RepositoryCandidate[] = [];
  const add = (from: string, url: string | undefined): void => {
    if (url !== undefined && !out.some((c) => c.url === url)) out.push({ from, url });
  };
  add('Dgit field', dsc.dgit?.url);
  add('Vcs-Git', vcsGitUrl(dsc.paragraph.get('Vcs-Git')));
  add('Salsa', `${SALSA}/${dsc.source}.git`);
  return out;
}

/**
 * Finds a repository holding the tag the upload names. `openRepository`
 * opens a URL (and applies the URL policy); each repository opened is closed.
 * Never throws for a repository that cannot be reached: the reason says what
 * every candidate answered.
 */
export async function locateTag(
  dsc: Dsc,
  openRepository: (url: string) => Promise<Repository>,
  onTry: (candidate: RepositoryCandidate) => void = () => {},
  candidates: readonly RepositoryCandidate[] = repositoryCandidates(dsc),
): Promise<LocatedTag> {
  const tag = tagNameForVersion(dsc.version);
  const tagObject = dsc.gitTagInfo?.tag;
  if (tagObject === undefined) throw new Error('locateTag: the .dsc has no Git-Tag-Info');
  const tried: string[] = [];
  let firstFailure: VerificationError | undefined;
  let read = 0;
  for (const c of candidates) {
    onTry(c);
    let repo: Repository | undefined;
    try {
      repo = await openRepository(c.url);
      const ref = await repo.resolveTag(tag);
      read++;
      if (ref === undefined) tried.push(`${c.from} ${c.url}: no tag ${tag}`);
      else if (ref.oid !== tagObject) tried.push(`${c.from} ${c.url}: its ${tag} is object ${ref.oid}, not ${tagObject}`);
      else return { tag, tagObject, repo: c.url, tried: [...tried, `${c.from} ${c.url}: has ${tag} ${tagObject}`] };
    } catch (e) {
      if (!isVerificationError(e)) throw e;
      firstFailure ??= e;
      tried.push(`${c.from} ${c.url}: ${e.message}`);
    } finally {
      await repo?.close();
    }
  }
  // None could be read (the network, the URL policy): that is the reason, not the tag's absence.
  if (read === 0 && firstFailure !== undefined) {
    const why = `no repository that may hold ${tag} could be read (give the one that does with --repo): ${tried.join('; ')}`;
    return { tag, tagObject, reason: reason(firstFailure.code, why), tried };
  }
  const unread = tried.length - read;
  const why =
    `no repository has ${tag} as the tag object ${tagObject} that the upload names` +
    `${unread > 0 ? ` (${unread} of ${tried.length} could not be read)` : ''} (give it with --repo): ${tried.join('; ')}`;
  return { tag, tagObject, reason: reason('REPOSITORY_NOT_FOUND', why), tried };
}
