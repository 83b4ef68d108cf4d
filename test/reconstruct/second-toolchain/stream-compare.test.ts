// Comparing streams without holding them: the tar streams' first difference
// and the member named there are the same whatever the chunking, and equal
// to what the tar reader says of the unchanged archive read whole (the
// member whose header or data holds the byte); a file is matched against a
// stream read back in step.
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileMatch, firstDifference, StreamSums, TheirStreamError } from '../../../src/reconstruct/second-toolchain/stream-compare.js';
import { gitArchiveTar, gnuTar, type TarEntry } from '../../../src/reconstruct/second-toolchain/tar-writer.js';
import { TarMemberTracker } from '../../../src/tarball/tar-member-spans.js';
import { TarParser } from '../../../src/tarball/tar-reader.js';
import { chunked } from '../../helpers/chunked.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 't2u-stream-compare-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function bytes(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

const entries: TarEntry[] = [
  { name: Buffer.from('top/'), type: 'dir', mode: 0o755, mtime: 1 },
  { name: Buffer.from('top/a'), type: 'file', mode: 0o644, mtime: 1, data: Buffer.alloc(3000, 'a') },
  { name: Buffer.from(`top/${'l'.repeat(150)}`), type: 'file', mode: 0o644, mtime: 1, data: Buffer.from('long name\n') },
  { name: Buffer.from('top/z'), type: 'file', mode: 0o644, mtime: 1, data: Buffer.alloc(700, 'z') },
];

describe('firstDifference', () => {
  it('finds no difference in equal streams chunked differently', async () => {
    const tar = await bytes(gnuTar(entries));
    const d = await firstDifference(chunked(tar, [1, 511, 4096]), chunked(tar, [7000, 3]));
    expect(d).toEqual({ offset: undefined, member: undefined, oursBytes: tar.length, theirsBytes: tar.length });
  });

  for (const [what, make] of [
    ['GNU tar', () => gnuTar(entries)],
    [
      'git archive',
      () =>
        gitArchiveTar(
          '0'.repeat(40),
          1,
          entries.map((e) => ({ ...e, oid: '1'.repeat(40) })),
        ),
    ],
  ] as const) {
    it(`${what}: names the member at the first difference as the reader of the whole archive does, at any offset and chunking`, async () => {
      const tar = await bytes(make());
      const whole = new TarMemberTracker();
      whole.feed(tar);
      // Where each member starts (its extended headers included), by the member reader.
      const starts = new TarParser().write(tar);
      const names = new Set<string | undefined>();
      for (let at = 0; at < tar.length; at += 97) {
        const changed = Buffer.from(tar);
        changed[at] = changed[at]! ^ 0xff;
        const d = await firstDifference(chunked(tar, [333, 1]), chunked(changed, [512, 1000, 5]));
        expect(d.offset).toBe(at);
        expect(d.member).toBe(whole.at(at));
        const member = starts.filter((e) => e.offset <= at).at(-1)!;
        if (!/ \(header of the next member\)$|^\(end of archive\)$/.test(d.member!)) expect(d.member).toBe(member.name);
        names.add(d.member);
      }
      expect([...names]).toEqual(expect.arrayContaining(['top/a', `top/${'l'.repeat(150)}`, 'top/z', '(end of archive)']));
    });
  }

  it('a longer upload differs where ours ends, with both lengths', async () => {
    const tar = await bytes(gnuTar(entries));
    const longer = Buffer.concat([tar, Buffer.alloc(512, 1)]);
    const d = await firstDifference(chunked(tar, [100]), chunked(longer, [999]));
    expect(d.offset).toBe(tar.length);
    expect([d.oursBytes, d.theirsBytes]).toEqual([tar.length, tar.length + 512]);
  });

  it("their stream's failure is told apart from ours, and both streams are closed", async () => {
    let closed = 0;
    async function* ok(): AsyncGenerator<Buffer> {
      try {
        for (;;) yield await Promise.resolve(Buffer.alloc(512));
      } finally {
        closed++;
      }
    }
    async function* failing(): AsyncGenerator<Buffer> {
      yield await Promise.resolve(Buffer.alloc(512));
      throw new Error('bad data');
    }
    await expect(firstDifference(ok(), failing())).rejects.toBeInstanceOf(TheirStreamError);
    await expect(firstDifference(failing(), ok())).rejects.toThrow(/^bad data$/);
    expect(closed).toBe(2);
  });
});

describe('FileMatch and StreamSums', () => {
  it('matches a file only when every byte and the length agree', async () => {
    const data = Buffer.from('x'.repeat(100_000) + 'end');
    const path = join(dir, 'f');
    await writeFile(path, data);
    const run = async (stream: Buffer): Promise<boolean> => {
      const f = await open(path);
      try {
        const m = new FileMatch(f, data.length);
        for await (const c of chunked(stream, [4096, 13])) await m.update(c);
        return m.matches();
      } finally {
        await f.close();
      }
    };
    expect(await run(data)).toBe(true);
    expect(await run(data.subarray(0, data.length - 1))).toBe(false);
    expect(await run(Buffer.concat([data, Buffer.from('!')]))).toBe(false);
    const changed = Buffer.from(data);
    changed[50_000] = 0x79;
    expect(await run(changed)).toBe(false);
  });

  it('sums a stream as sha256sum would the whole', () => {
    const s = new StreamSums();
    s.update(Buffer.from('ab'));
    s.update(Buffer.from('c'));
    expect(s.digest()).toEqual({
      size: 3,
      md5: '900150983cd24fb0d6963f7d28e17f72',
      sha1: 'a9993e364706816aba3e25717850c26c9cd0d89d',
      sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    });
  });
});
