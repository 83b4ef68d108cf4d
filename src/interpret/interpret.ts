// The interpret stage: is this (already authenticated) tag a valid tag2upload
// instruction, and does it agree with debian/changelog at the tagged commit?
// Follows the tag2upload service's own checks (dgit-repos-server
// tag2upload_check_args, tag2upload_parsetag, tag2upload_inspect_changelog,
// tag2upload_obtain_origs; dgit's builder mode), reporting every failing
// check rather than the first. Pure: the caller fetches the changelog and the
// upstream tag's target.

import { reason, type Reason } from '../report/reasons.js';
import type { ParsedTag } from '../gitobj/tag-object.js';
import { decodeTagName } from './tag-name.js';
import { parseTagMessage, type ServiceRules, type TagInstruction } from './tag-message.js';
import { parseChangelog, type ChangelogEntry } from './changelog.js';

export type { TagInstruction, ServiceRules } from './tag-message.js';

export interface InterpretInput {
  /** The ref name without "refs/tags/", e.g. "debian/1.0-1". */
  refName: string;
  tag: ParsedTag;
  /** debian/changelog at the tagged commit (undefined if absent). */
  changelog: Uint8Array | undefined;
  /** The commit that upstream-tag= resolves to (peeled), when fetched. */
  upstreamTagTarget?: string;
  /** Which service version's rules to apply (default `current`). */
  rules?: ServiceRules;
}

export interface InterpretResult {
  /** Every failing check; the tag is a valid instruction iff this is empty. */
  reasons: Reason[];
  /** What the tag asks for, whenever it names a source and version (even if checks failed). */
  instruction?: TagInstruction;
  /** The Debian version the tag name encodes, when the name is valid. */
  version?: string;
  /** The first debian/changelog entry as dpkg-parsechangelog reads it, when it parses. */
  changelog?: ChangelogEntry;
  /** The tagger identity the service would copy into Git-Tag-Tagger, when it accepts it. */
  tagger?: string;
}

/** Debian::Dgit $suite_re, which the service applies to the changelog's Distribution. */
const SUITE_RE = /^[-+.0-9a-z]+$/;

export function interpretTag(input: InterpretInput): InterpretResult {
  const reasons: Reason[] = [];
  const { tag, refName } = input;

  const name = decodeTagName(refName);
  if (!name.ok) reasons.push(...name.reasons);
  const version = name.ok ? name.version : undefined;

  // The service does not compare the signed `tag` header with the ref it was told about, but
  // mini-git-tag-fsck --audit (the archive's check of SRC_VER.git.tar.xz) rejects a
  // "Conflicting names for the DEP-14 tag"; without it a tag could be replayed under another name.
  if (tag.headers.tag !== refName) {
    reasons.push(reason('TAG_NAME_MISMATCH', `the tag object says "tag ${tag.headers.tag}" but was fetched as refs/tags/${refName}`));
  }
  // The builder checks out the tag and mini-git-tag-fsck needs a commit behind it.
  if (tag.headers.type !== 'commit') {
    reasons.push(reason('TAG_TARGET_NOT_COMMIT', `the tag points at a ${tag.headers.type}, not a commit`));
  }

  const message = parseTagMessage(tag.raw, input.rules ?? 'current');
  reasons.push(...message.reasons);
  const instruction = message.instruction;

  if (version !== undefined && message.version !== undefined && message.version !== version) {
    reasons.push(reason('VERSION_MISMATCH', `version=${message.version} but the tag name says ${version}`));
  }

  let changelog: ChangelogEntry | undefined;
  if (input.changelog === undefined) {
    reasons.push(reason('CHANGELOG_INVALID', 'the tagged commit has no debian/changelog'));
  } else {
    const parsed = parseChangelog(input.changelog);
    changelog = parsed.entry;
    if (parsed.fatal !== undefined || changelog === undefined) {
      reasons.push(reason('CHANGELOG_INVALID', `dpkg-parsechangelog fails on debian/changelog: ${parsed.fatal ?? 'no entry'}`));
    } else if (!changelog.headerParsed) {
      reasons.push(
        reason('CHANGELOG_INVALID', 'the first entry of debian/changelog has no valid "SOURCE (VERSION) SUITE; urgency=…" line'),
      );
    } else {
      // tag2upload_inspect_changelog: Version against the tag name's, Source against source=, then the suite.
      if (changelog.versionProblem !== undefined) {
        reasons.push(reason('CHANGELOG_INVALID', `the version in debian/changelog is invalid: ${changelog.versionProblem}`));
      } else {
        const expected = version ?? message.version;
        if (expected !== undefined && changelog.version !== expected) {
          reasons.push(reason('CHANGELOG_MISMATCH', `debian/changelog is for version ${changelog.version}, the tag for ${expected}`));
        }
      }
      if (message.source !== undefined && changelog.source !== message.source) {
        reasons.push(reason('SOURCE_MISMATCH', `debian/changelog is for source ${changelog.source}, the tag for ${message.source}`));
      }
      if (!SUITE_RE.test(changelog.distribution)) {
        reasons.push(reason('SUITE_INVALID', `debian/changelog targets "${changelog.distribution}", not one suite name`));
      }
    }
  }

  // `git rev-parse refs/tags/UTAG~0` must print the upstream= commit.
  if (
    instruction?.upstreamCommit !== undefined &&
    input.upstreamTagTarget !== undefined &&
    input.upstreamTagTarget !== instruction.upstreamCommit
  ) {
    reasons.push(
      reason(
        'UPSTREAM_MISMATCH',
        `upstream-tag=${instruction.upstreamTag ?? ''} resolves to ${input.upstreamTagTarget}, not upstream=${instruction.upstreamCommit}`,
      ),
    );
  }

  return {
    reasons,
    ...(instruction === undefined ? {} : { instruction }),
    ...(version === undefined ? {} : { version }),
    ...(changelog === undefined ? {} : { changelog }),
    ...(message.tagger === undefined ? {} : { tagger: message.tagger }),
  };
}

/** Whether the caller must fetch upstream-tag= and pass its target (the service fetches it whenever it is named). */
export function needsUpstreamTag(instruction: TagInstruction): boolean {
  return instruction.upstreamTag !== undefined;
}
