// The tag2upload metadata in a tag object, parsed from the raw bytes exactly
// as dgit-repos-server does it (parsetag_split, parsetag_general and
// tag2upload_parsetag; dgit 12.16 in trixie and 17.0): line by line over the
// bytes, the message cut at the first line starting "-----BEGIN PGP", the
// headers, a summary line, a blank line, then a body in which only lines
// matching ^\[dgit ([^"].*)\]$ carry items. The items of a line are taken
// from its front one at a time, each followed by one space; an item that no
// rule takes and that does not match ^[-+.=0-9a-z]\S* rejects the tag
// ("unknown critical dgit info"). The service stops at its first rejection;
// this parser carries on so that a report lists every problem.

import { reason, type Reason } from '../report/reasons.js';
import { DISTRO } from './tag-name.js';
import { refNameProblem } from '../gitobj/ref-name.js';
import { versionProblem } from './debian-version.js';
import { NON_SPACE, bytesToLatin1, chompLine, displayText, perlLines, perlTrue } from './perl-text.js';

/**
 * Which service's rules apply:
 * - `current`: dgit-repos-server ≥ 15.8 (measured with 17.0): takes
 *   `--deliberately-*` items (since 14.9) and `!pristine-tar=` (since 15.8);
 * - `trixie`: dgit-repos-server 12.16: ignores `--deliberately-*` (the builder
 *   never sees them) and rejects `!pristine-tar=` as unknown critical info.
 */
export type ServiceRules = 'current' | 'trixie';

/** The quilt modes dgit's option parser knows ($quilt_modes_re in dgit 12.16 and 17.0). */
export const QUILT_MODES = [
  'linear',
  'smash',
  'try-linear',
  'auto',
  'single',
  'nofix',
  'nocheck',
  'unapplied',
  'gbp',
  'dpm',
  'baredebian',
  'baredebian+git',
  'baredebian+tarball',
] as const;
export type QuiltMode = (typeof QUILT_MODES)[number];

/** dgit-repos-server: TAG2UPLOAD_LINE_LENGTH_LIMIT, counted in bytes and including the "\n". */
export const TAG_LINE_MAX_LENGTH = 900;

/** Debian::Dgit $package_re. */
export const PACKAGE_RE = /^[0-9a-z][-+.0-9a-z]*$/;
const PACKAGE = '[0-9a-z][-+.0-9a-z]*';
const DELIBERATELY = `(?:TEST-)?${PACKAGE}`;

/** The whole instruction a tag gives, with the defaults the service applies. */
export interface TagInstruction {
  /** The summary line (UTF-8 when valid, else one character per byte). */
  readonly summary: string;
  /** Every `distro=` value, in order. */
  readonly distros: readonly string[];
  readonly source: string;
  readonly version: string;
  /** The `--quilt=` mode, or `linear` (dgit's default) when the tag names none. */
  readonly quiltMode: string;
  /** Whether the tag names the mode (the service passes `--quilt=` to dgit only then). */
  readonly quiltModeExplicit: boolean;
  readonly upstreamCommit?: string;
  readonly upstreamTag?: string;
  /** `--deliberately-*` items the service passes on to dgit, in order (none under `trixie` rules). */
  readonly deliberately: readonly string[];
  /** The `!pristine-tar=` commit (only under `current` rules). */
  readonly pristineTar?: string;
  readonly pleaseUpload: boolean;
  readonly split: boolean;
}

export interface ParsedTagMessage {
  /** Present whenever the tag names a source and a version, even when other checks failed. */
  readonly instruction?: TagInstruction;
  /** The tag object's header values by name, as dgit collects them (`tagh`). */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  /** The tagger identity `Name <email>` the service copies into Git-Tag-Tagger, when it accepts the tagger. */
  readonly tagger?: string;
  /** Items no rule takes and the service ignores, in order. */
  readonly ignoredItems: readonly string[];
  /** The `version=` value, even when other items are missing. */
  readonly version?: string;
  readonly source?: string;
  readonly reasons: readonly Reason[];
}

// Debian::Dgit: RFC 5322 angle-addr without obsolete syntax.
const ATEXT_CHARS = "A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~";
const DOT_ATOM = `[${ATEXT_CHARS}][.${ATEXT_CHARS}]*`;
const TAGGER_RE = new RegExp(`^([^\\n\\r]+ <(${DOT_ATOM}@${DOT_ATOM})>) [0-9]+ [-+][0-9]+$`);
const DGIT_LINE_RE = /^\[dgit ([^"].*)\]$/s;

type Phase = 'header' | 'summary line' | 'summary line sep' | 'body';

/** Parses the tag2upload metadata of a raw tag object (the bytes `git cat-file tag` prints). */
export function parseTagMessage(raw: Uint8Array, rules: ServiceRules = 'current'): ParsedTagMessage {
  const reasons: Reason[] = [];
  const text = bytesToLatin1(raw);
  const lines = perlLines(text);

  // tag2upload_check_args: every line of the whole tag object, "\n" included.
  const long = lines.flatMap((line, i) => (line.length > TAG_LINE_MAX_LENGTH ? [i + 1] : []));
  if (long.length > 0) {
    reasons.push(
      reason('TAG_LINE_TOO_LONG', `line ${long.join(', ')} of the tag object exceeds ${TAG_LINE_MAX_LENGTH} bytes (counting the newline)`),
    );
  }

  // parsetag_split: the plaintext ends at the first line starting "-----BEGIN PGP" (git cuts
  // at the last signature line). Only the plaintext is parsed, as tag2upload does; the
  // signature is checked over the same bytes (verify-tag-signature.ts).
  let cut = lines.findIndex((line) => line.startsWith('-----BEGIN PGP'));
  if (cut === -1) cut = lines.length;

  const headers = new Map<string, string[]>();
  const need = new Set(['please-upload', 'split']);
  const distros: string[] = [];
  const deliberately: string[] = [];
  const ignoredItems: string[] = [];
  let summary = '';
  let upstreamCommit: string | undefined;
  let upstreamTag: string | undefined;
  let quilt: string | undefined;
  let source: string | undefined;
  let version: string | undefined;
  let pristineTar: string | undefined;
  let phase: Phase = 'header';

  const take = (s: string, re: RegExp): [RegExpExecArray, string] | undefined => {
    const m = re.exec(s);
    return m ? [m, s.slice(m[0].length)] : undefined;
  };

  for (const [index, full] of lines.slice(0, cut).entries()) {
    const line = chompLine(full);
    const n = index + 1;
    if (phase === 'header') {
      const h = new RegExp(`^(${NON_SPACE}+) (.*)`, 's').exec(line);
      if (h) {
        const list = headers.get(h[1]!) ?? [];
        list.push(h[2]!);
        headers.set(h[1]!, list);
      } else if (!new RegExp(NON_SPACE).test(line)) {
        phase = 'summary line';
      } else {
        reasons.push(reason('TAG_OBJECT_MALFORMED', `line ${n}: corrupted git header in tag`));
      }
    } else if (phase === 'summary line') {
      if (!new RegExp(NON_SPACE).test(line)) {
        reasons.push(reason('TAG_MESSAGE_MALFORMED', 'the tag summary line has only whitespace'));
      }
      summary = displayText(line);
      phase = 'summary line sep';
    } else if (phase === 'summary line sep') {
      if (new RegExp(NON_SPACE).test(line)) {
        reasons.push(reason('TAG_MESSAGE_MALFORMED', 'the 2nd line of the tag message (after the summary line) is not blank'));
      }
      phase = 'body';
    } else {
      const d = DGIT_LINE_RE.exec(line);
      if (!d) continue; // Other body lines are free text.
      let s = `${d[1]!} `;
      while (s.length > 0) {
        let t: [RegExpExecArray, string] | undefined;
        const first = new RegExp(`^(${NON_SPACE}+) `).exec(s);
        if (first && need.has(first[1]!)) {
          need.delete(first[1]!);
          s = s.slice(first[0].length);
        } else if ((t = take(s, /^upstream=(\w+) /))) {
          upstreamCommit = t[0][1]!;
          s = t[1];
        } else if ((t = take(s, new RegExp(`^upstream-tag=(${NON_SPACE}+) `)))) {
          upstreamTag = t[0][1]!;
          s = t[1];
        } else if ((t = take(s, /^--quilt=([-+0-9a-z]+) /))) {
          quilt = t[0][1]!;
          s = t[1];
        } else if ((t = take(s, new RegExp(`^source=(${PACKAGE}) `)))) {
          source = t[0][1]!;
          s = t[1];
        } else if ((t = take(s, new RegExp(`^version=(${NON_SPACE}+) `)))) {
          version = t[0][1]!;
          s = t[1];
        } else if (rules === 'current' && (t = take(s, /^!pristine-tar=(\w+) /))) {
          pristineTar = t[0][1]!;
          s = t[1];
        } else if ((t = take(s, new RegExp(`^distro=(${NON_SPACE}+) `)))) {
          distros.push(t[0][1]!);
          s = t[1];
        } else if (rules === 'current' && (t = take(s, new RegExp(`^--deliberately-(${DELIBERATELY}) `)))) {
          deliberately.push(`--deliberately-${t[0][1]!}`);
          s = t[1];
        } else if ((t = take(s, new RegExp(`^([-+.=0-9a-z]${NON_SPACE}*) `)))) {
          ignoredItems.push(displayText(t[0][1]!));
          s = t[1];
        } else {
          // The service rejects here ("unknown critical dgit info in tag"); skip the item to report the rest.
          const item = s.slice(0, s.indexOf(' '));
          s = s.slice(item.length + 1);
          if (item === '') {
            reasons.push(reason('DGIT_ITEM_INVALID', `line ${n}: empty [dgit] item (two spaces, or a leading or trailing space)`));
          } else if (item.startsWith('!')) {
            reasons.push(
              reason(
                'DGIT_ITEM_UNKNOWN_CRITICAL',
                `line ${n}: critical item ${JSON.stringify(displayText(item))} is not one tag2upload knows${rules === 'trixie' && item.startsWith('!pristine-tar=') ? ' (dgit 12.16 has no !pristine-tar)' : ''}`,
              ),
            );
          } else {
            reasons.push(
              reason(
                'DGIT_ITEM_INVALID',
                `line ${n}: item ${JSON.stringify(displayText(item))} must start with one of - + . = 0-9 a-z and contain no whitespace`,
              ),
            );
          }
        }
      }
    }
  }

  if (phase !== 'summary line sep' && phase !== 'body') {
    reasons.push(reason('TAG_MESSAGE_MALFORMED', `the tag has no message (it ends at the ${phase})`));
  }
  if (distros.length === 0) {
    reasons.push(reason('DISTRO_MISSING', 'the tag has no distro= item'));
  } else if (!distros.includes(DISTRO)) {
    reasons.push(reason('DISTRO_MISSING', `the tag is not for ${DISTRO} (distro=${distros.join(', distro=')})`));
  }

  // tag2upload_parsetag: the tagger must be exactly one header ending in an angle-addr and a date.
  const taggers = headers.get('tagger') ?? [];
  let tagger: string | undefined;
  if (taggers.length !== 1) {
    reasons.push(reason('TAGGER_INVALID', taggers.length === 0 ? 'the tag has no tagger header' : 'the tag has several tagger headers'));
  } else {
    const m = TAGGER_RE.exec(taggers[0]!);
    if (m) tagger = displayText(m[1]!);
    else
      reasons.push(
        reason('TAGGER_INVALID', `tagger ${JSON.stringify(displayText(taggers[0]!))} does not end in "Name <address> TIME ZONE"`),
      );
  }

  if (need.has('please-upload')) reasons.push(reason('PLEASE_UPLOAD_MISSING', 'the tag has no please-upload item'));
  if (need.has('split')) reasons.push(reason('SPLIT_MISSING', 'the tag has no split item'));
  // `unless $package` and `unless $tagversion`: Perl truth, so "0" counts as missing.
  if (!perlTrue(source)) {
    const bad = ignoredItems.find((item) => item.startsWith('source='));
    reasons.push(
      reason(
        'SOURCE_INVALID',
        bad === undefined
          ? 'the tag has no source= item'
          : `${JSON.stringify(bad)} is not a valid source package name ([0-9a-z][-+.0-9a-z]*)`,
      ),
    );
  }
  if (!perlTrue(version)) {
    reasons.push(reason('VERSION_INVALID', 'the tag has no version= item'));
  } else {
    const problem = versionProblem(version!);
    if (problem !== undefined) reasons.push(reason('VERSION_INVALID', `version=${displayText(version!)}: ${problem}`));
  }

  if ((upstreamTag === undefined) !== (upstreamCommit === undefined)) {
    reasons.push(
      reason(
        'UPSTREAM_INCOMPLETE',
        upstreamTag === undefined
          ? 'the tag has upstream= but no upstream-tag='
          : 'the tag has upstream-tag= but no (valid) upstream= item',
      ),
    );
  }
  if (pristineTar !== undefined && upstreamCommit === undefined) {
    reasons.push(reason('UPSTREAM_INCOMPLETE', 'the tag has !pristine-tar= but no upstream='));
  }
  if (upstreamCommit !== undefined && !/^[0-9a-f]{40}$/.test(upstreamCommit)) {
    // The service compares it with `git rev-parse TAG~0`, which prints the full lower-case id.
    reasons.push(reason('UPSTREAM_INVALID', `upstream=${upstreamCommit} is not a full commit id (40 lower-case hex digits)`));
  }
  if (upstreamTag !== undefined) {
    const problem = refNameProblem(`refs/tags/${upstreamTag}`);
    if (problem !== undefined) {
      reasons.push(reason('UPSTREAM_INVALID', `upstream-tag=${displayText(upstreamTag)} is not a valid git tag name: it ${problem}`));
    }
  }
  if (quilt !== undefined) {
    if (!(QUILT_MODES as readonly string[]).includes(quilt)) {
      reasons.push(reason('QUILT_MODE_INVALID', `--quilt=${quilt} is not a dgit quilt mode (${QUILT_MODES.join(', ')})`));
    }
    // tag2upload_push: any baredebian mode needs the upstream commit.
    if (quilt.includes('baredebian') && upstreamCommit === undefined) {
      reasons.push(reason('UPSTREAM_INCOMPLETE', `--quilt=${quilt} needs upstream= and upstream-tag=`));
    }
  }

  const instruction: TagInstruction | undefined =
    perlTrue(source) && perlTrue(version)
      ? {
          summary,
          distros,
          source: source!,
          version: displayText(version!),
          quiltMode: quilt ?? 'linear',
          quiltModeExplicit: quilt !== undefined,
          ...(upstreamCommit === undefined ? {} : { upstreamCommit }),
          ...(upstreamTag === undefined ? {} : { upstreamTag: displayText(upstreamTag) }),
          deliberately,
          ...(pristineTar === undefined ? {} : { pristineTar }),
          pleaseUpload: !need.has('please-upload'),
          split: !need.has('split'),
        }
      : undefined;
  return {
    ...(instruction === undefined ? {} : { instruction }),
    headers,
    ...(tagger === undefined ? {} : { tagger }),
    ignoredItems,
    ...(version === undefined ? {} : { version: displayText(version) }),
    ...(source === undefined ? {} : { source }),
    reasons,
  };
}
