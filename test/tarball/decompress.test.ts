// Decompression in the sandbox, with tarballs compressed by the real tools
// (xz, gzip, bzip2, lzma, zstd in the sandbox, on the host's system
// directories): the output is the original tar byte for byte; a bomb stops
// at the cap, a slow one at the time limit, corrupt data and a missing
// decompressor fail with their codes.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressionOf, decompress, type DecompressOptions } from '../../src/tarball/decompress.js';
import { bwrapSandbox } from '../../src/sandbox/index.js';
import { scratch, type Scratch } from '../compare/sandbox-tar.js';
import { hostSandbox as sandbox } from '../helpers/host-sandbox.js';

let s: Scratch;

beforeAll(async () => {
  s = await scratch(sandbox);
  await s.run(`
    mkdir -p t && seq 1 20000 > t/numbers && cp /usr/lib/os-release t/
    tar --format=gnu -cf p.tar -C t .
    xz -k -c p.tar > p.tar.xz; gzip -c p.tar > p.tar.gz; bzip2 -c p.tar > p.tar.bz2; xz --format=lzma -c p.tar > p.tar.lzma
    head -c 200000000 /dev/zero | gzip -1 > bomb.tar.gz
  `);
  await s.run('zstd -q -c p.tar > p.tar.zst');
}, 300_000);
afterAll(async () => {
  await s?.dispose();
});

async function collect(path: string, options: Partial<DecompressOptions> = {}): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of decompress(path, { sandbox, ...options })) chunks.push(c);
  return Buffer.concat(chunks);
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );

describe('decompress', () => {
  it("names dpkg-source's compressions by suffix", () => {
    expect(['a.tar.xz', 'a.tar.gz', 'a.tar.bz2', 'a.tar.lzma', 'a.tar.zst', 'a.tar', 'a.zip'].map(compressionOf)).toEqual([
      'xz',
      'gzip',
      'bzip2',
      'lzma',
      'zstd',
      'none',
      undefined,
    ]);
  });

  for (const ext of ['xz', 'gz', 'bz2', 'lzma']) {
    it(`.tar.${ext} gives the tar GNU tar wrote`, async () => {
      const tar = await readFile(s.path('p.tar'));
      expect(sha(await collect(s.path(`p.tar.${ext}`)))).toBe(sha(tar));
    });
  }

  it('a plain .tar passes through, and is capped too', async () => {
    const tar = await readFile(s.path('p.tar'));
    expect(sha(await collect(s.path('p.tar')))).toBe(sha(tar));
    expect(await failure(collect(s.path('p.tar'), { maxOutputBytes: 1000 }))).toMatchObject({ code: 'DECOMPRESS_TOO_LARGE' });
  });

  it('.tar.zst: refused clearly when zstd is not in the rootfs, read when it is', async () => {
    // A root filesystem with no programs at all (the builder's has no zstd).
    const bare = bwrapSandbox({ kind: 'dir', path: join(s.host, 'bare-root') });
    expect(await failure(collect(s.path('p.tar.zst'), { sandbox: bare }))).toMatchObject({
      code: 'DECOMPRESSOR_MISSING',
      message: expect.stringMatching(/zstd is not installed in the sandbox root filesystem .*bare-root/) as string,
    });
    const tar = await readFile(s.path('p.tar'));
    expect(sha(await collect(s.path('p.tar.zst')))).toBe(sha(tar));
  });

  it('a decompression bomb stops at the cap', async () => {
    const started = performance.now();
    const err = await failure(collect(s.path('bomb.tar.gz'), { maxOutputBytes: 4 << 20 }));
    expect(err).toMatchObject({ code: 'DECOMPRESS_TOO_LARGE', message: expect.stringMatching(/more than 4194304 bytes/) as string });
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('without a cap given, a bomb stops at a multiple of its compressed size (with the floor lowered)', async () => {
    const saved = process.env.T2U_SANDBOX_WORK_FLOOR;
    process.env.T2U_SANDBOX_WORK_FLOOR = String(1 << 20);
    try {
      const size = (await readFile(s.path('bomb.tar.gz'))).length;
      const err = await failure(collect(s.path('bomb.tar.gz')));
      expect(err).toMatchObject({
        code: 'DECOMPRESS_TOO_LARGE',
        message: expect.stringContaining(`more than ${Math.max(1 << 20, 64 * size)} bytes`) as string,
      });
    } finally {
      if (saved === undefined) delete process.env.T2U_SANDBOX_WORK_FLOOR;
      else process.env.T2U_SANDBOX_WORK_FLOOR = saved;
    }
  });

  it('a decompression over its time limit stops with DECOMPRESS_TIMEOUT', async () => {
    // A consumer slower than the limit: the sandbox is killed at the deadline.
    const slow = (async () => {
      for await (const _ of decompress(s.path('bomb.tar.gz'), { sandbox, timeoutMs: 300 })) await new Promise((r) => setTimeout(r, 20));
    })();
    expect(await failure(slow)).toMatchObject({ code: 'DECOMPRESS_TIMEOUT' });
  });

  it("corrupt or mislabelled data fails with the decompressor's message", async () => {
    const xz = await readFile(s.path('p.tar.xz'));
    xz[xz.length - 20] = xz[xz.length - 20]! ^ 0xff;
    await writeFile(join(s.host, 'bad.tar.xz'), xz);
    expect(await failure(collect(join(s.host, 'bad.tar.xz')))).toMatchObject({
      code: 'DECOMPRESS_FAILED',
      message: expect.stringMatching(/xz failed \(exit 1\): .*(corrupt|Compressed data)/) as string,
    });
    await writeFile(join(s.host, 'gz.tar.xz'), await readFile(s.path('p.tar.gz')));
    expect(await failure(collect(join(s.host, 'gz.tar.xz')))).toMatchObject({
      code: 'DECOMPRESS_FAILED',
      message: expect.stringMatching(/File format not recognized/) as string,
    });
  });

  it('an unknown suffix or a missing file', async () => {
    expect(await failure(collect(join(s.host, 'x.zip')))).toMatchObject({ code: 'DECOMPRESS_UNSUPPORTED' });
    expect(await failure(collect(join(s.host, 'missing.tar.xz')))).toMatchObject({
      code: 'DECOMPRESS_FAILED',
      message: expect.stringMatching(/ENOENT/) as string,
    });
  });

  it('a consumer that stops early leaves nothing running', async () => {
    const started = performance.now();
    for await (const c of decompress(s.path('bomb.tar.gz'), { sandbox })) {
      expect(c.length).toBeGreaterThan(0);
      break;
    }
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
