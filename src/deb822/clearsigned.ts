// The OpenPGP cleartext signature framework (RFC 4880 §7, RFC 9580 §7) as gpg
// reads it, for clearsigned .dsc, .changes and InRelease files: the
// "-----BEGIN PGP SIGNED MESSAGE-----" line, "Hash:" armor headers (gpg
// refuses any other header in a cleartext message), an empty line, the
// dash-escaped text, then the armored signature. The signature covers the
// text with dash-escapes removed, trailing spaces, tabs and CRs cut from every
// line (gpg's trim_trailing_ws), lines joined by CR LF, and without the line
// end just before "-----BEGIN PGP SIGNATURE-----". Anything outside the
// signed block other than white space is refused: it would be unsigned data a
// reader might take for signed.

import { trimEnd } from '../text/scan.js';

export class ClearsignError extends Error {
  override readonly name = 'ClearsignError';
}

export interface Clearsigned {
  /** Digest names from the "Hash:" headers, upper case as written (e.g. ["SHA512"]); empty when none. */
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

/** True when `data` starts (after white space) with a cleartext signature header. */
export function isClearsigned(data: Uint8Array): boolean {
  const head = Buffer.from(data.subarray(0, 200)).toString('latin1').replace(/^\s+/, '');
  return head.startsWith('-----BEGIN PGP SIGNED MESSAGE-----');
}

/** Splits a clearsigned file; throws ClearsignError when it is not one well-formed cleartext signature. */
export function parseClearsigned(data: Uint8Array): Clearsigned {
  const lines = Buffer.from(data).toString('latin1').split('\n');
  let i = 0;
  while (i < lines.length && /^[ \t\r\f\v]*$/.test(lines[i]!)) i++;
  if (i >= lines.length || !BEGIN_MESSAGE.test(lines[i]!)) {
    throw new ClearsignError('the data does not start with "-----BEGIN PGP SIGNED MESSAGE-----"');
  }
  i++;
  const hashes: string[] = [];
  for (; i < lines.length; i++) {
    const line = trimEnd(lines[i]!, TRAILING);
    if (line === '') break;
    const m = /^Hash: ?(.*)$/.exec(line);
    // gpg: "invalid clearsig header" for anything else (NotDashEscaped: is refused here too).
    if (!m) throw new ClearsignError(`invalid cleartext header ${JSON.stringify(line.slice(0, 60))}`);
    for (const h of m[1]!.split(',')) {
      const name = h.trim();
      if (!/^[A-Za-z0-9-]+$/.test(name)) throw new ClearsignError(`invalid Hash header ${JSON.stringify(line.slice(0, 60))}`);
      hashes.push(name);
    }
  }
  if (i >= lines.length) throw new ClearsignError('the cleartext headers are not followed by an empty line');
  i++;
  const body: string[] = [];
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (BEGIN_SIGNATURE.test(line)) break;
    if (line.startsWith('- ')) body.push(line.slice(2));
    else if (line.startsWith('-')) throw new ClearsignError(`line ${i + 1} starts with "-" but is not dash-escaped`);
    else body.push(line);
  }
  if (i >= lines.length) throw new ClearsignError('no "-----BEGIN PGP SIGNATURE-----" line');
  const start = i;
  for (i++; i < lines.length; i++) if (END_SIGNATURE.test(lines[i]!)) break;
  if (i >= lines.length) throw new ClearsignError('the signature has no "-----END PGP SIGNATURE-----" line');
  const signatureArmor = lines.slice(start, i + 1).map((l) => trimEnd(l, TRAILING)).join('\n') + '\n';
  if (lines.slice(i + 1).some((l) => !/^[ \t\r\f\v]*$/.test(l))) throw new ClearsignError('data after the signature is not signed');

  // The line end before the signature block belongs to the framing, not to the text.
  const hashed = body.map((l) => trimEnd(l, TRAILING));
  const output = body.map((l) => (l.endsWith('\r') ? `${trimEnd(l.slice(0, -1), ' \t')}\r\n` : `${trimEnd(l, ' \t')}\n`));
  return {
    hashes,
    body: bytes(body.join('\n')),
    text: bytes(output.join('')),
    signed: bytes(hashed.join('\r\n')),
    signatureArmor,
  };
}
