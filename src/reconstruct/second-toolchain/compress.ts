// Compression with the builder's own xz and gzip, run in
// the sandbox on the profile's rootfs: xz's output differs between versions
// (xz 5.8 in trixie and forky, 5.4 in bookworm). The upload's files are
// decompressed, in the sandbox too, by src/tarball/decompress.ts.
//
// The exact command lines, read from the tools:
// - dpkg-source (Dpkg::Compression::compression_get_cmdline_compress) spawns
//   `xz -6 --quiet --no-warn --no-adjust -T0` (the level from
//   debian/source/options, default 6) and `gzip -n --rsyncable -9` on Linux;
//   -T0 is xz's multi-threaded format, the same bytes for any thread count.
// - git deborig pipes git archive through `xz -c` (xz ≥ 5.6 defaults to
//   multi-threaded mode, -T0; with XZ_DEFAULTS=-T1, single-threaded) or `gzip -cn`.
// The multi-threaded format is made here with `-T+1`: that format with one
// thread (xz ≥ 5.4), the same bytes as -T0 on any machine, at one thread's
// memory: about 170 MiB at -6 where two threads take 300 MiB.
import { once } from 'node:events';
import { requireCompleted, type Sandbox } from '../../sandbox/index.js';

export type Compressor =
  | { readonly tool: 'dpkg-source'; readonly format: 'xz' | 'gzip'; readonly level: number }
  | { readonly tool: 'git-deborig'; readonly format: 'xz' | 'gzip'; readonly xzThreads: 'multi' | 'single' };

export function compressorArgv(c: Compressor): { argv: string[]; env: Record<string, string> } {
  if (c.tool === 'dpkg-source') {
    return c.format === 'xz'
      ? { argv: ['xz', `-${c.level}`, '--quiet', '--no-warn', '--no-adjust', '-T+1'], env: {} }
      : { argv: ['gzip', '-n', '--rsyncable', `-${c.level}`], env: {} };
  }
  return c.format === 'xz'
    ? c.xzThreads === 'single'
      ? { argv: ['xz', '-c'], env: { XZ_DEFAULTS: '-T1' } }
      : { argv: ['xz', '-c', '-T+1'], env: {} }
    : { argv: ['gzip', '-cn'], env: {} };
}

export class CompressError extends Error {
  override readonly name = 'CompressError';
}

/** A compressor's time limit unless the caller gives one. */
export const COMPRESS_TIMEOUT_MS = 10 * 60_000;

/**
 * Compresses a stream (the tar as it is written) with the builder's tool in
 * the sandbox, handing each chunk of the output to `sink` as it comes: neither
 * side is ever held whole. The input stream is read only as fast as the
 * compressor takes it. Throws CompressError when the tool fails, and what the
 * input stream throws (the compressor is then killed).
 */
export async function compressStream(
  sandbox: Sandbox,
  c: Compressor,
  input: AsyncIterable<Buffer>,
  sink: (chunk: Buffer) => void | Promise<void>,
  maxOutputBytes: number,
  timeoutMs = COMPRESS_TIMEOUT_MS,
): Promise<void> {
  const { argv, env } = compressorArgv(c);
  const what = argv.join(' ');
  const proc = sandbox.spawn({ argv, env, timeoutMs, limits: { maxOutputBytes } });
  let settled = false;
  const result = proc.result.finally(() => {
    settled = true;
  });
  const stopped = result.then(
    () => undefined,
    () => undefined,
  );
  const feed = async (): Promise<void> => {
    try {
      for await (const chunk of input) {
        if (settled) return;
        // The compressor may end without reading everything (it failed): its status tells.
        if (!proc.stdin.write(chunk)) await Promise.race([once(proc.stdin, 'drain'), stopped]);
      }
      proc.stdin.end();
    } catch (e) {
      proc.kill();
      throw e;
    }
  };
  const read = async (): Promise<void> => {
    try {
      for await (const chunk of proc.stdout as AsyncIterable<Buffer>) await sink(chunk);
    } catch (e) {
      proc.kill();
      throw e;
    }
  };
  const outcome = await Promise.allSettled([feed(), read()]);
  const failed = outcome.find((o) => o.status === 'rejected');
  if (failed) {
    await stopped;
    throw failed.reason;
  }
  const r = requireCompleted(await result, what);
  if (r.exitCode !== 0) throw new CompressError(`${what} exited ${r.exitCode}: ${r.stderr.toString('utf8').trim().slice(0, 300)}`);
}
