// The second toolchain's compressors, streamed through the sandbox: xz's
// multi-threaded format made with one thread (-T+1) is byte for byte what
// dpkg-source's -T0 and git deborig's default make with several threads, on
// input of several blocks (level 1: 3 MiB blocks); a failing compressor
// and a failing input stream are reported, not hung on.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { compressorArgv, compressStream, type Compressor } from '../../../src/reconstruct/second-toolchain/compress.js';
import { requireCompleted, type Sandbox } from '../../../src/sandbox/index.js';
import { builderSandboxFor } from '../../helpers/builder-rootfs.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await builderSandboxFor();
});

const MiB = 1024 ** 2;

async function* chunks(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield await Promise.resolve(data.subarray(i, i + size));
}

async function ours(c: Compressor, data: Buffer): Promise<Buffer> {
  const out: Buffer[] = [];
  await compressStream(
    sandbox,
    c,
    chunks(data, 100_000),
    (b) => {
      out.push(b);
    },
    data.length * 2,
  );
  return Buffer.concat(out);
}

async function xz(args: string[], data: Buffer, env: Record<string, string> = {}): Promise<Buffer> {
  const r = requireCompleted(
    await sandbox.run({
      argv: ['xz', ...args],
      stdin: data,
      env,
      timeoutMs: 600_000,
      limits: { maxOutputBytes: data.length * 2 },
    }),
    'xz',
  );
  expect(r.exitCode).toBe(0);
  return r.stdout;
}

describe('compressStream', () => {
  // Incompressible, 3 blocks at level 1 (block size 3 × the 1 MiB dictionary).
  const data = randomBytes(7 * MiB);

  it("dpkg-source's xz: -T+1 gives the bytes of -T0 with two threads", async () => {
    const made = await ours({ tool: 'dpkg-source', format: 'xz', level: 1 }, data);
    expect(compressorArgv({ tool: 'dpkg-source', format: 'xz', level: 1 }).argv).toContain('-T+1');
    expect(made.equals(await xz(['-1', '--quiet', '--no-warn', '--no-adjust', '-T2'], data))).toBe(true);
    // The single-threaded format is other bytes: the comparison can fail.
    expect(made.equals(await xz(['-1', '--quiet', '--no-warn', '--no-adjust', '-T1'], data))).toBe(false);
  }, 600_000);

  it("git deborig's xz: the multi-threaded default of xz ≥ 5.6 with two threads, and XZ_DEFAULTS=-T1", async () => {
    const small = randomBytes(MiB);
    expect((await ours({ tool: 'git-deborig', format: 'xz', xzThreads: 'multi' }, small)).equals(await xz(['-c', '-T2'], small))).toBe(
      true,
    );
    expect(
      (await ours({ tool: 'git-deborig', format: 'xz', xzThreads: 'single' }, small)).equals(
        await xz(['-c'], small, { XZ_DEFAULTS: '-T1' }),
      ),
    ).toBe(true);
  }, 600_000);

  it('a compressor writing more than allowed is killed and reported', async () => {
    await expect(
      compressStream(sandbox, { tool: 'dpkg-source', format: 'gzip', level: 9 }, chunks(randomBytes(4 * MiB), 65536), () => undefined, MiB),
    ).rejects.toThrow(/more output than allowed/);
  });

  it("the input stream's error is thrown and the compressor killed", async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield await Promise.resolve(Buffer.alloc(MiB));
      throw new Error('the tree went away');
    }
    await expect(
      compressStream(sandbox, { tool: 'dpkg-source', format: 'gzip', level: 9 }, failing(), () => undefined, 10 * MiB),
    ).rejects.toThrow('the tree went away');
  });
});
