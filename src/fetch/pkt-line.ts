// git's pkt-line framing (gitprotocol-common(5)): a 4-hex-digit length that
// counts itself, then the payload; 0000 flush, 0001 delimiter, 0002 response end.
import { FormatError } from '../report/format-error.js';

const MAX_PKT = 65520;

export function pktLine(payload: string | Uint8Array): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  if (body.length + 4 > MAX_PKT) throw new RangeError('pkt-line payload too long');
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0'), 'ascii'), body]);
}

export const FLUSH = Buffer.from('0000');
export const DELIM = Buffer.from('0001');

export type Pkt = { kind: 'data'; data: Buffer } | { kind: 'flush' } | { kind: 'delim' } | { kind: 'end' };

/** Splits a byte stream into packets without holding more than one packet in memory. */
export async function* readPkts(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Pkt> {
  let buf = Buffer.alloc(0);
  for await (const chunk of chunks) {
    buf = buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([buf, chunk]);
    while (buf.length >= 4) {
      const head = buf.subarray(0, 4).toString('ascii');
      if (!/^[0-9a-f]{4}$/.test(head)) throw new FormatError('pkt-line', `bad pkt-line length ${JSON.stringify(head)}`);
      const len = parseInt(head, 16);
      if (len < 4) {
        buf = buf.subarray(4);
        yield len === 0 ? { kind: 'flush' } : len === 1 ? { kind: 'delim' } : { kind: 'end' };
        continue;
      }
      if (len > MAX_PKT) throw new FormatError('pkt-line', `pkt-line of ${len} bytes exceeds the protocol maximum`);
      if (buf.length < len) break;
      const data = buf.subarray(4, len);
      buf = buf.subarray(len);
      yield { kind: 'data', data };
    }
  }
  if (buf.length > 0) throw new FormatError('pkt-line', 'stream ended inside a pkt-line');
}

/** A text packet without its trailing newline. */
export function pktText(data: Buffer): string {
  const s = data.toString('utf8');
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}
