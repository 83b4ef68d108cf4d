// OpenPGP packet framing (RFC 9580 §4.2), just enough to cut a keyring into
// transferable keys and to count the packets of a signature block, without
// parsing packet bodies. openpgp.js parses whole packet lists and gives up on
// the first malformed packet; Debian's keyrings are concatenations of exported
// keys (debian-keyring's Makefile: `cat debian-keyring-gpg/0x* > …`), so one
// bad key must cost only that key.
import { FormatError } from '../../report/format-error.js';

export interface Packet {
  readonly tag: number;
  /** Offset of the packet header in the buffer. */
  readonly start: number;
  /** Offset just past the packet (header and body). */
  readonly end: number;
  /** The body; for partial-length packets, the concatenated chunks. */
  readonly body: Uint8Array;
}

export const PacketTag = {
  signature: 2,
  secretKey: 5,
  publicKey: 6,
  secretSubkey: 7,
  compressed: 8,
  literal: 11,
  trust: 12,
  userId: 13,
  publicSubkey: 14,
  userAttribute: 17,
} as const;

/** Reads the packet at `pos`; throws a FormatError when its header or length is impossible. */
export function readPacket(buf: Uint8Array, pos: number): Packet {
  const start = pos;
  const first = buf[pos];
  if (first === undefined) throw badFraming('end of data where a packet was expected', pos);
  // Bit 7 is always set in a packet header (RFC 9580 §4.2).
  if ((first & 0x80) === 0) throw badFraming(`byte 0x${first.toString(16)} is not a packet header`, pos);
  pos++;
  if ((first & 0x40) === 0) {
    // Legacy format: tag in bits 5-2, length type in bits 1-0.
    const tag = (first >> 2) & 0x0f;
    const lengthType = first & 0x03;
    let len: number;
    if (lengthType === 3) {
      // Indeterminate length: the packet runs to the end of the data.
      len = buf.length - pos;
    } else {
      const n = 1 << lengthType;
      if (pos + n > buf.length) throw badFraming('truncated packet length', start);
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i]!;
      pos += n;
    }
    if (pos + len > buf.length) throw badFraming(`packet length ${len} runs past the end of the data`, start);
    return { tag, start, end: pos + len, body: buf.subarray(pos, pos + len) };
  }
  const tag = first & 0x3f;
  const chunks: Uint8Array[] = [];
  for (;;) {
    const l0 = buf[pos];
    if (l0 === undefined) throw badFraming('truncated packet length', start);
    let len: number;
    let partial = false;
    if (l0 < 192) {
      len = l0;
      pos += 1;
    } else if (l0 < 224) {
      const l1 = buf[pos + 1];
      if (l1 === undefined) throw badFraming('truncated packet length', start);
      len = ((l0 - 192) << 8) + l1 + 192;
      pos += 2;
    } else if (l0 === 255) {
      if (pos + 5 > buf.length) throw badFraming('truncated packet length', start);
      len = ((buf[pos + 1]! << 24) >>> 0) + (buf[pos + 2]! << 16) + (buf[pos + 3]! << 8) + buf[pos + 4]!;
      pos += 5;
    } else {
      len = 1 << (l0 & 0x1f);
      partial = true;
      pos += 1;
    }
    if (pos + len > buf.length) throw badFraming(`packet length ${len} runs past the end of the data`, start);
    chunks.push(buf.subarray(pos, pos + len));
    pos += len;
    if (!partial) break;
  }
  const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  return { tag, start, end: pos, body };
}

/** All packets of `buf`; throws a FormatError on the first impossible header. */
export function readPackets(buf: Uint8Array): Packet[] {
  const out: Packet[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const p = readPacket(buf, pos);
    out.push(p);
    pos = p.end;
  }
  return out;
}

function badFraming(message: string, offset: number): FormatError {
  return new FormatError('openpgp-packet', message, { offset });
}
