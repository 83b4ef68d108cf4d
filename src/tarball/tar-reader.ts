// The one tar reader: every tar stream the verifier reads (an upload's or a
// rebuilt tarball, decompressed in the sandbox; what the second toolchain
// makes) goes through TarScanner, which reports headers, data and padding as
// they stream past; TarParser turns them into member records (header fields,
// SHA-256 of the data, and the data itself for small text members), and
// tar-mtime-compare.ts and tar-member-spans.ts use the scanner directly. It
// never writes to disk and never resolves a name against a filesystem: member
// names, link targets and owners are data to show, so `../../etc/passwd` or
// `/etc/passwd` is just a name. Formats as GNU tar (which dpkg-source runs)
// reads them: POSIX ustar, GNU (`././@LongLink` L and K headers, base-256
// numbers), pax extended (x) and global (g) headers; no data after a
// directory or a hard link header. GNU sparse members are refused, since
// their data is not the file's content. Every input ends in members or a
// TarballError; limits bound members, bytes and the metadata held in memory.
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
const CONTENT_TYPES = new Set<TarMemberType>(['file', 'contiguous']);

/**
 * A member's type from its typeflag. GNU tar takes a regular file whose name
 * ends in a slash for a directory (old tars wrote directories so), and lists
 * and extracts it as one.
 */
function typeOf(h: TarHeader): TarMemberType {
  const type = TYPES[h.typeflag] ?? `unknown-${escapeByte(h.typeflag)}`;
  return (type === 'file' || type === 'contiguous') && h.name.endsWith('/') ? 'dir' : type;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A header's fields as read; a member's with its pax records and GNU long names applied. */
export interface TarHeader {
  /** Offset of the header; a member's is that of its first extended header, when it has one. */
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

/** What a header block is: a member's own, or an extended header for the next member (GNU L and K, pax x) or all later ones (pax g). */
export type TarHeaderKind = 'member' | 'L' | 'K' | 'x' | 'g';

export interface TarHeaderBlock {
  readonly kind: TarHeaderKind;
  /** Offset of this block in the stream. */
  readonly at: number;
  /** The 512 bytes of the block; valid only during the call. */
  readonly block: Buffer;
  /** The fields as this block holds them. */
  readonly raw: Readonly<TarHeader>;
  /** For a member, the fields with its extended headers applied; otherwise raw. */
  readonly header: Readonly<TarHeader>;
  /** Bytes of data that follow the block (before padding to 512). */
  readonly dataBytes: number;
}

/**
 * What the scanner reports as it reads, in stream order: every byte before
 * the end-of-archive block is in exactly one header, data or padding call.
 * Buffers are valid only during the call.
 */
export interface TarVisitor {
  header?(h: TarHeaderBlock): void;
  /** Data of the last header (a member's content, or an extended header's records), from stream offset `at`. */
  data?(bytes: Buffer, at: number): void;
  /** The last header's data is complete; `data` is an extended header's whole data. */
  dataEnd?(h: TarHeaderBlock, data: Buffer | undefined): void;
  /** Padding after the data, to the next 512-byte boundary. */
  padding?(bytes: Buffer, at: number): void;
  /** The end-of-archive block at `at`; later input is ignored. */
  end?(at: number): void;
}

interface Current {
  block: TarHeaderBlock;
  remaining: number;
  /** An extended header's data, kept to apply it. */
  kept?: Buffer[];
}

/** Pax attributes the reader applies; others are ignored (GNU tar ignores unknown keywords too). */
type Pax = Map<string, string>;

/**
 * The one tar header parser: feed chunks with write(), call end() at the end
 * of input. It checks each header (checksum, numeric fields), applies GNU
 * long names and pax records, enforces the limits, and reports headers, data
 * and padding to its visitor; it keeps nothing but extended headers, so its
 * memory is bounded by maxMetaBytes whatever the archive's size.
 */
export class TarScanner {
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

  constructor(
    private readonly visitor: TarVisitor,
    limits: TarLimits = {},
  ) {
    this.limits = { ...DEFAULT_TAR_LIMITS, ...limits };
  }

  /** True once the end-of-archive block was read; later input is ignored. */
  get done(): boolean {
    return this.ended;
  }

  /** Bytes read so far. */
  get position(): number {
    return this.consumed;
  }

  write(chunk: Uint8Array): void {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let off = 0;
    while (off < buf.length && !this.ended) {
      const at = this.consumed;
      if (this.padding > 0) {
        const n = Math.min(this.padding, buf.length - off);
        this.padding -= n;
        this.advance(n);
        this.visitor.padding?.(buf.subarray(off, off + n), at);
        off += n;
      } else if (this.cur) {
        const n = Math.min(this.cur.remaining, buf.length - off);
        const data = buf.subarray(off, off + n);
        this.cur.remaining -= n;
        this.cur.kept?.push(Buffer.from(data));
        this.advance(n);
        this.visitor.data?.(data, at);
        off += n;
        if (this.cur.remaining === 0) this.finish();
      } else {
        const n = Math.min(BLOCK - this.headerFill, buf.length - off);
        buf.copy(this.header, this.headerFill, off, off + n);
        this.headerFill += n;
        off += n;
        this.advance(n);
        if (this.headerFill === BLOCK) {
          this.headerFill = 0;
          this.onHeader();
        }
      }
    }
  }

  /** Checks that the input ended at the end-of-archive block. */
  end(): void {
    if (this.ended) return;
    if (this.cur || this.padding > 0) {
      const what = this.cur ? `the data of ${describe(this.cur.block.header)}` : 'the padding after a member';
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

  private onHeader(): void {
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
      this.visitor.end?.(offset);
      return;
    }
    checkChecksum(h, offset);
    const raw = parseHeader(h, offset);
    this.memberStart ??= offset;
    const kind = metaKind(raw.typeflag);
    if (kind) {
      if (raw.size > this.limits.maxMetaBytes) {
        throw new TarballError(
          'TAR_LIMIT',
          `the ${metaName(kind)} at byte ${offset} declares ${raw.size} bytes, more than the limit of ${this.limits.maxMetaBytes}`,
        );
      }
      this.start({ kind, at: offset, block: h, raw, header: raw, dataBytes: raw.size }, []);
      return;
    }
    if (raw.typeflag === 'S') {
      throw new TarballError(
        'TAR_UNSUPPORTED',
        `member ${JSON.stringify(this.nameOf(raw))} at byte ${offset} is a GNU sparse file, which is not supported`,
      );
    }
    if (raw.typeflag === 'M' || raw.typeflag === 'N') {
      const what = raw.typeflag === 'M' ? 'a GNU multi-volume continuation' : 'an old GNU long-name member';
      throw new TarballError('TAR_UNSUPPORTED', `the header at byte ${offset} is ${what}, which is not supported`);
    }
    this.startMember(h, raw);
  }

  private startMember(block: Buffer, raw: TarHeader): void {
    const pax = new Map([...this.globalPax, ...(this.pax ?? [])]);
    for (const key of pax.keys()) {
      if (key.startsWith('GNU.sparse.')) {
        throw new TarballError(
          'TAR_UNSUPPORTED',
          `member ${JSON.stringify(this.nameOf(raw))} at byte ${raw.offset} is a GNU sparse file (pax ${key}), which is not supported`,
        );
      }
    }
    const applied: TarHeader = { ...raw };
    applied.name = pax.get('path') ?? (this.longName ? decodeName(this.longName) : raw.name);
    applied.linkname = pax.get('linkpath') ?? (this.longLink ? decodeName(this.longLink) : raw.linkname);
    applied.offset = this.memberStart ?? raw.offset;
    for (const [key, field] of [
      ['uid', 'uid'],
      ['gid', 'gid'],
      ['size', 'size'],
    ] as const) {
      const v = pax.get(key);
      if (v !== undefined) applied[field] = paxInteger(v, key, raw.offset);
    }
    const mtime = pax.get('mtime');
    if (mtime !== undefined) applied.mtime = paxTime(mtime, raw.offset);
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
    // GNU tar reads no data after a directory or a hard link, whatever their size field says.
    const dataBytes = applied.typeflag === '5' || applied.typeflag === '1' ? 0 : applied.size;
    if (applied.typeflag === '1') applied.size = 0;
    this.start({ kind: 'member', at: raw.offset, block, raw, header: applied, dataBytes });
  }

  private start(block: TarHeaderBlock, kept?: Buffer[]): void {
    const room = this.limits.maxTotalBytes - this.consumed;
    if (block.dataBytes > room) {
      throw new TarballError(
        'TAR_LIMIT',
        `${describe(block.header)} declares ${block.dataBytes} bytes, more than the archive size limit of ${this.limits.maxTotalBytes} allows`,
      );
    }
    this.cur = { block, remaining: block.dataBytes, ...(kept ? { kept } : {}) };
    this.visitor.header?.(block);
    if (block.dataBytes === 0) this.finish();
  }

  private finish(): void {
    const { block, kept } = this.cur!;
    this.cur = undefined;
    this.padding = (BLOCK - (block.dataBytes % BLOCK)) % BLOCK;
    const data = kept ? Buffer.concat(kept) : undefined;
    switch (block.kind) {
      case 'L':
        this.longName = cString(data!);
        break;
      case 'K':
        this.longLink = cString(data!);
        break;
      case 'x':
        this.pax = parsePax(data!, block.at);
        break;
      case 'g':
        // A global header applies to every later member; it is also a member of
        // its own, since git archive records the commit id in one (`comment=`).
        for (const [k, v] of parsePax(data!, block.at)) {
          if (v === '') this.globalPax.delete(k);
          else this.globalPax.set(k, v);
        }
        this.memberStart = undefined;
        if (++this.members > this.limits.maxMembers) {
          throw new TarballError('TAR_LIMIT', `the archive has more than ${this.limits.maxMembers} members`);
        }
        break;
      case 'member':
        break;
    }
    this.visitor.dataEnd?.(block, data);
  }

  private nameOf(h: TarHeader): string {
    return this.pax?.get('path') ?? (this.longName ? decodeName(this.longName) : h.name);
  }
}

/**
 * Members as records (TarEntry): the scanner, with each member's data hashed
 * and small text kept. Entries come out in archive order once their data has
 * been read.
 */
export class TarParser {
  private readonly scanner: TarScanner;
  private readonly maxTextBytes: number;
  private out: TarEntry[] = [];
  private member: { type: TarMemberType; hash: Hash; kept: Buffer[] | undefined } | undefined;

  constructor(limits: TarLimits = {}) {
    this.maxTextBytes = limits.maxTextBytes ?? DEFAULT_TAR_LIMITS.maxTextBytes;
    this.scanner = new TarScanner(
      {
        header: ({ kind, header }) => {
          if (kind !== 'member') return;
          const type = typeOf(header);
          const keep = header.size <= this.maxTextBytes && (CONTENT_TYPES.has(type) || type.startsWith('unknown-'));
          this.member = { type, hash: createHash('sha256'), kept: keep ? [] : undefined };
        },
        data: (bytes) => {
          this.member?.hash.update(bytes);
          this.member?.kept?.push(Buffer.from(bytes));
        },
        dataEnd: ({ kind, header }, data) => {
          if (kind === 'g') {
            this.out.push(entryOf(header, 'pax-global', createHash('sha256').update(data!).digest('hex'), textOf(data!)));
            return;
          }
          if (kind !== 'member') return;
          const { type, hash, kept } = this.member!;
          this.member = undefined;
          const content = kept ? Buffer.concat(kept) : undefined;
          const text = content ? textOf(content) : undefined;
          const entry = entryOf(header, type, hash.digest('hex'), text);
          this.out.push(
            content && text === undefined && content.length > 0
              ? { ...entry, binaryHead: Uint8Array.prototype.slice.call(content, 0, BINARY_HEAD_BYTES) }
              : entry,
          );
        },
      },
      limits,
    );
  }

  /** True once the end-of-archive block was read; later input is ignored. */
  get done(): boolean {
    return this.scanner.done;
  }

  write(chunk: Uint8Array): TarEntry[] {
    this.scanner.write(chunk);
    const out = this.out;
    this.out = [];
    return out;
  }

  /** Checks that the input ended at the end-of-archive block. */
  end(): void {
    this.scanner.end();
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

function entryOf(h: TarHeader, type: TarMemberType, sha256: string, text: string | undefined): TarEntry {
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

function metaKind(typeflag: string): 'L' | 'K' | 'x' | 'g' | undefined {
  return typeflag === 'L' || typeflag === 'K' || typeflag === 'x' || typeflag === 'g' ? typeflag : undefined;
}

function metaName(role: 'L' | 'K' | 'x' | 'g'): string {
  return { L: 'GNU long name', K: 'GNU long link name', x: 'pax extended header', g: 'pax global header' }[role];
}

function describe(h: TarHeader): string {
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

/**
 * The fields of a header block. As in GNU tar (list.c), an extended
 * header's (L, K, x, g) fields other than its size are not read as numbers,
 * nor a device number but a character or block device's: garbage there is
 * no error, and reads 0.
 */
function parseHeader(h: Buffer, offset: number): TarHeader {
  const typeflag = String.fromCharCode(h[156]!);
  // The 155-byte prefix exists only in POSIX ustar ("ustar\0"); GNU's
  // "ustar  \0" headers keep atime, ctime and sparse data there instead.
  const posix = h.subarray(257, 263).equals(Buffer.from('ustar\0', 'latin1'));
  const name = cString(h.subarray(0, 100));
  const prefix = posix ? cString(h.subarray(345, 500)) : Buffer.alloc(0);
  const full = prefix.length > 0 ? Buffer.concat([prefix, Buffer.from('/'), name]) : name;
  const meta = metaKind(typeflag) !== undefined;
  const device = typeflag === '3' || typeflag === '4';
  const field = (at: number, len: number, what: string, read = !meta): number => {
    const v = read ? numeric(h, at, len, what, offset) : (headerNumber(h, at, len) ?? 0);
    if (read && v < 0 && what !== 'mtime') {
      throw new TarballError('TAR_HEADER_INVALID', `the header at byte ${offset} has a negative ${what} (${v})`);
    }
    return v;
  };
  return {
    offset,
    name: decodeName(full),
    mode: field(100, 8, 'mode'),
    uid: field(108, 8, 'uid'),
    gid: field(116, 8, 'gid'),
    size: field(124, 12, 'size', true),
    mtime: field(136, 12, 'mtime'),
    typeflag,
    linkname: decodeName(cString(h.subarray(157, 257))),
    uname: decodeName(cString(h.subarray(265, 297))),
    gname: decodeName(cString(h.subarray(297, 329))),
    devmajor: field(329, 8, 'devmajor', device),
    devminor: field(337, 8, 'devminor', device),
  };
}

/** A numeric header field (`at`, `len` bytes) as a number, or undefined when it is not one. */
export function headerNumber(h: Buffer, at: number, len: number): number | undefined {
  try {
    return numeric(h, at, len, '', 0);
  } catch {
    return undefined;
  }
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
    // Values are UTF-8, or bytes under hdrcharset=BINARY (GNU tar writes names so): shown as names are.
    out.set(key, decodeName(record.subarray(eq + 1)));
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
