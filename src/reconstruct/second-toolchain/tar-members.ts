// Names the tar member at a byte offset, to say where two tar streams differ.
// Reads headers only (name, size, GNU long names and pax paths), and stops
// at anything it does not understand: the text is for a report, not a check.
import { BLOCK } from './tar-writer.js';

function field(b: Buffer, start: number, len: number): string {
  const s = b.subarray(start, start + len);
  const nul = s.indexOf(0);
  return (nul === -1 ? s : s.subarray(0, nul)).toString('latin1');
}

/** The name of the member whose header or content holds byte `offset`, or undefined. */
export function memberAt(tar: Buffer, offset: number): string | undefined {
  let pos = 0;
  let longName: string | undefined;
  while (pos + BLOCK <= tar.length) {
    const h = tar.subarray(pos, pos + BLOCK);
    if (h.every((x) => x === 0)) return offset >= pos ? '(end of archive)' : undefined;
    const size = parseInt(field(h, 124, 12).trim() || '0', 8);
    if (!Number.isSafeInteger(size)) return undefined;
    const type = String.fromCharCode(h[156]!);
    const end = pos + BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    const prefix = field(h, 345, 155);
    const name = longName ?? (h.subarray(257, 263).toString('latin1') === 'ustar\0' && prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    if (offset < end) return type === 'L' || type === 'x' || type === 'g' ? `${name} (header of the next member)` : name;
    if (type === 'L') longName = field(tar, pos + BLOCK, size);
    else if (type === 'x') longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(tar.subarray(pos + BLOCK, pos + BLOCK + size).toString('latin1'))?.[1];
    else longName = undefined;
    pos = end;
  }
  return undefined;
}
