// ASCII armor (RFC 9580 §6) decoding that checks the CRC-24 line when one is
// present, as gpg 2.2 does ("CRC error" fails the verification), where
// openpgp.js 6 ignores it. Used for tag signature blocks and armored keyrings.

import { trimEnd } from '../../text/scan.js';
import { FormatError } from '../../report/format-error.js';

export interface ArmorBlock {
  /** The word(s) after BEGIN PGP, e.g. "SIGNATURE", "MESSAGE", "PUBLIC KEY BLOCK". */
  readonly type: string;
  readonly headers: readonly string[];
  readonly data: Uint8Array;
  /** Offset just past the END line in the input text. */
  readonly end: number;
}

const BEGIN = /^-----BEGIN PGP ([A-Z0-9 ,/]+)-----$/;
const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;

/** CRC-24 of RFC 9580 §6.1. */
export function crc24(data: Uint8Array): number {
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

/**
 * Decodes the first armored block at or after `from` in `text`.
 * Returns undefined when there is no BEGIN line; throws a FormatError when the block is malformed.
 */
export function dearmor(text: string, from = 0): ArmorBlock | undefined {
  // gpg tolerates trailing white space (and CR) on armor lines.
  const lines: Array<{ text: string; end: number }> = [];
  for (let pos = from; pos < text.length;) {
    const nl = text.indexOf('\n', pos);
    const end = nl === -1 ? text.length : nl + 1;
    lines.push({ text: trimEnd(text.slice(pos, nl === -1 ? text.length : nl), ' \t\r'), end });
    pos = end;
  }
  let i = lines.findIndex((l) => BEGIN.test(l.text));
  if (i === -1) return undefined;
  const type = BEGIN.exec(lines[i]!.text)![1]!;
  i++;
  const headers: string[] = [];
  for (; i < lines.length && lines[i]!.text !== ''; i++) {
    const line = lines[i]!.text;
    // An armor header is "Key: Value"; a line of base64 here means the blank line is missing.
    if (!/^[^\s:]+: /.test(line)) throw new FormatError('armor', `invalid armor header line "${line.slice(0, 40)}"`);
    headers.push(line);
  }
  if (i >= lines.length) throw new FormatError('armor', 'armor ends before its body');
  i++;
  const body: string[] = [];
  let crcText: string | undefined;
  for (; i < lines.length; i++) {
    const line = lines[i]!.text;
    if (line.startsWith('-----END PGP ')) {
      if (line !== `-----END PGP ${type}-----`) throw new FormatError('armor', `armor END line "${line}" does not match BEGIN PGP ${type}`);
      const data = Buffer.from(body.join(''), 'base64');
      if (crcText !== undefined) {
        const want = Buffer.from(crcText, 'base64');
        if (want.length !== 3 || !/^[A-Za-z0-9+/]{4}$/.test(crcText)) throw new FormatError('armor', 'armor checksum line is malformed');
        if (((want[0]! << 16) | (want[1]! << 8) | want[2]!) !== crc24(data))
          throw new FormatError('armor', 'armor CRC-24 checksum does not match');
      }
      return { type, headers, data: new Uint8Array(data.buffer, data.byteOffset, data.length), end: lines[i]!.end };
    }
    if (crcText !== undefined) throw new FormatError('armor', 'data after the armor checksum line');
    if (line.startsWith('=') && line.length === 5) {
      crcText = line.slice(1);
      continue;
    }
    if (!BASE64_LINE.test(line)) throw new FormatError('armor', 'invalid character in armored data');
    body.push(line);
  }
  throw new FormatError('armor', `armor has no END PGP ${type} line`);
}

/** Every armored block in `text`, in order. */
export function dearmorAll(text: string): ArmorBlock[] {
  const out: ArmorBlock[] = [];
  let from = 0;
  for (;;) {
    const block = dearmor(text, from);
    if (!block) return out;
    out.push(block);
    from = block.end;
  }
}
