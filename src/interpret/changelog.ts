// The first entry of debian/changelog, as `dpkg-parsechangelog` (dpkg-dev
// 1.22, Dpkg::Changelog::Debian) reports it: the tag2upload service reads
// Source, Version and Distribution from that command's output
// (dgit-repos-server tag2upload_inspect_changelog). dpkg is lenient: a
// malformed line is a warning, an unparsable version prints "Version:
// unknown", a missing header "Source: unknown"; only a file without any entry
// (or one that declares another changelog format) makes it fail. This parser
// follows the same state machine so that it agrees with dpkg on odd files.

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
// Dpkg::Changelog::Entry::Debian $regex_header (with /i), on a chomped line.
const HEADER_RE = new RegExp(
  `^(\\w${NAME}*) \\(([^() \\t]+)\\)((?:${SPACE}+${NAME}+)+);(.*?)${SPACE}*$`, 's');
// $regex_trailer: name, email, blanks, date (day of week, date-time, month).
const TRAILER_RE = new RegExp(
  `^ -- (.*) <(.*)>(  ?)(((\\w+),${SPACE}*)?(\\d{1,2}${SPACE}+(\\w+)${SPACE}+\\d{4}${SPACE}+\\d{1,2}:\\d\\d:\\d\\d${SPACE}+[-+]\\d{4}))${SPACE}*$`, 's');
// Dpkg::Changelog::Debian $ancient_delimiter_re (with /i): old formats end the parse.
const ANCIENT_RE = new RegExp(
  '^(?:' + [
    `\\w+${SPACE}+\\w+${SPACE}+\\d{1,2} \\d{1,2}:\\d{1,2}:\\d{1,2}${SPACE}+[\\w\\t\\n\\x0b\\f\\r ]*\\d{4}${SPACE}+.*${SPACE}+[<(].*[)>]`,
    `\\w+${SPACE}+\\w+${SPACE}+\\d{1,2},?${SPACE}*\\d{4}${SPACE}+.*${SPACE}+[<(].*[)>]`,
    `\\w[-+0-9a-z.]* \\([^() \\t]+\\);?`,
    `[\\w.+-]+[- ]${NON_SPACE}+ Debian ${NON_SPACE}+`,
    `Changes from version .* to .*:`,
    `Changes for [\\w.+-]+-[\\w.+-]+:?${SPACE}*$`,
    `Old Changelog:${SPACE}*$`,
    `(?:\\d+:)?\\w[\\w.+~-]*:?${SPACE}*$`,
  ].join('|') + ')', 'is');

const LOCAL_VARIABLES_RE = new RegExp(`^(?:;;${SPACE}*)?Local variables:`, 'i');

const WEEK_DAYS = new Set(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const FULL_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July',
  'August', 'September', 'October', 'November', 'December'];

type Expect = 'first heading' | 'next heading or end of file' | 'start of change data' | 'more change data or trailer';

interface RawEntry {
  header?: string;
  trailer?: string;
  changes: number;
}

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
  const warn = (n: number, msg: string): void => { warnings.push(`line ${n}: ${msg}`); };

  const lines = perlLines(text).map(chompLine);
  let n = 0;
  for (const line of lines) {
    n++;
    if (HEADER_RE.test(line)) {
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
    } else if (ANCIENT_RE.test(line)) {
      // The rest of the file is kept verbatim as an old-format tail.
      break;
    } else if (new RegExp(`^${NON_SPACE}`).test(line)) {
      warn(n, 'badly formatted heading line');
    } else if (TRAILER_RE.test(line)) {
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
  const h = raw.header === undefined ? null : HEADER_RE.exec(raw.header);
  if (h) {
    source = h[1]!;
    problem = versionProblem(h[2]!);
    if (problem === undefined) version = h[2]!;
    else warnings.push(`version '${h[2]!}' is invalid: ${problem}`);
    distribution = h[3]!.split(new RegExp(`${SPACE}+`)).filter((d) => d !== '').join(' ');
    urgency = urgencyOf(h[4]!);
  }

  let maintainer = '';
  let date = '';
  let timestamp: number | undefined;
  const t = raw.trailer === undefined ? null : TRAILER_RE.exec(raw.trailer);
  if (t) {
    maintainer = `${t[1]!} <${t[2]!}>`;
    date = t[4]!;
    if (t[3] !== '  ') warnings.push('badly formatted trailer line');
    if (t[5] !== undefined && !WEEK_DAYS.has(t[6]!)) warnings.push(`ignoring invalid week day '${t[6]!}'`);
    timestamp = parseDate(t[7]!);
    if (timestamp === undefined) {
      const month = t[8]!;
      if (!MONTHS.includes(month)) {
        warnings.push(FULL_MONTHS.includes(month)
          ? `uses full '${month}' instead of abbreviated month name`
          : `invalid abbreviated month name '${month}'`);
      }
      warnings.push(`cannot parse non-conformant date '${t[7]!}'`);
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
function urgencyOf(options: string): string {
  const opts = options.replace(new RegExp(`^${SPACE}+`), '');
  if (opts === '') return '';
  for (const opt of opts.split(new RegExp(`${SPACE}*,${SPACE}*`))) {
    const m = new RegExp(`^([-0-9a-z]+)=${SPACE}*(.*${NON_SPACE})$`, 'is').exec(opt);
    if (m && m[1]!.toLowerCase() === 'urgency') {
      return m[2]!.replace(new RegExp(`${SPACE}.*$`, 's'), '').toLowerCase();
    }
  }
  return '';
}

/** Time::Piece->strptime($date, '%d %b %Y %T %z') in the C locale, as seconds since the epoch. */
function parseDate(text: string): number | undefined {
  const m = new RegExp(
    `^(\\d{1,2})${SPACE}+(\\w+)${SPACE}+(\\d{4})${SPACE}+(\\d{1,2}):(\\d\\d):(\\d\\d)${SPACE}+([-+])(\\d\\d)(\\d\\d)$`, 's').exec(text);
  if (!m) return undefined;
  const month = MONTHS.findIndex((name) => name.toLowerCase() === m[2]!.toLowerCase());
  const [day, year, hour, minute, second] = [m[1], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  if (month === -1 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const offset = (Number(m[8]) * 60 + Number(m[9])) * 60 * (m[7] === '-' ? -1 : 1);
  return Date.UTC(year, month, day, hour, minute, second) / 1000 - offset;
}
