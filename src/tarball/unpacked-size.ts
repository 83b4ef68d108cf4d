// What a compressed file says it unpacks to, read from its own headers
// without decompressing it: for the sandbox's choice of where /work lives
// (a disk volume or a tmpfs, src/sandbox/work-volume.ts) and nothing else.
// The compressed size says little (5 MiB of xz'd text unpacked to 1 GiB),
// and the header's word is not trusted beyond that choice: the work limit
// stays what it was, so a lying header only changes where the bytes sit.
//
// xz (the .xz file format 1.2.1, §2.1.2 and §4): each stream ends with a
// 12-byte footer whose Backward Size locates the index before it, and the
// index lists every block's unpadded and uncompressed sizes; streams may
// follow one another, with stream padding (null bytes, a multiple of 4)
// between and after them. The streams are walked from the end, the CRC32s
// of footers, indexes and headers checked, at most READ_BUDGET bytes read
// in all; anything unexpected is unknown. gzip (RFC 1952 §2.3.1): ISIZE,
// the last 4 bytes, is the last member's size modulo 2^32, so a lower bound,
// exact for one member too small to wrap (deflate expands at most 1032:1).
// bzip2, lzma, zstd (no size in their headers) and anything else
// compressed: unknown. A file that is not compressed unpacks to itself.
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';

/** At most this many bytes of one file are read (the xz tail, its indexes and headers). */
export const READ_BUDGET = 64 * 1024;

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const XZ_FOOTER_MAGIC = Buffer.from([0x59, 0x5a]);
const COMPRESSED_SUFFIXES = ['.xz', '.gz', '.bz2', '.lzma', '.zst', '.zstd'];
/** bzip2's and zstd's magic numbers: formats without the size, whatever the name. */
const SIZELESS_MAGIC = [Buffer.from('BZh'), Buffer.from([0x28, 0xb5, 0x2f, 0xfd])];
/** Deflate's largest expansion: a member smaller than 2^32 / this cannot have wrapped ISIZE. */
const DEFLATE_MAX_RATIO = 1032;

let crcTable: Uint32Array | undefined;
function crc32(bytes: Uint8Array): number {
  const table = (crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  }));
  let c = 0xffffffff;
  for (const b of bytes) c = table[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface Reader {
  readonly size: number;
  /** `length` bytes at `position`, or undefined past the budget or the file's end. */
  read(position: number, length: number): Promise<Buffer | undefined>;
}

/**
 * The bytes `path` unpacks to, as its own headers say: a compressed file's
 * uncompressed size (gzip: a lower bound), a file that is not compressed its
 * own size; undefined when unknown (a format without the size, a header that
 * does not parse, a file that is not a regular file).
 */
export async function unpackedSize(path: string): Promise<number | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return undefined;
    let budget = READ_BUDGET;
    const reader: Reader = {
      size: st.size,
      async read(position, length) {
        if (position < 0 || length < 0 || position + length > st.size || length > budget) return undefined;
        budget -= length;
        const buf = Buffer.alloc(length);
        const { bytesRead } = await fh.read(buf, 0, length, position);
        return bytesRead === length ? buf : undefined;
      },
    };
    const head = (await reader.read(0, Math.min(6, st.size))) ?? Buffer.alloc(0);
    if (head.length === 6 && head.equals(XZ_MAGIC)) return await xzSize(reader);
    if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return await gzipSize(reader);
    if (SIZELESS_MAGIC.some((m) => head.subarray(0, m.length).equals(m))) return undefined;
    const name = basename(path);
    if (COMPRESSED_SUFFIXES.some((s) => name.endsWith(s))) return undefined;
    return st.size;
  } catch {
    return undefined;
  } finally {
    await fh.close();
  }
}

/**
 * What the files at `paths` unpack to beyond their own bytes (a file that is
 * not compressed adds nothing): the sum of the compressed files' estimates,
 * Infinity when any is unknown.
 */
export async function unpackedEstimate(paths: readonly string[]): Promise<number> {
  // The files at once: each is a few small reads, and a caller waits for them before a build starts.
  const beyond = await Promise.all(
    paths.map(async (path) => {
      const unpacked = await unpackedSize(path);
      return unpacked === undefined ? Number.POSITIVE_INFINITY : Math.max(0, unpacked - (await stat(path)).size);
    }),
  );
  return beyond.reduce((a, b) => a + b, 0);
}

async function gzipSize(reader: Reader): Promise<number | undefined> {
  // The smallest member: a 10-byte header, an empty deflate block, CRC32 and ISIZE.
  if (reader.size < 18) return undefined;
  if (reader.size >= 2 ** 32 / DEFLATE_MAX_RATIO) return undefined;
  const tail = await reader.read(reader.size - 4, 4);
  return tail?.readUInt32LE(0);
}

/** A multibyte integer (the .xz format's, §1.2): 1 to 9 bytes, the shortest form. */
function readVli(buf: Buffer, at: number): [value: number, next: number] | undefined {
  let value = 0;
  for (let i = 0; i < 9; i++) {
    const b = buf[at + i];
    if (b === undefined) return undefined;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return i > 0 && b === 0 ? undefined : [value, at + i + 1];
  }
  return undefined;
}

const pad4 = (n: number): number => Math.ceil(n / 4) * 4;

async function xzSize(reader: Reader): Promise<number | undefined> {
  if (reader.size % 4 !== 0) return undefined;
  let end = reader.size;
  let total = 0;
  let streams = 0;
  while (end > 0) {
    // Stream padding: null bytes in groups of 4.
    const last = await reader.read(end - 4, 4);
    if (last === undefined) return undefined;
    if (last.readUInt32LE(0) === 0) {
      end -= 4;
      continue;
    }
    const footer = await reader.read(end - 12, 12);
    if (footer === undefined || !footer.subarray(10).equals(XZ_FOOTER_MAGIC)) return undefined;
    if (crc32(footer.subarray(4, 10)) !== footer.readUInt32LE(0)) return undefined;
    const flags = footer.subarray(8, 10);
    if (flags[0] !== 0 || flags[1]! > 0x0f) return undefined;
    const indexSize = (footer.readUInt32LE(4) + 1) * 4;
    const indexStart = end - 12 - indexSize;
    const index = await reader.read(indexStart, indexSize);
    if (index === undefined || index[0] !== 0) return undefined;
    if (crc32(index.subarray(0, indexSize - 4)) !== index.readUInt32LE(indexSize - 4)) return undefined;
    const count = readVli(index, 1);
    // Each record takes at least two bytes.
    if (count === undefined || count[0] > (indexSize - 4) / 2) return undefined;
    let at = count[1];
    let blocks = 0;
    for (let i = 0; i < count[0]; i++) {
      const unpadded = readVli(index, at);
      if (unpadded === undefined || unpadded[0] < 5) return undefined;
      const uncompressed = readVli(index, unpadded[1]);
      if (uncompressed === undefined) return undefined;
      blocks += pad4(unpadded[0]);
      total += uncompressed[0];
      at = uncompressed[1];
    }
    // Index padding up to the CRC32, null bytes only.
    if (at > indexSize - 4 || pad4(at) !== indexSize - 4 || index.subarray(at, indexSize - 4).some((b) => b !== 0)) return undefined;
    const start = indexStart - blocks - 12;
    const header = await reader.read(start, 12);
    if (header === undefined || !header.subarray(0, 6).equals(XZ_MAGIC) || !header.subarray(6, 8).equals(flags)) return undefined;
    if (crc32(header.subarray(6, 8)) !== header.readUInt32LE(8)) return undefined;
    streams++;
    end = start;
  }
  return streams > 0 ? total : undefined;
}
