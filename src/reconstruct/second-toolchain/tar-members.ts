// Names the tar member at a byte offset, to say where two tar streams differ.
// Reads headers only (name, size, GNU long names and pax paths), and stops
// at anything it does not understand: the text is for a report, not a check.
// The archive is followed as a stream, keeping only the members that lie in
// the part still asked about, so a large archive is never held.
import { BLOCK } from './tar-writer.js';

/** A long name or pax header larger than this is not kept (the name is then the header's own). */
const MAX_NAME_DATA = 64 * 1024;

function field(b: Buffer, start: number, len: number): string {
  const s = b.subarray(start, start + len);
  const nul = s.indexOf(0);
  return (nul === -1 ? s : s.subarray(0, nul)).toString('latin1');
}

interface Span {
  readonly start: number;
  readonly end: number;
  readonly name: string;
}

/** Follows a tar stream fed in chunks and names the member at an offset already fed. */
export class TarMemberTracker {
  private fed = 0;
  /** Offset of the next header, or undefined once the archive has ended or is not understood. */
  private next: number | undefined = 0;
  private header = Buffer.alloc(0);
  /** The data of a long-name or pax member being read. */
  private nameData: { type: string; size: number; chunks: Buffer[]; got: number } | undefined;
  private longName: string | undefined;
  private spans: Span[] = [];

  feed(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && this.next !== undefined) {
      const at = this.fed + pos;
      if (at < this.next) {
        // Inside a member's content: only a long name's data is kept.
        const take = Math.min(this.next - at, chunk.length - pos);
        const d = this.nameData;
        if (d && d.got < d.size) {
          const part = chunk.subarray(pos, pos + Math.min(take, d.size - d.got));
          if (d.size <= MAX_NAME_DATA) d.chunks.push(Buffer.from(part));
          d.got += part.length;
        }
        pos += take;
        if (this.fed + pos === this.next) this.endNameData();
        continue;
      }
      const take = Math.min(BLOCK - this.header.length, chunk.length - pos);
      this.header = Buffer.concat([this.header, chunk.subarray(pos, pos + take)]);
      pos += take;
      if (this.header.length === BLOCK) {
        const h = this.header;
        this.header = Buffer.alloc(0);
        this.onHeader(h);
      }
    }
    this.fed += chunk.length;
  }

  private onHeader(h: Buffer): void {
    const start = this.next!;
    if (h.every((x) => x === 0)) {
      this.spans.push({ start, end: Infinity, name: '(end of archive)' });
      this.next = undefined;
      return;
    }
    const size = parseInt(field(h, 124, 12).trim() || '0', 8);
    if (!Number.isSafeInteger(size)) {
      this.next = undefined;
      return;
    }
    const type = String.fromCharCode(h[156]!);
    const end = start + BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    const prefix = field(h, 345, 155);
    const name =
      this.longName ??
      (h.subarray(257, 263).toString('latin1') === 'ustar\0' && prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    this.spans.push({ start, end, name: type === 'L' || type === 'x' || type === 'g' ? `${name} (header of the next member)` : name });
    this.longName = undefined;
    this.nameData = type === 'L' || type === 'x' ? { type, size, chunks: [], got: 0 } : undefined;
    this.next = end;
    if (end === start + BLOCK) this.endNameData();
  }

  private endNameData(): void {
    const d = this.nameData;
    if (!d) return;
    this.nameData = undefined;
    if (d.size > MAX_NAME_DATA) return;
    const data = Buffer.concat(d.chunks);
    if (d.type === 'L') this.longName = field(data, 0, data.length);
    else this.longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('latin1'))?.[1];
  }

  /** Forgets the members that end at or before `offset`: they will not be asked about. */
  forgetBefore(offset: number): void {
    this.spans = this.spans.filter((s) => s.end > offset);
  }

  /** The name of the member whose header or content holds byte `offset` (fed and not forgotten), or undefined. */
  at(offset: number): string | undefined {
    return this.spans.find((s) => offset >= s.start && offset < s.end)?.name;
  }
}

/** The name of the member whose header or content holds byte `offset`, or undefined. */
export function memberAt(tar: Buffer, offset: number): string | undefined {
  const t = new TarMemberTracker();
  t.feed(tar);
  return t.at(offset);
}
