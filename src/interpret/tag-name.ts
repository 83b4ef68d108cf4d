// tag2upload tag names: DISTRO/VERSION with DEP-14 version mangling.
//
// The service (dgit-repos-server, tag2upload_check_args) accepts a tag name
// only if it is all [:graph:] characters, at most 900/4 = 225 characters, and
// matches ^debian/($versiontag_re)$ with $versiontag_re = [-+.%_0-9a-zA-Z/]+
// (Debian::Dgit). It decodes the version with `y/_%#/~:/d`: "_" → "~",
// "%" → ":", "#" deleted (unreachable, since "#" fails the pattern).
// The builder then needs the tag named DISTRO/dep14_version_mangle(VERSION)
// (dgit build_source, --dep14tag-reuse=must). A name that passes these checks
// and git's ref rules is always that canonical mangling (the "#" that
// mangling inserts only appears where git would refuse the name), so
// comparing the decoded version with the changelog's is enough.

import { reason, type Reason } from '../report/reasons.js';
import { refNameProblem } from '../gitobj/ref-name.js';
import { splitVersion } from './debian-version.js';

/** The distribution this verifier checks tags for: the DEP-14 vendor and `distro=` value. */
export const DISTRO = 'debian';

/** dgit-repos-server: TAG2UPLOAD_LINE_LENGTH_LIMIT (900) / 4. */
export const TAG_NAME_MAX_LENGTH = 225;

/** $versiontag_re of Debian::Dgit. */
const VERSIONTAG_RE = /^[-+.%_0-9a-zA-Z/]+$/;

/**
 * DEP-14 "Version Mangling", as dgit's dep14_version_mangle: ":" → "%",
 * "~" → "_", and "#" after a "." that precedes another ".", the end, or a
 * final "lock" (so that git accepts the ref).
 */
export function mangleVersion(version: string): string {
  return version.replace(/[:~]/g, (c) => (c === ':' ? '%' : '_')).replace(/\.(?=\.|$|lock$)/g, '.#');
}

/** The tag name git-debpush gives `version`: "debian/<mangled version>". */
export function tagNameForVersion(version: string, distro: string = DISTRO): string {
  return `${distro}/${mangleVersion(version)}`;
}

/** The service's decoding of a tag name's version part: `y/_%#/~:/d`. */
export function unmangleVersion(mangled: string): string {
  return mangled.replace(/[_%#]/g, (c) => (c === '_' ? '~' : c === '%' ? ':' : ''));
}

export type TagNameResult = { readonly ok: true; readonly version: string } | { readonly ok: false; readonly reasons: Reason[] };

/** Checks a tag name (without "refs/tags/") as tag2upload does and returns the Debian version it names. */
export function decodeTagName(name: string): TagNameResult {
  const reasons: Reason[] = [];
  // [^[:graph:]] in Perl without locale: anything outside printable ASCII 0x21-0x7e.
  if (/[^\x21-\x7e]/.test(name)) {
    reasons.push(reason('TAG_NAME_INVALID', `tag name ${JSON.stringify(name)} contains a character that is not printable ASCII`));
  }
  if (name.length > TAG_NAME_MAX_LENGTH) {
    reasons.push(
      reason('TAG_NAME_INVALID', `tag name is ${name.length} characters long; tag2upload allows at most ${TAG_NAME_MAX_LENGTH}`),
    );
  }
  const prefix = `${DISTRO}/`;
  const mangled = name.startsWith(prefix) ? name.slice(prefix.length) : undefined;
  if (mangled === undefined) {
    reasons.push(reason('TAG_NAME_INVALID', `tag name ${JSON.stringify(name)} does not start with "${prefix}"`));
  } else if (!VERSIONTAG_RE.test(mangled)) {
    reasons.push(reason('TAG_NAME_INVALID', `tag name ${JSON.stringify(name)}: the version part must match [-+.%_0-9a-zA-Z/]+`));
  }
  const problem = refNameProblem(`refs/tags/${name}`);
  if (problem !== undefined) {
    reasons.push(reason('TAG_NAME_INVALID', `tag name ${JSON.stringify(name)} is not a valid git ref name: it ${problem}`));
  }
  if (reasons.length > 0 || mangled === undefined) return { ok: false, reasons };
  return { ok: true, version: unmangleVersion(mangled) };
}

/**
 * The upstream tags a Debian tag's upstream-tag= most likely names: the
 * names git-deborig(1) accepts for an upstream version (its candidate tags,
 * `git deborig --just-print-tag-names`: UVER, vUVER, upstream/UVER), the
 * DEP-14 one first, as git-debpush and gbp name it by default, the version
 * mangled as DEP-14 mangles versions. Empty for a
 * name tag2upload refuses and for a native version (no revision). Only a
 * guess: verify fetches the first the repository has together with the tag,
 * and reads it only if the authenticated tag names it.
 */
export function likelyUpstreamTags(name: string): string[] {
  const decoded = decodeTagName(name);
  if (!decoded.ok) return [];
  const v = splitVersion(decoded.version);
  if (v.revision === undefined || v.upstream === '') return [];
  const u = mangleVersion(v.upstream);
  return [`upstream/${u}`, u, `v${u}`];
}
