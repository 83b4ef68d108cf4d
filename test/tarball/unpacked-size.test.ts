// What a compressed file's own headers say it unpacks to, read from files
// the real xz, gzip and bzip2 made: single and multiple streams, stream
// padding, and every unexpected shape unknown.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { READ_BUDGET, unpackedEstimate, unpackedSize } from '../../src/tarball/unpacked-size.js';

const dir = mkdtempSync(join(tmpdir(), 't2u-unpacked-size-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Text that compresses well: `bytes` of it. */
function text(bytes: number): Buffer {
  const line = Buffer.from('the quick brown fox jumps over the lazy dog 0123456789\n');
  return Buffer.concat(Array.from({ length: Math.ceil(bytes / line.length) }, () => line)).subarray(0, bytes);
}

function compressed(name: string, argv: string[], content: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, execFileSync(argv[0]!, argv.slice(1), { input: content, maxBuffer: 1024 ** 3 }));
  return path;
}

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const MiB = 1024 ** 2;

describe('xz', () => {
  it("reads one stream's size from its index, whatever the blocks", async () => {
    expect(await unpackedSize(compressed('one.tar.xz', ['xz', '-c', '-6'], text(8 * MiB)))).toBe(8 * MiB);
    // Several blocks (multi-threaded format), and a check other than CRC64.
    const blocks = compressed('blocks.tar.xz', ['xz', '-c', '-T1', '--block-size=65536', '--check=sha256'], text(MiB + 7));
    expect(await unpackedSize(blocks)).toBe(MiB + 7);
    expect(await unpackedSize(compressed('empty.tar.xz', ['xz', '-c'], Buffer.alloc(0)))).toBe(0);
  });

  it('adds up concatenated streams, with stream padding between and after them', async () => {
    const a = readFileSync(compressed('a.xz', ['xz', '-c'], text(3 * MiB)));
    const b = readFileSync(compressed('b.xz', ['xz', '-c', '--check=crc32'], text(1000)));
    const two = file('two.tar.xz', Buffer.concat([a, b]));
    expect(await unpackedSize(two)).toBe(3 * MiB + 1000);
    const padded = file('padded.tar.xz', Buffer.concat([a, Buffer.alloc(8), b, Buffer.alloc(12)]));
    expect(await unpackedSize(padded)).toBe(3 * MiB + 1000);
    // xz itself reads them so.
    expect(execFileSync('xz', ['-dc', padded], { maxBuffer: 64 * MiB }).length).toBe(3 * MiB + 1000);
  });

  it('is unknown for anything unexpected', async () => {
    const good = readFileSync(compressed('good.xz', ['xz', '-c'], text(MiB)));
    const unknown = async (name: string, bytes: Uint8Array): Promise<void> =>
      expect(await unpackedSize(file(name, bytes)), name).toBeUndefined();
    await unknown('truncated.tar.xz', good.subarray(0, good.length - 4));
    await unknown('cut-short.tar.xz', good.subarray(0, 100));
    await unknown('odd-padding.tar.xz', Buffer.concat([good, Buffer.alloc(3)]));
    await unknown('nothing-but-padding.tar.xz', Buffer.concat([good.subarray(0, 6), Buffer.alloc(10)]));
    await unknown('garbage-after.tar.xz', Buffer.concat([good, Buffer.from('junk')]));
    await unknown('garbage.tar.xz', Buffer.concat([good.subarray(0, 6), Buffer.alloc(4096, 0x5a)]));
    // An uncompressed size changed in the index: only its CRC32 tells.
    const lying = Buffer.from(good);
    const footer = lying.length - 12;
    const indexStart = footer - (lying.readUInt32LE(footer + 4) + 1) * 4;
    lying[indexStart + 4] = lying[indexStart + 4]! ^ 0x01;
    await unknown('lying-index.tar.xz', lying);
    // A footer whose Backward Size points past the budget.
    const far = Buffer.from(good);
    far.writeUInt32LE(READ_BUDGET, footer + 4);
    await unknown('far-index.tar.xz', far);
  });

  it('never reads past its budget: a stream whose index is larger is unknown, so large', async () => {
    // 5,000 blocks: an index of about 10 KiB, within the budget; 40,000 (80 KiB) are not.
    const many = compressed('many.tar.xz', ['xz', '-c', '-T1', '--block-size=64', '-0'], text(5000 * 64));
    expect(await unpackedSize(many)).toBe(5000 * 64);
    const more = compressed('more.tar.xz', ['xz', '-c', '-T1', '--block-size=64', '-0'], text(40000 * 64));
    expect(await unpackedSize(more)).toBeUndefined();
    expect(await unpackedEstimate([more])).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('gzip', () => {
  it('reads ISIZE: the last member, a lower bound', async () => {
    expect(await unpackedSize(compressed('one.tar.gz', ['gzip', '-c'], text(5 * MiB + 3)))).toBe(5 * MiB + 3);
    const a = readFileSync(compressed('a.gz', ['gzip', '-c'], text(2 * MiB)));
    const b = readFileSync(compressed('b.gz', ['gzip', '-c'], text(10)));
    expect(await unpackedSize(file('two.diff.gz', Buffer.concat([a, b])))).toBe(10);
  });

  it('is unknown when too short to be a member, or large enough for ISIZE to have wrapped', async () => {
    expect(await unpackedSize(file('short.tar.gz', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0])))).toBeUndefined();
    const big = join(dir, 'big.tar.gz');
    writeFileSync(big, Buffer.from([0x1f, 0x8b, 8, 0]));
    execFileSync('truncate', ['-s', String(Math.ceil(2 ** 32 / 1032)), big]);
    expect(await unpackedSize(big)).toBeUndefined();
  });
});

describe('other files', () => {
  it('is unknown for bzip2 and the other compressors, by content or by name', async () => {
    expect(await unpackedSize(compressed('one.tar.bz2', ['bzip2', '-c'], text(1000)))).toBeUndefined();
    expect(await unpackedSize(compressed('bz2-named-tar.tar', ['bzip2', '-c'], text(1000)))).toBeUndefined();
    for (const name of ['x.tar.lzma', 'x.tar.zst', 'x.tar.xz', 'x.tar.gz'])
      expect(await unpackedSize(file(name, text(100))), name).toBeUndefined();
    expect(await unpackedSize(join(dir, 'missing.tar.xz'))).toBeUndefined();
    expect(await unpackedSize(dir)).toBeUndefined();
  });

  it('counts a file that is not compressed as itself, adding nothing to the estimate', async () => {
    const dsc = file('p_1.dsc', text(1234));
    expect(await unpackedSize(dsc)).toBe(1234);
    const orig = compressed('p_1.orig.tar.xz', ['xz', '-c'], text(3 * MiB));
    const debian = compressed('p_1.debian.tar.gz', ['gzip', '-c'], text(5000));
    expect(await unpackedEstimate([dsc, orig, debian])).toBe(3 * MiB - statSync(orig).size + 5000 - statSync(debian).size);
    expect(await unpackedEstimate([dsc, orig, join(dir, 'one.tar.bz2')])).toBe(Number.POSITIVE_INFINITY);
    expect(await unpackedEstimate([])).toBe(0);
  });
});
