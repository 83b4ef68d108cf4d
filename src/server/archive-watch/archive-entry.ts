// A tag2upload upload as the archive records it, turned into what the queue
// needs: the tag (name from the version, object from Git-Tag-Info), the
// repository tag2upload pushed it to (the Dgit field's URL), the .dsc in the
// mirror, and the jobs that already verify it.
import { trimEnd } from '../../text/scan.js';
import { tagNameForVersion } from '../../interpret/index.js';
import type { Job, Store } from '../../store/store.js';
import type { SourcesEntry, SourcesIndex } from '../../upload/index.js';

/** dgit-repos: tag2upload pushes every tag it builds to `<base><source>` (the Dgit field's last word). */
export const DGIT_REPOS_BASE = 'https://git.dgit.debian.org/';

export interface ArchiveUpload {
  readonly suite: string;
  readonly source: string;
  readonly version: string;
  /** `debian/<DEP-14 mangled version>`: the name git-debpush gives the tag. */
  readonly tag: string;
  /** Git-Tag-Info `tag=`: the tag object tag2upload built from. */
  readonly tagObject: string;
  /** Git-Tag-Info `fp=`. */
  readonly fingerprint: string;
  /** The repository named by the Dgit field (dgit-repos). */
  readonly dgitRepo: string;
  /** The URL part of Vcs-Git, when the entry has one. */
  readonly vcsGit?: string;
  /** `pool/…/NAME.dsc`, relative to the mirror. */
  readonly poolPath: string;
  /** The .dsc in the mirror: `<mirror>/<Directory>/<name>`. */
  readonly upload: string;
}

/**
 * The URL of a Vcs-Git field. Debian Policy 5.6.26: `URL [-b BRANCH] [[PATH]]`;
 * only the URL names the repository, the branch and path do not matter for a tag.
 */
export function vcsGitUrl(field: string): string | undefined {
  const url = field.trim().split(/\s+/)[0];
  return url === undefined || url === '' ? undefined : url;
}

/** The upload of an index entry carrying Git-Tag-Info; undefined for any other entry. */
export function archiveUploadOf(index: Pick<SourcesIndex, 'mirror' | 'suite'>, entry: SourcesEntry): ArchiveUpload | undefined {
  const info = entry.gitTagInfo;
  if (info === undefined) return undefined;
  const poolPath = `${entry.directory}/${entry.dsc.name}`;
  const vcsGit = entry.vcsGit === undefined ? undefined : vcsGitUrl(entry.vcsGit);
  return {
    suite: index.suite,
    source: entry.source,
    version: entry.version,
    tag: tagNameForVersion(entry.version),
    tagObject: info.tag,
    fingerprint: info.fp,
    // dgit's tag2upload builder writes "Dgit: <commit> debian archive/debian/<v> https://git.dgit.debian.org/<source>";
    // a Dgit field without the URL (older dgit uploads) names the same place.
    dgitRepo: entry.dgit?.url ?? `${DGIT_REPOS_BASE}${entry.source}`,
    ...(vcsGit !== undefined ? { vcsGit } : {}),
    poolPath,
    upload: `${trimEnd(index.mirror, '/')}/${poolPath}`,
  };
}

/** The store's idempotency key of the watcher's job for `u`. */
export function archiveIdempotencyKey(u: ArchiveUpload): string {
  return `archive:${u.suite}:${u.source}:${u.version}:${u.tagObject}`;
}

/** Identifies one upload across suites and mirrors: the same tag object and pool file. */
export function uploadIdentity(u: Pick<ArchiveUpload, 'tagObject' | 'poolPath'>): string {
  return `${u.tagObject} ${u.poolPath}`;
}

/**
 * The archive jobs that verify `u`: the same tag object, against the same pool
 * file (whatever the suite or mirror the job was queued from: an upload that
 * migrates from unstable to testing is one upload). Newest first.
 */
export async function archiveJobsFor(store: Store, u: ArchiveUpload): Promise<Job[]> {
  const jobs = await store.list({ intake: 'archive', tagObject: u.tagObject, limit: 1000 });
  return jobs.filter((j) => j.upload !== null && j.upload.endsWith(`/${u.poolPath}`));
}
