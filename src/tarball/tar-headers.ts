// Compares two uncompressed tar archives as dpkg-source writes them (GNU
// format, ustar-style 512-byte header blocks) block for block, allowing only
// the mtime of a member header to differ (and with it the header checksum,
// which sums the header's bytes). Every other header byte, every data block
// and the end-of-archive blocks must be identical. Pure: the bytes come from
// a decompressor that ran in the sandbox.

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

export function compareTarsIgnoringMtime(expected: Uint8Array, got: Uint8Array): TarComparison {
  if (expected.length !== got.length) return { ok: false, why: `the archives have ${expected.length} and ${got.length} bytes` };
  if (expected.length % BLOCK !== 0) return { ok: false, why: 'the archive is not a whole number of 512-byte blocks' };
  const mtimes: MtimeDifference[] = [];
  let members = 0;
  // GNU tar's ././@LongLink members ('L' names, 'K' link targets) carry the
  // next member's long name in their data.
  let longName: string | undefined;
  let at = 0;
  while (at < expected.length) {
    const e = expected.subarray(at, at + BLOCK);
    const g = got.subarray(at, at + BLOCK);
    if (e.every((b) => b === 0)) {
      // End of archive (two zero blocks, then zero padding to the record
      // size): whatever follows must be the same bytes.
      if (!equal(expected.subarray(at), got.subarray(at))) return { ok: false, why: `the archives differ after their end-of-archive block at byte ${at}` };
      return { ok: true, members, mtimes };
    }
    for (const [h, side] of [[e, 'rebuilt'], [g, 'upload']] as const) {
      if (!checksumValid(h)) return { ok: false, why: `the ${side} archive has no valid tar header at byte ${at}` };
    }
    if (!equal(e.subarray(0, MTIME[0]), g.subarray(0, MTIME[0])) || !equal(e.subarray(CHKSUM[0] + CHKSUM[1]), g.subarray(CHKSUM[0] + CHKSUM[1]))) {
      return { ok: false, why: `the header of ${memberName(e, longName)} differs in more than its mtime` };
    }
    const type = String.fromCharCode(e[TYPEFLAG] ?? 0);
    const size = numeric(e, SIZE);
    if (size === undefined) return { ok: false, why: `the header at byte ${at} has no readable size` };
    if (type === 'S') return { ok: false, why: `${memberName(e, longName)} is a GNU sparse member, which dpkg-source does not write` };
    const name = memberName(e, longName);
    const eTime = numeric(e, MTIME);
    const gTime = numeric(g, MTIME);
    if (eTime === undefined || gTime === undefined) return { ok: false, why: `the header of ${name} has no readable mtime` };
    if (eTime !== gTime) mtimes.push({ name, expected: eTime, got: gTime });
    // Hard links, symlinks, devices, directories and FIFOs have no data blocks in GNU tar.
    const blocks = '123456'.includes(type) ? 0 : Math.ceil(size / BLOCK);
    const dataEnd = at + BLOCK + blocks * BLOCK;
    if (dataEnd > expected.length) return { ok: false, why: `${name} runs past the end of the archive` };
    if (!equal(expected.subarray(at + BLOCK, dataEnd), got.subarray(at + BLOCK, dataEnd))) return { ok: false, why: `the content of ${name} differs` };
    if (type === 'L') {
      longName = cString(expected.subarray(at + BLOCK, at + BLOCK + size));
    } else if (type !== 'K') {
      longName = undefined;
      members += 1;
    }
    at = dataEnd;
  }
  return { ok: false, why: 'the archives have no end-of-archive block' };
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** The header checksum: the sum of its bytes with the checksum field read as spaces (POSIX ustar). */
function checksumValid(h: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= CHKSUM[0] && i < CHKSUM[0] + CHKSUM[1] ? 0x20 : h[i] ?? 0;
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
