// The OpenPGP cleartext signature framework (RFC 4880 §7, RFC 9580 §7) as gpg
// reads it, for clearsigned .dsc, .changes and InRelease files: the
// "-----BEGIN PGP SIGNED MESSAGE-----" line, "Hash:" armor headers read by
// gpg 2.2's rules (parse_header_line, parse_hash_header; gpg refuses any
// other header in a cleartext message), an empty line, the
// dash-escaped text, then the armored signature. The signature covers the
// text with dash-escapes removed, trailing spaces, tabs and CRs cut from every
// line (gpg's trim_trailing_ws), lines joined by CR LF, and without the line
// end just before "-----BEGIN PGP SIGNATURE-----". Anything outside the
// signed block other than white space is refused: it would be unsigned data a
// reader might take for signed.

import { trimEnd } from '../text/scan.js';
import { FormatError } from '../report/format-error.js';

export interface Clearsigned {
  /** The digests the "Hash:" headers declare, by gpg's names (e.g. ["SHA512"]); ["MD5"] when there is no Hash: header. */
  readonly hashes: readonly string[];
  /** The text as the file carries it: dash-escapes removed, lines joined by "\n" (what was given to gpg --clearsign: the .dsc as dpkg-source wrote it). */
  readonly body: Uint8Array;
  /**
   * The text as `gpgv --output` writes it: trailing spaces and tabs cut from
   * each line (a CR before the line end kept), every line ending in a line end.
   * Its content is exactly what the signature covers.
   */
  readonly text: Uint8Array;
  /** The exact bytes the signature's digest is computed over (CR LF line ends, no final line end). */
  readonly signed: Uint8Array;
  /** The armored signature block, from its BEGIN line to its END line. */
  readonly signatureArmor: string;
}

const BEGIN_MESSAGE = /^-----BEGIN PGP SIGNED MESSAGE-----[ \t\r]*$/;
const BEGIN_SIGNATURE = /^-----BEGIN PGP SIGNATURE-----[ \t\r]*$/;
const END_SIGNATURE = /^-----END PGP SIGNATURE-----[ \t\r]*$/;
/** gpg's trim_trailing_ws for clearsigned text: spaces, tabs and carriage returns. */
const TRAILING = ' \t\r';

function bytes(latin1: string): Uint8Array {
  const b = Buffer.from(latin1, 'latin1');
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** The digests gpg 2.2 knows in a Hash: header, in the order its parse_hash_header tries them. */
const HASH_NAMES = ['RIPEMD160', 'SHA1', 'SHA224', 'SHA256', 'SHA384', 'SHA512'] as const;

/**
 * gpg 2.2's parse_hash_header: a line of 6 to 60 characters, "Hash:", then
 * names separated by commas, each with optional spaces or tabs around it (a
 * comma may end the list). A name matches the first known digest it is a
 * prefix of, case-sensitively ("SHA5" is SHA512, "SHA" is SHA1). Undefined
 * when gpg would refuse the line; the canonical names otherwise.
 */
function hashHeader(line: string): string[] | undefined {
  if (line.length < 6 || line.length > 60 || !line.startsWith('Hash:')) return undefined;
  const found: string[] = [];
  const blank = (c: string | undefined): boolean => c === ' ' || c === '\t';
  let i = 5;
  for (;;) {
    while (blank(line[i])) i++;
    if (i >= line.length) break;
    let end = i + 1;
    while (end < line.length && !blank(line[end]) && line[end] !== ',') end++;
    const token = line.slice(i, end);
    const name = HASH_NAMES.find((n) => n.startsWith(token));
    if (!name) return undefined;
    found.push(name);
    while (blank(line[end])) end++;
    if (end < line.length && line[end] !== ',') return undefined;
    i = end < line.length ? end + 1 : end;
  }
  return found.length > 0 ? found : undefined;
}

/** True when `data` starts (after white space) with a cleartext signature header. */
export function isClearsigned(data: Uint8Array): boolean {
  const head = Buffer.from(data.subarray(0, 200)).toString('latin1').replace(/^\s+/, '');
  return head.startsWith('-----BEGIN PGP SIGNED MESSAGE-----');
}

/** Splits a clearsigned file; throws a FormatError when it is not one well-formed cleartext signature. */
export function parseClearsigned(data: Uint8Array): Clearsigned {
  const lines = Buffer.from(data).toString('latin1').split('\n');
  let i = 0;
  while (i < lines.length && /^[ \t\r\f\v]*$/.test(lines[i]!)) i++;
  if (i >= lines.length || !BEGIN_MESSAGE.test(lines[i]!)) {
    throw new FormatError('clearsigned', 'the data does not start with "-----BEGIN PGP SIGNED MESSAGE-----"');
  }
  i++;
  const hashes = new Set<string>();
  let declared = false;
  for (; i < lines.length; i++) {
    const line = trimEnd(lines[i]!, TRAILING);
    if (line === '') break;
    // gpg's parse_header_line: "Name: value", a space after the colon.
    const colon = line.indexOf(':');
    if (colon === -1 || line[colon + 1] !== ' ')
      throw new FormatError('clearsigned', `invalid armor header ${JSON.stringify(line.slice(0, 60))}`);
    // gpg: "invalid clearsig header" for anything but Hash: (NotDashEscaped: is refused here too).
    const names = hashHeader(line);
    if (!names) throw new FormatError('clearsigned', `invalid cleartext header ${JSON.stringify(line.slice(0, 60))}`);
    for (const name of names) hashes.add(name);
    declared = true;
  }
  if (i >= lines.length) throw new FormatError('clearsigned', 'the cleartext headers are not followed by an empty line');
  i++;
  const body: string[] = [];
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (BEGIN_SIGNATURE.test(line)) break;
    if (line.startsWith('- ')) body.push(line.slice(2));
    else if (line.startsWith('-')) throw new FormatError('clearsigned', `line ${i + 1} starts with "-" but is not dash-escaped`);
    else body.push(line);
  }
  if (i >= lines.length) throw new FormatError('clearsigned', 'no "-----BEGIN PGP SIGNATURE-----" line');
  const start = i;
  for (i++; i < lines.length; i++) if (END_SIGNATURE.test(lines[i]!)) break;
  if (i >= lines.length) throw new FormatError('clearsigned', 'the signature has no "-----END PGP SIGNATURE-----" line');
  const signatureArmor =
    lines
      .slice(start, i + 1)
      .map((l) => trimEnd(l, TRAILING))
      .join('\n') + '\n';
  if (lines.slice(i + 1).some((l) => !/^[ \t\r\f\v]*$/.test(l)))
    throw new FormatError('clearsigned', 'data after the signature is not signed');

  // The line end before the signature block belongs to the framing, not to the text.
  const hashed = body.map((l) => trimEnd(l, TRAILING));
  const output = body.map((l) => (l.endsWith('\r') ? `${trimEnd(l.slice(0, -1), ' \t')}\r\n` : `${trimEnd(l, ' \t')}\n`));
  return {
    // Without a Hash: header, RFC 4880 §7 (and gpg) assume MD5.
    hashes: declared ? [...hashes] : ['MD5'],
    body: bytes(body.join('\n')),
    text: bytes(output.join('')),
    signed: bytes(hashed.join('\r\n')),
    signatureArmor,
  };
}
