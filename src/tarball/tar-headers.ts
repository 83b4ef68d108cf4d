// Compares two uncompressed tar archives as dpkg-source writes them (GNU
// format, ustar-style 512-byte header blocks) block for block, allowing only
// the mtime of a member header to differ (and with it the header checksum,
// which sums the header's bytes). Every other header byte, every data block
// and the end-of-archive blocks must be identical. Pure: the bytes come from
// a decompressor that ran in the sandbox. The archives are compared as two
// streams, one header and one piece of content at a time, so neither is held.

import { trimEnd, trimStart } from '../text/scan.js';

const BLOCK = 512;
/** ustar header fields (POSIX.1-1988 and GNU tar): offsets and lengths. */
const NAME = [0, 100] as const;
const SIZE = [124, 12] as const;
const MTIME = [136, 12] as const;
const CHKSUM = [148, 8] as const;
const TYPEFLAG = 156;

export interface MtimeDifference {
  readonly name: string;
  /** Seconds since the epoch: the member's mtime in the rebuilt archive (`expected`) and the upload's (`got`). */
  readonly expected: number;
  readonly got: number;
}

export type TarComparison =
  | { readonly ok: true; readonly members: number; readonly mtimes: readonly MtimeDifference[] }
  | { readonly ok: false; readonly why: string };

/** A long name larger than this is not kept (GNU tar's are a path and a NUL). */
const MAX_LONG_NAME = 1024 * 1024;

/**
 * The comparison as a state machine fed equal-length pieces of both archives
 * (the same offsets): a header is gathered to its 512 bytes and compared;
 * content and the end of the archive are compared as they come.
 */
class MtimeOnlyComparison {
  private at = 0;
  private state: 'header' | 'data' | 'trailer' = 'header';
  private readonly headerE = Buffer.alloc(BLOCK);
  private readonly headerG = Buffer.alloc(BLOCK);
  private filled = 0;
  /** The member whose content is being compared. */
  private member: { name: string; type: string; size: number; end: number; long: Buffer[] | undefined } | undefined;
  private trailerAt = 0;
  private longName: string | undefined;
  private members = 0;
  private readonly mtimes: MtimeDifference[] = [];
  private why: string | undefined;

  get failed(): boolean {
    return this.why !== undefined;
  }

  feed(e: Uint8Array, g: Uint8Array): void {
    let pos = 0;
    while (pos < e.length && this.why === undefined) {
      if (this.state === 'trailer') {
        // End of archive (two zero blocks, then zero padding to the record
        // size): whatever follows must be the same bytes.
        if (!equal(e.subarray(pos), g.subarray(pos)))
          this.why = `the archives differ after their end-of-archive block at byte ${this.trailerAt}`;
        this.at += e.length - pos;
        return;
      }
      if (this.state === 'header') {
        const n = Math.min(BLOCK - this.filled, e.length - pos);
        this.headerE.set(e.subarray(pos, pos + n), this.filled);
        this.headerG.set(g.subarray(pos, pos + n), this.filled);
        this.filled += n;
        pos += n;
        this.at += n;
        if (this.filled === BLOCK) {
          this.filled = 0;
          this.header(this.at - BLOCK);
        }
        continue;
      }
      const m = this.member!;
      const n = Math.min(m.end - this.at, e.length - pos);
      const x = e.subarray(pos, pos + n);
      if (!equal(x, g.subarray(pos, pos + n))) {
        this.why = `the content of ${m.name} differs`;
        return;
      }
      if (m.long && m.size <= MAX_LONG_NAME) m.long.push(Buffer.from(x));
      pos += n;
      this.at += n;
      if (this.at === m.end) this.endMember();
    }
  }

  private header(at: number): void {
    const e = this.headerE;
    const g = this.headerG;
    if (e.every((b) => b === 0)) {
      if (!g.every((b) => b === 0)) {
        this.why = `the archives differ after their end-of-archive block at byte ${at}`;
        return;
      }
      this.state = 'trailer';
      this.trailerAt = at;
      return;
    }
    for (const [h, side] of [
      [e, 'rebuilt'],
      [g, 'upload'],
    ] as const) {
      if (!checksumValid(h)) {
        this.why = `the ${side} archive has no valid tar header at byte ${at}`;
        return;
      }
    }
    if (
      !equal(e.subarray(0, MTIME[0]), g.subarray(0, MTIME[0])) ||
      !equal(e.subarray(CHKSUM[0] + CHKSUM[1]), g.subarray(CHKSUM[0] + CHKSUM[1]))
    ) {
      this.why = `the header of ${memberName(e, this.longName)} differs in more than its mtime`;
      return;
    }
    const type = String.fromCharCode(e[TYPEFLAG] ?? 0);
    const size = numeric(e, SIZE);
    if (size === undefined) {
      this.why = `the header at byte ${at} has no readable size`;
      return;
    }
    const name = memberName(e, this.longName);
    if (type === 'S') {
      this.why = `${name} is a GNU sparse member, which dpkg-source does not write`;
      return;
    }
    const eTime = numeric(e, MTIME);
    const gTime = numeric(g, MTIME);
    if (eTime === undefined || gTime === undefined) {
      this.why = `the header of ${name} has no readable mtime`;
      return;
    }
    if (eTime !== gTime) this.mtimes.push({ name, expected: eTime, got: gTime });
    // Hard links, symlinks, devices, directories and FIFOs have no data blocks in GNU tar.
    const blocks = '123456'.includes(type) ? 0 : Math.ceil(size / BLOCK);
    this.member = { name, type, size, end: at + BLOCK + blocks * BLOCK, long: type === 'L' ? [] : undefined };
    this.state = 'data';
    if (blocks === 0) this.endMember();
  }

  private endMember(): void {
    const m = this.member!;
    if (m.type === 'L') {
      this.longName = m.size <= MAX_LONG_NAME ? cString(Buffer.concat(m.long!).subarray(0, m.size)) : undefined;
    } else if (m.type !== 'K') {
      this.longName = undefined;
      this.members += 1;
    }
    this.member = undefined;
    this.state = 'header';
  }

  /** The outcome, once both archives (of these lengths) have been fed. */
  end(expectedBytes: number, gotBytes: number): TarComparison {
    if (expectedBytes !== gotBytes) return { ok: false, why: `the archives have ${expectedBytes} and ${gotBytes} bytes` };
    if (expectedBytes % BLOCK !== 0) return { ok: false, why: 'the archive is not a whole number of 512-byte blocks' };
    if (this.why !== undefined) return { ok: false, why: this.why };
    if (this.state === 'data') return { ok: false, why: `${this.member!.name} runs past the end of the archive` };
    if (this.state === 'header') return { ok: false, why: 'the archives have no end-of-archive block' };
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
  const a = expected[Symbol.asyncIterator]();
  const b = got[Symbol.asyncIterator]();
  let x: Uint8Array = new Uint8Array(0);
  let y: Uint8Array = new Uint8Array(0);
  let xBytes = 0;
  let yBytes = 0;
  let aDone = false;
  let bDone = false;
  let finished = false;
  try {
    while (!(aDone && bDone)) {
      if (x.length === 0 && !aDone) {
        const r = await a.next();
        if (r.done) aDone = true;
        else {
          x = r.value;
          xBytes += x.length;
        }
      }
      if (y.length === 0 && !bDone) {
        const r = await b.next();
        if (r.done) bDone = true;
        else {
          y = r.value;
          yBytes += y.length;
        }
      }
      const n = Math.min(x.length, y.length);
      if (!c.failed && n > 0) c.feed(x.subarray(0, n), y.subarray(0, n));
      // Once the lengths are bound to differ, or a difference is found, the rest is only counted.
      if (c.failed || aDone || bDone) {
        x = new Uint8Array(0);
        y = new Uint8Array(0);
      } else {
        x = x.subarray(n);
        y = y.subarray(n);
      }
    }
    finished = true;
  } finally {
    if (!finished) await Promise.allSettled([a.return?.(), b.return?.()]);
  }
  return c.end(xBytes, yBytes);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** The header checksum: the sum of its bytes with the checksum field read as spaces (POSIX ustar). */
function checksumValid(h: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= CHKSUM[0] && i < CHKSUM[0] + CHKSUM[1] ? 0x20 : (h[i] ?? 0);
  const stored = octal(h.subarray(CHKSUM[0], CHKSUM[0] + CHKSUM[1]));
  return stored === sum;
}

/** A numeric field: octal digits (NUL- or space-terminated), or GNU's base-256 form (high bit of the first byte set). */
function numeric(h: Uint8Array, [off, len]: readonly [number, number]): number | undefined {
  const f = h.subarray(off, off + len);
  if (((f[0] ?? 0) & 0x80) !== 0) {
    if ((f[0] ?? 0) & 0x40) return undefined; // negative
    let n = (f[0] ?? 0) & 0x3f;
    for (let i = 1; i < f.length; i++) n = n * 256 + (f[i] ?? 0);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return octal(f);
}

function octal(f: Uint8Array): number | undefined {
  const text = trimStart(trimEnd(Buffer.from(f).toString('latin1'), '\0 '), ' ');
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : text === '' ? 0 : undefined;
}

function cString(f: Uint8Array): string {
  const nul = f.indexOf(0);
  return Buffer.from(nul < 0 ? f : f.subarray(0, nul)).toString('utf8');
}

/** The member's name: the pending GNU long name, else ustar's prefix/name. */
function memberName(h: Uint8Array, longName: string | undefined): string {
  if (longName !== undefined) return longName;
  const name = cString(h.subarray(NAME[0], NAME[0] + NAME[1]));
  // ustar magic "ustar\0": a 155-byte prefix at 345 (GNU's "ustar  " uses that area otherwise).
  const magic = Buffer.from(h.subarray(257, 263)).toString('latin1');
  const prefix = magic === 'ustar\0' ? cString(h.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}
