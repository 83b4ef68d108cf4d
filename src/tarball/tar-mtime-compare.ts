// Compares two uncompressed tar archives as dpkg-source writes them (GNU
// format) byte for byte, allowing only the mtime field of a header block to
// differ (and with it the header checksum, which sums the header's bytes).
// Every other header byte, every data and padding byte and the end-of-archive
// blocks must be identical. Both archives are read by the one tar reader
// (tar-reader.ts), which says where each header lies; they are compared as
// two streams read in step (lockstep.ts), so neither is held. Pure: the
// bytes come from a decompressor that ran in the sandbox.
import { readInStep } from './lockstep.js';
import { headerNumber, TarScanner, type TarHeaderBlock } from './tar-reader.js';
import { isTarballError } from './tarball-error.js';

const BLOCK = 512;
/** The ustar mtime and checksum fields (POSIX.1-1988 and GNU tar): the only bytes allowed to differ. */
const MTIME_AT = 136;
const MTIME_LEN = 12;
const CHKSUM_END = 156;

export interface MtimeDifference {
  readonly name: string;
  /** Seconds since the epoch: the member's mtime in the rebuilt archive (`expected`) and the upload's (`got`). */
  readonly expected: number;
  readonly got: number;
}

export type TarComparison =
  | { readonly ok: true; readonly members: number; readonly mtimes: readonly MtimeDifference[] }
  | { readonly ok: false; readonly why: string };

/** What one side's reader reported about one piece. */
type Event =
  | { readonly kind: 'header'; readonly h: TarHeaderBlock; readonly block: Buffer }
  | { readonly kind: 'bytes'; readonly at: number; readonly length: number }
  | { readonly kind: 'end'; readonly at: number };

class Side {
  readonly scanner: TarScanner;
  events: Event[] = [];
  error: unknown;

  constructor(readonly label: 'rebuilt' | 'upload') {
    const bytes = (b: Buffer, at: number): void => {
      this.events.push({ kind: 'bytes', at, length: b.length });
    };
    this.scanner = new TarScanner(
      {
        header: (h) => this.events.push({ kind: 'header', h, block: Buffer.from(h.block) }),
        data: bytes,
        padding: bytes,
        end: (at) => this.events.push({ kind: 'end', at }),
      },
      // The archives are as large as their decompressor allowed; nothing here grows with them.
      { maxMembers: Number.MAX_SAFE_INTEGER, maxTotalBytes: Number.MAX_SAFE_INTEGER },
    );
  }

  feed(piece: Uint8Array): void {
    this.events = [];
    if (this.error !== undefined || this.scanner.done) return;
    try {
      this.scanner.write(piece);
    } catch (e) {
      this.error = e;
    }
  }

  /** Why this side's archive cannot be read. */
  failure(): string {
    const e = this.error;
    if (isTarballError(e) && e.code === 'TAR_CHECKSUM') {
      return `the ${this.label} archive has no valid tar header at byte ${this.scanner.position - BLOCK}`;
    }
    if (isTarballError(e)) return `the ${this.label} archive cannot be read: ${e.message}`;
    throw e;
  }
}

/**
 * The comparison fed equal-length pieces of both archives (the same
 * offsets): each piece is read by both sides' readers, then the rebuilt
 * side's headers and data are checked against the upload's at the same offsets.
 */
class MtimeOnlyComparison {
  private readonly e = new Side('rebuilt');
  private readonly g = new Side('upload');
  private at = 0;
  /** Offset of the end-of-archive block, once both have reached it: the rest must be the same bytes. */
  private trailerAt: number | undefined;
  /** The name of the member whose data is being compared. */
  private current = '';
  private members = 0;
  private readonly mtimes: MtimeDifference[] = [];
  private why: string | undefined;

  get failed(): boolean {
    return this.why !== undefined;
  }

  feed(e: Uint8Array, g: Uint8Array): void {
    const start = this.at;
    this.at += e.length;
    if (this.why !== undefined) return;
    if (this.trailerAt !== undefined) {
      if (!equal(e, g)) this.why = `the archives differ after their end-of-archive block at byte ${this.trailerAt}`;
      return;
    }
    this.e.feed(e);
    this.g.feed(g);
    const theirs = new Map<number, Event>();
    for (const ev of this.g.events) theirs.set(ev.kind === 'header' ? ev.h.at : ev.at, ev);
    for (const ev of this.e.events) {
      if (ev.kind === 'bytes') {
        const from = ev.at - start;
        if (!equal(e.subarray(from, from + ev.length), g.subarray(from, from + ev.length))) {
          this.why = `the content of ${this.current} differs`;
          return;
        }
        continue;
      }
      const at = ev.kind === 'header' ? ev.h.at : ev.at;
      const other = theirs.get(at);
      if (ev.kind === 'end') {
        if (other?.kind !== 'end') {
          this.why = `the archives differ after their end-of-archive block at byte ${at}`;
          return;
        }
        this.trailerAt = at;
        const rest = at + BLOCK - start;
        if (!equal(e.subarray(rest), g.subarray(rest))) this.why = `the archives differ after their end-of-archive block at byte ${at}`;
        return;
      }
      if (other?.kind !== 'header') {
        this.why = this.g.error !== undefined ? this.g.failure() : `the archives differ after their end-of-archive block at byte ${at}`;
        return;
      }
      this.header(ev.h, ev.block, other.block);
      if (this.why !== undefined) return;
    }
    if (this.e.error !== undefined) this.why = this.e.failure();
    else if (this.g.error !== undefined) this.why = this.g.failure();
  }

  private header(h: TarHeaderBlock, e: Buffer, g: Buffer): void {
    const name = h.header.name;
    if (!equal(e.subarray(0, MTIME_AT), g.subarray(0, MTIME_AT)) || !equal(e.subarray(CHKSUM_END), g.subarray(CHKSUM_END))) {
      this.why = `the header of ${name} differs in more than its mtime`;
      return;
    }
    // The block's own mtime field (a pax mtime record is data, compared as such);
    // bytes that differ must be two numbers that differ.
    if (!equal(e.subarray(MTIME_AT, MTIME_AT + MTIME_LEN), g.subarray(MTIME_AT, MTIME_AT + MTIME_LEN))) {
      const expected = headerNumber(e, MTIME_AT, MTIME_LEN);
      const got = headerNumber(g, MTIME_AT, MTIME_LEN);
      if (expected === undefined || got === undefined || expected === got) {
        this.why = `the header of ${name} differs in more than its mtime`;
        return;
      }
      this.mtimes.push({ name, expected, got });
    }
    if (h.kind === 'member' || h.kind === 'g') this.members += 1;
    this.current = name;
  }

  /** The outcome, once both archives (of these lengths) have been fed. */
  end(expectedBytes: number, gotBytes: number): TarComparison {
    if (expectedBytes !== gotBytes) return { ok: false, why: `the archives have ${expectedBytes} and ${gotBytes} bytes` };
    if (expectedBytes % BLOCK !== 0) return { ok: false, why: 'the archive is not a whole number of 512-byte blocks' };
    if (this.why !== undefined) return { ok: false, why: this.why };
    if (this.trailerAt === undefined) {
      try {
        this.e.scanner.end();
      } catch (e) {
        if (!isTarballError(e)) throw e;
        return { ok: false, why: `the archives are truncated: ${e.message}` };
      }
    }
    return { ok: true, members: this.members, mtimes: this.mtimes };
  }
}

export function compareTarsIgnoringMtime(expected: Uint8Array, got: Uint8Array): TarComparison {
  const c = new MtimeOnlyComparison();
  if (expected.length === got.length) c.feed(expected, got);
  return c.end(expected.length, got.length);
}

/**
 * compareTarsIgnoringMtime over two streams (each decompressed as it is
 * read): both are read to their end, to compare their lengths first, but
 * only as far as they agree is their content compared.
 */
export async function compareTarStreamsIgnoringMtime(
  expected: AsyncIterable<Uint8Array>,
  got: AsyncIterable<Uint8Array>,
): Promise<TarComparison> {
  const c = new MtimeOnlyComparison();
  const [expectedBytes, gotBytes] = await readInStep(expected, got, {
    piece: (e, g) => {
      c.feed(e, g);
      return !c.failed;
    },
  });
  return c.end(expectedBytes, gotBytes);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
