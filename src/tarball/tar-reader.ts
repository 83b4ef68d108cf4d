// A streaming tar reader for the tarball diff: it turns the bytes of an
// uncompressed tar stream into member records (header fields, SHA-256 of the
// data, and the data itself for small text members). It never writes to
// disk and never resolves a name against a filesystem: member names, link
// targets and owners are data to show, so `../../etc/passwd` or `/etc/passwd`
// is just a name. Formats: POSIX ustar, GNU (`././@LongLink` L and K
// headers, base-256 numbers), pax extended (x) and global (g) headers. GNU
// sparse members are refused, since their data is not the file's content.
// Every input ends in members or a TarballError; limits bound members,
// bytes and the metadata held in memory.
import { createHash, type Hash } from 'node:crypto';
import { TarballError } from './tarball-error.js';

export interface TarLimits {
  /** Members (including pax global headers) before TAR_LIMIT. Default 100 000. */
  maxMembers?: number;
  /** Bytes of tar stream before TAR_LIMIT. Default 8 GiB. */
  maxTotalBytes?: number;
  /** Members up to this size are kept when they are text. Default 1 MiB. */
  maxTextBytes?: number;
  /** Largest GNU long name or pax header held in memory. Default 1 MiB. */
  maxMetaBytes?: number;
}

export const DEFAULT_TAR_LIMITS: Required<TarLimits> = {
  maxMembers: 100_000,
  maxTotalBytes: 8 * 1024 ** 3,
  maxTextBytes: 1024 ** 2,
  maxMetaBytes: 1024 ** 2,
};

export type TarMemberType =
  | 'file'
  | 'hardlink'
  | 'symlink'
  | 'char'
  | 'block'
  | 'dir'
  | 'fifo'
  | 'contiguous'
  | 'pax-global'
  | 'gnu-dumpdir'
  | 'volume-label'
  | `unknown-${string}`;

export interface TarEntry {
  /** The member's name as written (pax `path`, GNU long name, or ustar prefix/name). */
  readonly name: string;
  readonly type: TarMemberType;
  /** Permission bits (07777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly uname: string;
  readonly gname: string;
  /** Seconds since the epoch; pax headers may give a fraction. */
  readonly mtime: number;
  /** Bytes of data that follow the header. */
  readonly size: number;
  /** Link target of a symlink or hard link; empty otherwise. */
  readonly linkname: string;
  readonly devmajor: number;
  readonly devminor: number;
  /** SHA-256 of the member's data, lower-case hex. */
  readonly sha256: string;
  /** The data, when it is at most maxTextBytes, valid UTF-8 and free of NUL. */
  readonly text?: string;
  /** The first BINARY_HEAD_BYTES of the data, when it is at most maxTextBytes and not text: what a hexdump shows. */
  readonly binaryHead?: Uint8Array;
  /** Offset of the member's (first) header in the tar stream. */
  readonly offset: number;
}

const BLOCK = 512;
/** Bytes of a binary member kept for its hexdump. */
export const BINARY_HEAD_BYTES = 512;

/** Typeflags of POSIX and GNU tar (GNU tar's tar.h). */
const TYPES: Record<string, TarMemberType> = {
  '0': 'file',
  '\0': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
  '7': 'contiguous',
  g: 'pax-global',
  D: 'gnu-dumpdir',
  V: 'volume-label',
};

/** Members whose data is file content (and may be kept as text). */
const CONTENT_TYPES = new Set<TarMemberType>(['file', 'contiguous', 'pax-global']);

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lossy = new TextDecoder('utf-8');

interface RawHeader {
  offset: number;
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

interface Current {
  header: RawHeader;
  /** What the data is for: a member's content, or metadata for the next header. */
  role: 'member' | 'L' | 'K' | 'x' | 'g';
  remaining: number;
  hash?: Hash;
  kept?: Buffer[];
  keptBytes: number;
}

/** Pax attributes the reader applies; others are ignored (GNU tar ignores unknown keywords too). */
type Pax = Map<string, string>;

/**
 * A push parser: feed chunks with write(), call end() at the end of input.
 * Entries come out in archive order once their data has been read.
 */
export class TarParser {
  private readonly limits: Required<TarLimits>;
  private consumed = 0;
  private readonly header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  private padding = 0;
  private cur: Current | undefined;
  private ended = false;
  private members = 0;
  private longName: Buffer | undefined;
  private longLink: Buffer | undefined;
  private pax: Pax | undefined;
  private readonly globalPax: Pax = new Map();
  /** Offset of the first header of the member being assembled (its L/K/x headers included). */
  private memberStart: number | undefined;

  constructor(limits: TarLimits = {}) {
    this.limits = { ...DEFAULT_TAR_LIMITS, ...limits };
  }

  /** True once the end-of-archive block was read; later input is ignored. */
  get done(): boolean {
    return this.ended;
  }

  write(chunk: Uint8Array): TarEntry[] {
    const out: TarEntry[] = [];
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.ended) return out;
    let off = 0;
    while (off < buf.length && !this.ended) {
      if (this.padding > 0) {
        const n = Math.min(this.padding, buf.length - off);
        this.padding -= n;
        off += n;
        this.advance(n);
      } else if (this.cur) {
        const n = Math.min(this.cur.remaining, buf.length - off);
        this.take(buf.subarray(off, off + n));
        off += n;
        this.advance(n);
        if (this.cur.remaining === 0) this.finish(out);
      } else {
        const n = Math.min(BLOCK - this.headerFill, buf.length - off);
        buf.copy(this.header, this.headerFill, off, off + n);
        this.headerFill += n;
        off += n;
        this.advance(n);
        if (this.headerFill === BLOCK) {
          this.headerFill = 0;
          this.onHeader(out);
        }
      }
    }
    return out;
  }

  /** Checks that the input ended at the end-of-archive block. */
  end(): void {
    if (this.ended) return;
    if (this.cur || this.padding > 0) {
      const what = this.cur ? `the data of ${describe(this.cur.header)}` : 'the padding after a member';
      throw new TarballError('TAR_TRUNCATED', `the archive is truncated: it ends at byte ${this.consumed}, inside ${what}`);
    }
    if (this.headerFill > 0) {
      throw new TarballError('TAR_TRUNCATED', `the archive is truncated: it ends at byte ${this.consumed}, inside a header`);
    }
    throw new TarballError('TAR_TRUNCATED', `the archive is truncated: it ends at byte ${this.consumed} without the end-of-archive block`);
  }

  private advance(n: number): void {
    this.consumed += n;
    if (this.consumed > this.limits.maxTotalBytes) {
      throw new TarballError('TAR_LIMIT', `the archive is larger than the limit of ${this.limits.maxTotalBytes} bytes`);
    }
  }

  private take(data: Buffer): void {
    const c = this.cur!;
    c.remaining -= data.length;
    c.hash?.update(data);
    if (c.kept) {
      c.kept.push(Buffer.from(data));
      c.keptBytes += data.length;
    }
  }

  private onHeader(out: TarEntry[]): void {
    const offset = this.consumed - BLOCK;
    const h = this.header;
    // POSIX: the archive ends with zero-filled blocks. GNU tar stops at the
    // first one too (it only warns about a lone zero block), so the rest is drained.
    if (h.every((b) => b === 0)) {
      if (this.memberStart !== undefined) {
        throw new TarballError(
          'TAR_HEADER_INVALID',
          `the end-of-archive block at byte ${offset} follows an extended header that applies to no member`,
        );
      }
      this.ended = true;
      return;
    }
    checkChecksum(h, offset);
    const header = parseHeader(h, offset);
    this.memberStart ??= offset;
    const role = metaRole(header.typeflag);
    if (role) {
      if (header.size > this.limits.maxMetaBytes) {
        throw new TarballError(
          'TAR_LIMIT',
          `the ${metaName(role)} at byte ${offset} declares ${header.size} bytes, more than the limit of ${this.limits.maxMetaBytes}`,
        );
      }
      this.start({ header, role, remaining: header.size, kept: [], keptBytes: 0 }, out);
      return;
    }
    if (header.typeflag === 'S') {
      throw new TarballError(
        'TAR_UNSUPPORTED',
        `member ${JSON.stringify(this.nameOf(header))} at byte ${offset} is a GNU sparse file, which is not supported`,
      );
    }
    if (header.typeflag === 'M' || header.typeflag === 'N') {
      const what = header.typeflag === 'M' ? 'a GNU multi-volume continuation' : 'an old GNU long-name member';
      throw new TarballError('TAR_UNSUPPORTED', `the header at byte ${offset} is ${what}, which is not supported`);
    }
    this.startMember(header, out);
  }

  private startMember(header: RawHeader, out: TarEntry[]): void {
    const pax = new Map([...this.globalPax, ...(this.pax ?? [])]);
    for (const key of pax.keys()) {
      if (key.startsWith('GNU.sparse.')) {
        throw new TarballError(
          'TAR_UNSUPPORTED',
          `member ${JSON.stringify(this.nameOf(header))} at byte ${header.offset} is a GNU sparse file (pax ${key}), which is not supported`,
        );
      }
    }
    const applied: RawHeader = { ...header };
    applied.name = pax.get('path') ?? (this.longName ? decodeName(this.longName) : header.name);
    applied.linkname = pax.get('linkpath') ?? (this.longLink ? decodeName(this.longLink) : header.linkname);
    applied.offset = this.memberStart ?? header.offset;
    for (const [key, field] of [
      ['uid', 'uid'],
      ['gid', 'gid'],
      ['size', 'size'],
    ] as const) {
      const v = pax.get(key);
      if (v !== undefined) applied[field] = paxInteger(v, key, header.offset);
    }
    const mtime = pax.get('mtime');
    if (mtime !== undefined) applied.mtime = paxTime(mtime, header.offset);
    for (const key of ['uname', 'gname'] as const) {
      const v = pax.get(key);
      if (v !== undefined) applied[key] = v;
    }
    this.longName = undefined;
    this.longLink = undefined;
    this.pax = undefined;
    this.memberStart = undefined;
    if (++this.members > this.limits.maxMembers) {
      throw new TarballError('TAR_LIMIT', `the archive has more than ${this.limits.maxMembers} members`);
    }
    this.checkRoom(applied);
    const type = TYPES[applied.typeflag] ?? `unknown-${escapeByte(applied.typeflag)}`;
    const keep = applied.size <= this.limits.maxTextBytes && (CONTENT_TYPES.has(type) || type.startsWith('unknown-'));
    this.start(
      { header: applied, role: 'member', remaining: applied.size, hash: createHash('sha256'), ...(keep ? { kept: [] } : {}), keptBytes: 0 },
      out,
    );
  }

  private checkRoom(h: RawHeader): void {
    const room = this.limits.maxTotalBytes - this.consumed;
    if (h.size > room) {
      throw new TarballError(
        'TAR_LIMIT',
        `${describe(h)} declares ${h.size} bytes, more than the archive size limit of ${this.limits.maxTotalBytes} allows`,
      );
    }
  }

  private start(c: Current, out: TarEntry[]): void {
    this.checkRoom(c.header);
    this.cur = c;
    if (c.remaining === 0) this.finish(out);
  }

  private finish(out: TarEntry[]): void {
    const c = this.cur!;
    this.cur = undefined;
    this.padding = (BLOCK - (c.header.size % BLOCK)) % BLOCK;
    const data = c.kept ? Buffer.concat(c.kept, c.keptBytes) : undefined;
    switch (c.role) {
      case 'L':
        this.longName = cString(data!);
        return;
      case 'K':
        this.longLink = cString(data!);
        return;
      case 'x':
        this.pax = parsePax(data!, c.header.offset);
        return;
      case 'g': {
        // A global header applies to every later member; it is also listed, since
        // git archive records the commit id in one (`comment=`) and it is part of the bytes.
        for (const [k, v] of parsePax(data!, c.header.offset)) {
          if (v === '') this.globalPax.delete(k);
          else this.globalPax.set(k, v);
        }
        this.memberStart = undefined;
        if (++this.members > this.limits.maxMembers) {
          throw new TarballError('TAR_LIMIT', `the archive has more than ${this.limits.maxMembers} members`);
        }
        out.push(entryOf(c.header, 'pax-global', createHash('sha256').update(data!).digest('hex'), textOf(data!)));
        return;
      }
      case 'member': {
        const type = TYPES[c.header.typeflag] ?? `unknown-${escapeByte(c.header.typeflag)}`;
        const text = data ? textOf(data) : undefined;
        const entry = entryOf(c.header, type, c.hash!.digest('hex'), text);
        out.push(
          data && text === undefined && data.length > 0
            ? { ...entry, binaryHead: Uint8Array.prototype.slice.call(data, 0, BINARY_HEAD_BYTES) }
            : entry,
        );
        return;
      }
    }
  }

  private nameOf(h: RawHeader): string {
    return this.pax?.get('path') ?? (this.longName ? decodeName(this.longName) : h.name);
  }
}

/** Reads a tar stream to its end, yielding each member once its data is read. */
export async function* readTar(source: AsyncIterable<Uint8Array>, limits: TarLimits = {}): AsyncGenerator<TarEntry> {
  const parser = new TarParser(limits);
  for await (const chunk of source) {
    // After the end-of-archive block the rest is still read (and ignored), so a
    // decompressor's verdict on the whole stream (its integrity check) is heard.
    for (const entry of parser.write(chunk)) yield entry;
  }
  parser.end();
}

function entryOf(h: RawHeader, type: TarMemberType, sha256: string, text: string | undefined): TarEntry {
  return {
    name: h.name,
    type,
    mode: h.mode & 0o7777,
    uid: h.uid,
    gid: h.gid,
    uname: h.uname,
    gname: h.gname,
    mtime: h.mtime,
    size: h.size,
    linkname: h.linkname,
    devmajor: h.devmajor,
    devminor: h.devminor,
    sha256,
    ...(text !== undefined ? { text } : {}),
    offset: h.offset,
  };
}

/** Text: valid UTF-8 without NUL (a NUL marks binary data, as for diff and git). */
function textOf(data: Buffer): string | undefined {
  if (data.includes(0)) return undefined;
  try {
    return utf8.decode(data);
  } catch {
    return undefined;
  }
}

function metaRole(typeflag: string): 'L' | 'K' | 'x' | 'g' | undefined {
  return typeflag === 'L' || typeflag === 'K' || typeflag === 'x' || typeflag === 'g' ? typeflag : undefined;
}

function metaName(role: 'L' | 'K' | 'x' | 'g'): string {
  return { L: 'GNU long name', K: 'GNU long link name', x: 'pax extended header', g: 'pax global header' }[role];
}

function describe(h: RawHeader): string {
  return `member ${JSON.stringify(h.name)} at byte ${h.offset}`;
}

/**
 * POSIX: the checksum is the sum of the header's bytes with the checksum
 * field taken as eight spaces; GNU tar also accepts the sum of signed bytes,
 * which some historic tars wrote.
 */
function checkChecksum(h: Buffer, offset: number): void {
  const stored = numeric(h, 148, 8, 'checksum', offset);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += b;
    signed += b >= 0x80 ? b - 0x100 : b;
  }
  if (stored !== unsigned && stored !== signed) {
    throw new TarballError(
      'TAR_CHECKSUM',
      `the header at byte ${offset} has checksum ${stored}, but its bytes sum to ${unsigned}: not a tar header, or corrupted`,
    );
  }
}

function parseHeader(h: Buffer, offset: number): RawHeader {
  const typeflag = String.fromCharCode(h[156]!);
  // The 155-byte prefix exists only in POSIX ustar ("ustar\0"); GNU's
  // "ustar  \0" headers keep atime, ctime and sparse data there instead.
  const posix = h.subarray(257, 263).equals(Buffer.from('ustar\0', 'latin1'));
  const name = cString(h.subarray(0, 100));
  const prefix = posix ? cString(h.subarray(345, 500)) : Buffer.alloc(0);
  const full = prefix.length > 0 ? Buffer.concat([prefix, Buffer.from('/'), name]) : name;
  const header: RawHeader = {
    offset,
    name: decodeName(full),
    mode: numeric(h, 100, 8, 'mode', offset),
    uid: numeric(h, 108, 8, 'uid', offset),
    gid: numeric(h, 116, 8, 'gid', offset),
    size: numeric(h, 124, 12, 'size', offset),
    mtime: numeric(h, 136, 12, 'mtime', offset),
    typeflag,
    linkname: decodeName(cString(h.subarray(157, 257))),
    uname: decodeName(cString(h.subarray(265, 297))),
    gname: decodeName(cString(h.subarray(297, 329))),
    devmajor: numeric(h, 329, 8, 'devmajor', offset),
    devminor: numeric(h, 337, 8, 'devminor', offset),
  };
  for (const f of ['mode', 'uid', 'gid', 'size', 'devmajor', 'devminor'] as const) {
    if (header[f] < 0) throw new TarballError('TAR_HEADER_INVALID', `the header at byte ${offset} has a negative ${f} (${header[f]})`);
  }
  return header;
}

/**
 * A numeric header field: octal digits (leading spaces, ended by NUL or
 * space), or GNU's base-256 form (first byte 0x80 for positive, 0xff for
 * negative two's complement). An empty field reads 0, as in GNU tar.
 */
function numeric(h: Buffer, at: number, len: number, field: string, offset: number): number {
  const first = h[at]!;
  if (first & 0x80) {
    const negative = first === 0xff;
    if (!negative && first !== 0x80) {
      throw new TarballError('TAR_HEADER_INVALID', `the header at byte ${offset} has an invalid base-256 ${field} field`);
    }
    let v = 0;
    for (let i = 1; i < len; i++) {
      v = v * 256 + (negative ? 0xff - h[at + i]! : h[at + i]!);
      if (v > Number.MAX_SAFE_INTEGER)
        throw new TarballError('TAR_HEADER_INVALID', `the header at byte ${offset} has a ${field} too large to represent`);
    }
    return negative ? -(v + 1) : v;
  }
  let i = at;
  const end = at + len;
  while (i < end && h[i] === 0x20) i++;
  let v = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = h[i]!;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) {
      throw new TarballError(
        'TAR_HEADER_INVALID',
        `the header at byte ${offset} has a ${field} field that is not an octal number (${JSON.stringify(h.subarray(at, end).toString('latin1'))})`,
      );
    }
    v = v * 8 + (c - 0x30);
    digits++;
  }
  // After the terminator only further NULs or spaces may follow.
  for (; i < end; i++) {
    if (h[i] !== 0 && h[i] !== 0x20) {
      throw new TarballError('TAR_HEADER_INVALID', `the header at byte ${offset} has garbage after its ${field} field's number`);
    }
  }
  if (digits === 0 && field === 'checksum') {
    throw new TarballError('TAR_HEADER_INVALID', `the header at byte ${offset} has an empty checksum field`);
  }
  return v;
}

/**
 * Pax records (POSIX.1-2001): "LEN KEY=VALUE\n", LEN counting the whole
 * record in decimal; values are UTF-8.
 */
function parsePax(data: Buffer, offset: number): Pax {
  const out: Pax = new Map();
  let pos = 0;
  const bad = (why: string): TarballError =>
    new TarballError('TAR_PAX_INVALID', `the pax header at byte ${offset} is malformed: ${why} (record at ${pos})`);
  while (pos < data.length) {
    // GNU tar pads some pax headers with NULs after the last record.
    if (data[pos] === 0 && data.subarray(pos).every((b) => b === 0)) break;
    const space = data.indexOf(0x20, pos);
    if (space < 0 || space - pos > 20) throw bad('no record length');
    const lenText = data.subarray(pos, space).toString('latin1');
    if (!/^[1-9][0-9]*$/.test(lenText)) throw bad(`record length ${JSON.stringify(lenText)} is not a decimal number`);
    const len = Number(lenText);
    if (pos + len > data.length) throw bad(`record length ${len} runs past the header's end`);
    if (data[pos + len - 1] !== 0x0a) throw bad('record does not end with a newline');
    const record = data.subarray(space + 1, pos + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw bad('record has no keyword');
    const key = record.subarray(0, eq).toString('utf8');
    out.set(key, utf8Lossy.decode(record.subarray(eq + 1)));
    pos += len;
  }
  return out;
}

function paxInteger(v: string, key: string, offset: number): number {
  if (!/^[0-9]{1,16}$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new TarballError('TAR_PAX_INVALID', `the pax header before byte ${offset} has an invalid ${key} ${JSON.stringify(v)}`);
  }
  return Number(v);
}

function paxTime(v: string, offset: number): number {
  if (!/^-?[0-9]{1,16}(\.[0-9]{0,9})?$/.test(v)) {
    throw new TarballError('TAR_PAX_INVALID', `the pax header before byte ${offset} has an invalid mtime ${JSON.stringify(v)}`);
  }
  return Number(v);
}

/** The bytes of a field up to its first NUL. */
function cString(b: Buffer): Buffer {
  const nul = b.indexOf(0);
  return nul < 0 ? b : b.subarray(0, nul);
}

/**
 * Names are bytes; UTF-8 ones are shown as they are, and other bytes as
 * `\xNN`, so no name is lost or made to look like another valid name.
 */
export function decodeName(b: Buffer): string {
  try {
    return utf8.decode(b);
  } catch {
    let s = '';
    for (const byte of b) s += byte < 0x80 ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
    return s;
  }
}

function escapeByte(c: string): string {
  return /^[\x21-\x7e]$/.test(c) ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
}
