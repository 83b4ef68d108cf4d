// Names the tar member at a byte offset, to say where two tar streams differ.
// The stream is read by the one tar reader (tar-reader.ts) as it is fed; each
// header block and the data and padding after it are one span, named after
// the member (an extended header's span is "NAME (header of the next
// member)"). Where the reader stops (a header it refuses, a truncated
// archive) the spans stop: the text is for a report, not a check. Only the
// spans of the part still asked about are kept, so a large archive is
// never held.
import { TarScanner } from './tar-reader.js';

const BLOCK = 512;

interface Span {
  readonly start: number;
  readonly end: number;
  readonly name: string;
}

/** Follows a tar stream fed in chunks and names the member at an offset already fed. */
export class TarMemberTracker {
  private spans: Span[] = [];
  private stopped = false;
  private readonly scanner = new TarScanner(
    {
      header: ({ kind, at, header, dataBytes }) => {
        const name = kind === 'member' ? header.name : `${header.name} (header of the next member)`;
        this.spans.push({ start: at, end: at + BLOCK + Math.ceil(dataBytes / BLOCK) * BLOCK, name });
      },
      end: (at) => this.spans.push({ start: at, end: Infinity, name: '(end of archive)' }),
    },
    // Nothing is kept but the spans not yet forgotten: the stream's length is its producer's to bound.
    { maxMembers: Number.MAX_SAFE_INTEGER, maxTotalBytes: Number.MAX_SAFE_INTEGER, maxTextBytes: 0 },
  );

  feed(chunk: Buffer): void {
    if (this.stopped) return;
    try {
      this.scanner.write(chunk);
    } catch {
      this.stopped = true;
    }
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
