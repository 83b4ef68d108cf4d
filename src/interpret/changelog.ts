// The first entry of debian/changelog, as `dpkg-parsechangelog` (dpkg-dev
// 1.22, Dpkg::Changelog::Debian) reports it: the tag2upload service reads
// Source, Version and Distribution from that command's output
// (dgit-repos-server tag2upload_inspect_changelog). dpkg is lenient: a
// malformed line is a warning, an unparsable version prints "Version:
// unknown", a missing header "Source: unknown"; only a file without any entry
// (or one that declares another changelog format) makes it fail. This parser
// follows the same state machine so that it agrees with dpkg on odd files.

import { PERL_SPACE, splitAround, trimEnd, trimStart } from '../text/scan.js';
import { SPACE, NON_SPACE, bytesToLatin1, displayText, chompLine, perlLines } from './perl-text.js';
import { versionProblem } from './debian-version.js';

export interface ChangelogEntry {
  /** "Source:" as dpkg-parsechangelog prints it ("unknown" when the header does not parse). */
  readonly source: string;
  /** "Version:" ("unknown" when the header does not parse or the version is invalid). */
  readonly version: string;
  /** "Distribution:": the suites separated by single spaces ("" without a header). */
  readonly distribution: string;
  /** "Urgency:", lower case, first word ("unknown" when absent). */
  readonly urgency: string;
  /** "Maintainer:" from the trailer line ("" when absent). */
  readonly maintainer: string;
  /** "Date:" as written in the trailer line ("" when absent). */
  readonly date: string;
  /** "Timestamp:": the date in seconds since the epoch, when dpkg can parse it. */
  readonly timestamp?: number;
  /** Whether the entry has a header line that matched dpkg's pattern. */
  readonly headerParsed: boolean;
  /** Why the header's version was rejected (dpkg's message), when it was. */
  readonly versionProblem?: string;
}

export interface ChangelogResult {
  /** The first entry, absent when dpkg-parsechangelog would fail. */
  readonly entry?: ChangelogEntry;
  /** dpkg-parsechangelog's warnings about the lines it read (with line numbers). */
  readonly warnings: readonly string[];
  /** Why dpkg-parsechangelog would exit non-zero, when it would. */
  readonly fatal?: string;
}

const NAME = '[-+0-9a-zA-Z.]';
// Dpkg::Changelog::Entry::Debian $regex_header (with /i), on a chomped line,
// less its final `\s*$`: the options group is trimmed by hand (headerOf), since
// a lazy group before `\s*$` backtracks quadratically on a run of white space.
const HEADER_RE = new RegExp(`^(\\w${NAME}*) \\(([^() \\t]+)\\)((?:${SPACE}+${NAME}+)+);(.*)$`, 's');
// The tail of $regex_trailer after the email's ">": blanks, date (day of week, date-time, month).
const TRAILER_TAIL_RE =
  /^( {1,2})(((\w+),[\t\n\v\f\r ]*)?(\d{1,2}[\t\n\v\f\r ]+(\w+)[\t\n\v\f\r ]+\d{4}[\t\n\v\f\r ]+\d{1,2}:\d\d:\d\d[\t\n\v\f\r ]+[-+]\d{4}))[\t\n\v\f\r ]*$/;

/** The groups of $regex_header, or null when the line is not a header. */
export function headerOf(line: string): [string, string, string, string] | null {
  const m = HEADER_RE.exec(line);
  return m ? [m[1]!, m[2]!, m[3]!, trimEnd(m[4]!, PERL_SPACE)] : null;
}

interface Trailer {
  readonly name: string;
  readonly email: string;
  readonly blanks: string;
  readonly date: string;
  readonly weekDay?: string;
  readonly dateTime: string;
  readonly month: string;
}

/**
 * $regex_trailer, `^ -- (.*) <(.*)>(  ?)(((\w+),\s*)?(\d{1,2}\s+(\w+)\s+\d{4}\s+\d{1,2}:\d\d:\d\d\s+[-+]\d{4}))\s*$`,
 * matched without backtracking: nothing after the email's ">" can be a ">", so
 * it is the last ">" of the line, and the greedy name ends at the last " <" before it.
 */
export function trailerOf(line: string): Trailer | null {
  if (!line.startsWith(' -- ')) return null;
  const gt = line.lastIndexOf('>');
  if (gt < 6) return null;
  const lt = line.lastIndexOf(' <', gt - 2);
  if (lt < 4) return null;
  const t = TRAILER_TAIL_RE.exec(line.slice(gt + 1));
  if (!t) return null;
  return {
    name: line.slice(4, lt),
    email: line.slice(lt + 2, gt),
    blanks: t[1]!,
    date: t[2]!,
    ...(t[3] === undefined ? {} : { weekDay: t[4]! }),
    dateTime: t[5]!,
    month: t[6]!,
  };
}

const isPerlSpace = (c: string | undefined): boolean => c !== undefined && PERL_SPACE.includes(c);
const isWordChar = (c: string | undefined): boolean => c !== undefined && /^\w$/.test(c);

/** `.*\s+[<(].*[)>]` from `from`: a white space, then "<" or "(", then later ")" or ">". */
function bracketTail(line: string, from: number): boolean {
  for (let i = from; i + 1 < line.length; i++) {
    if (isPerlSpace(line[i]) && (line[i + 1] === '<' || line[i + 1] === '(')) return /[)>]/.test(line.slice(i + 2));
  }
  return false;
}

// Dpkg::Changelog::Debian $ancient_delimiter_re (with /i): old formats end the parse.
// Its alternatives, each matched in linear time; those whose regular
// expression would backtrack over the line are scanned by hand.
const ANCIENT_DATE_TIME = /^\w+[\t\n\v\f\r ]+\w+[\t\n\v\f\r ]+\d{1,2} \d{1,2}:\d{1,2}:\d{1,2}[\t\n\v\f\r ]/;
const ANCIENT_DATE = /^\w+[\t\n\v\f\r ]+\w+[\t\n\v\f\r ]+\d{1,2},?[\t\n\v\f\r ]*\d{4}[\t\n\v\f\r ]/;
const ANCIENT_SIMPLE = [/^\w[-+0-9a-z.]* \([^() \t]+\);?/i, /^old changelog:[\t\n\v\f\r ]*$/i, /^(?:\d+:)?\w[-\w.+~]*:?[\t\n\v\f\r ]*$/];

export function isAncientDelimiter(line: string): boolean {
  if (ANCIENT_SIMPLE.some((re) => re.test(line))) return true;
  // `\w+\s+\w+\s+\d{1,2} \d{1,2}:\d{1,2}:\d{1,2}\s+[\w\s]*\d{4}\s+.*\s+[<(].*[)>]`: the
  // earliest year followed by white space leaves the most room for the tail.
  const dt = ANCIENT_DATE_TIME.exec(line);
  if (dt) {
    for (let i = dt[0].length; i < line.length && (isWordChar(line[i]) || isPerlSpace(line[i])); i++) {
      if (/^\d{4}[\t\n\v\f\r ]/.test(line.slice(i, i + 5)) && bracketTail(line, i + 5)) return true;
    }
  }
  // `\w+\s+\w+\s+\d{1,2},?\s*\d{4}\s+.*\s+[<(].*[)>]`
  const d = ANCIENT_DATE.exec(line);
  if (d && bracketTail(line, d[0].length)) return true;
  // `[\w.+-]+[- ]\S+ Debian \S+`
  if (wordDashDebian(line)) return true;
  const lower = line.toLowerCase();
  // `Changes from version .* to .*:`
  if (lower.startsWith('changes from version ')) {
    const to = lower.indexOf(' to ', 21);
    if (to !== -1 && lower.includes(':', to + 4)) return true;
  }
  // `Changes for [\w.+-]+-[\w.+-]+:?\s*$`
  if (lower.startsWith('changes for ')) {
    let end = 12;
    while (end < line.length && /^[-\w.+]$/.test(line[end]!)) end++;
    const run = line.slice(12, end);
    if (run.slice(1, -1).includes('-') && /^:?[\t\n\v\f\r ]*$/.test(line.slice(end))) return true;
  }
  return false;
}

/** `[\w.+-]+[- ]\S+ Debian \S+` (case-insensitive), anchored at the start. */
function wordDashDebian(line: string): boolean {
  let w = 0;
  while (w < line.length && /^[-\w.+]$/.test(line[w]!)) w++;
  if (w === 0) return false;
  const debianAt = (space: number): boolean =>
    line.slice(space, space + 8).toLowerCase() === ' debian ' && space + 8 < line.length && !isPerlSpace(line[space + 8]);
  const nextSpace = (from: number): number => {
    let i = from;
    while (i < line.length && !isPerlSpace(line[i])) i++;
    return i;
  };
  // The separator is a "-" inside the run: the \S+ after it runs to the first white space.
  const s0 = nextSpace(w);
  const dash = line.indexOf('-', 1);
  if (dash !== -1 && dash < w && dash + 1 < s0 && debianAt(s0)) return true;
  // Or the space just after the run.
  if (line[w] === ' ') {
    const s1 = nextSpace(w + 1);
    if (s1 > w + 1 && debianAt(s1)) return true;
  }
  return false;
}

const LOCAL_VARIABLES_RE = new RegExp(`^(?:;;${SPACE}*)?Local variables:`, 'i');

const WEEK_DAYS = new Set(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const FULL_MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

type Expect = 'first heading' | 'next heading or end of file' | 'start of change data' | 'more change data or trailer';

interface RawEntry {
  header?: string;
  trailer?: string;
  changes: number;
}

/**
 * The largest debian/changelog the verifier reads (64 MiB, the bound
 * reconstruct/mtime-leak.ts also uses): the longest-lived packages' changelogs
 * are a few MiB; the parser is linear, so the cap bounds memory, not time.
 */
export const MAX_CHANGELOG_BYTES = 64 << 20;

/** Parses debian/changelog bytes; never throws. */
export function parseChangelog(bytes: Uint8Array): ChangelogResult {
  const text = bytesToLatin1(bytes);
  const warnings: string[] = [];

  // Parse.pm _changelog_detect_format: the last "changelog-format:" in the final 4 KiB picks the parser.
  const tail = bytes.length > 4096 ? text.slice(text.length - 4096) : text;
  let format = 'debian';
  for (const line of perlLines(tail)) {
    const m = new RegExp(`${SPACE}changelog-format:${SPACE}+([0-9a-z]+)\\W`).exec(line);
    if (m) format = m[1]!;
  }
  if (format !== 'debian') {
    return { warnings, fatal: `changelog format ${format} is unknown (only the debian format is supported)` };
  }

  let expect: Expect = 'first heading';
  const entry: RawEntry = { changes: 0 };
  let first: RawEntry | undefined;
  const isEmpty = (e: RawEntry): boolean => e.header === undefined && e.trailer === undefined && e.changes === 0;
  const warn = (n: number, msg: string): void => {
    warnings.push(`line ${n}: ${msg}`);
  };

  const lines = perlLines(text).map(chompLine);
  let n = 0;
  for (const line of lines) {
    n++;
    if (headerOf(line)) {
      if (expect !== 'first heading' && expect !== 'next heading or end of file') {
        warn(n, `found start of entry where expected ${expect}`);
      }
      if (!isEmpty(entry)) {
        // dpkg-parsechangelog reads one entry (count 1) and stops at the next header.
        first = entry;
        break;
      }
      entry.header = line;
      expect = 'start of change data';
    } else if (LOCAL_VARIABLES_RE.test(line) || /^vim:/i.test(line)) {
      // Emacs and Vim trailers end the entries.
      break;
    } else if (/^\$\w+:.*\$/s.test(line) || line.startsWith('# ') || /^\/\*.*\*\//s.test(line)) {
      continue;
    } else if (isAncientDelimiter(line)) {
      // The rest of the file is kept verbatim as an old-format tail.
      break;
    } else if (new RegExp(`^${NON_SPACE}`).test(line)) {
      warn(n, 'badly formatted heading line');
    } else if (trailerOf(line)) {
      if (expect !== 'more change data or trailer') warn(n, `found trailer where expected ${expect}`);
      entry.trailer = line;
      expect = 'next heading or end of file';
    } else if (line.startsWith(' --')) {
      warn(n, 'badly formatted trailer line');
    } else if (new RegExp(`^${SPACE}{2,}${NON_SPACE}`).test(line)) {
      if (expect !== 'start of change data' && expect !== 'more change data or trailer') {
        warn(n, `found change data where expected ${expect}`);
        if (expect === 'next heading or end of file' && !isEmpty(entry)) {
          // dpkg assumes a missing header and starts an "unknown" entry: the first entry is complete.
          first = entry;
          break;
        }
      }
      entry.changes++;
      expect = 'more change data or trailer';
    } else if (!new RegExp(NON_SPACE).test(line)) {
      if (expect === 'first heading') warn(n, `found blank line where expected ${expect}`);
    } else {
      warn(n, 'unrecognized line');
      if (expect !== 'start of change data' && expect !== 'more change data or trailer') {
        entry.changes++;
        expect = 'more change data or trailer';
      }
    }
  }
  if (first === undefined) {
    if (expect !== 'next heading or end of file') warn(n, `found end of file where expected ${expect}`);
    if (!isEmpty(entry)) first = entry;
  }
  if (first === undefined) return { warnings, fatal: 'no changelog entry found' };
  return { entry: describeEntry(first, warnings), warnings };
}

function describeEntry(raw: RawEntry, warnings: string[]): ChangelogEntry {
  let source = '';
  let version = 'unknown';
  let distribution = '';
  let urgency = '';
  let problem: string | undefined;
  const h = raw.header === undefined ? null : headerOf(raw.header);
  if (h) {
    source = h[0];
    problem = versionProblem(h[1]);
    if (problem === undefined) version = h[1];
    else warnings.push(`version '${h[1]}' is invalid: ${problem}`);
    distribution = h[2]
      .split(new RegExp(`${SPACE}+`))
      .filter((d) => d !== '')
      .join(' ');
    urgency = urgencyOf(h[3]);
  }

  let maintainer = '';
  let date = '';
  let timestamp: number | undefined;
  const t = raw.trailer === undefined ? null : trailerOf(raw.trailer);
  if (t) {
    maintainer = `${t.name} <${t.email}>`;
    date = t.date;
    if (t.blanks !== '  ') warnings.push('badly formatted trailer line');
    if (t.weekDay !== undefined && !WEEK_DAYS.has(t.weekDay)) warnings.push(`ignoring invalid week day '${t.weekDay}'`);
    timestamp = parseDate(t.dateTime);
    if (timestamp === undefined) {
      const month = t.month;
      if (!MONTHS.includes(month)) {
        warnings.push(
          FULL_MONTHS.includes(month)
            ? `uses full '${month}' instead of abbreviated month name`
            : `invalid abbreviated month name '${month}'`,
        );
      }
      warnings.push(`cannot parse non-conformant date '${t.dateTime}'`);
    }
  }
  return {
    // Changelog.pm _format_dpkg: `get_source() || 'unknown'`, `get_urgency() || 'unknown'`.
    source: source === '' || source === '0' ? 'unknown' : displayText(source),
    version,
    distribution,
    urgency: urgency === '' || urgency === '0' ? 'unknown' : urgency,
    maintainer: displayText(maintainer),
    date,
    ...(timestamp === undefined ? {} : { timestamp }),
    headerParsed: h !== null,
    ...(problem === undefined ? {} : { versionProblem: problem }),
  };
}

/** Entry::Debian parse_header: the first "urgency=" of the ";"-options, first word, lower case. */
export function urgencyOf(options: string): string {
  const opts = trimStart(options, PERL_SPACE);
  if (opts === '') return '';
  for (const opt of splitAround(opts, ',', PERL_SPACE)) {
    // `^([-0-9a-z]+)=\s*(.*\S)$`: the value runs from its first non-space to the end, which must not be a space.
    const m = /^([-0-9a-z]+)=(.*)$/is.exec(opt);
    const value = m ? trimStart(m[2]!, PERL_SPACE) : '';
    if (m && value !== '' && !PERL_SPACE.includes(value[value.length - 1]!) && m[1]!.toLowerCase() === 'urgency') {
      const space = [...PERL_SPACE].map((c) => value.indexOf(c)).filter((i) => i !== -1);
      return (space.length === 0 ? value : value.slice(0, Math.min(...space))).toLowerCase();
    }
  }
  return '';
}

/** Time::Piece->strptime($date, '%d %b %Y %T %z') in the C locale, as seconds since the epoch. */
function parseDate(text: string): number | undefined {
  const m = new RegExp(
    `^(\\d{1,2})${SPACE}+(\\w+)${SPACE}+(\\d{4})${SPACE}+(\\d{1,2}):(\\d\\d):(\\d\\d)${SPACE}+([-+])(\\d\\d)(\\d\\d)$`,
    's',
  ).exec(text);
  if (!m) return undefined;
  const month = MONTHS.findIndex((name) => name.toLowerCase() === m[2]!.toLowerCase());
  const [day, year, hour, minute, second] = [m[1], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  if (month === -1 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const offset = (Number(m[8]) * 60 + Number(m[9])) * 60 * (m[7] === '-' ? -1 : 1);
  return Date.UTC(year, month, day, hour, minute, second) / 1000 - offset;
}
