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
//   multi-threaded mode; with XZ_DEFAULTS=-T1, single-threaded) or `gzip -cn`.
import { requireCompleted, runSandboxed, type Rootfs } from '../../sandbox/launcher.js';

export type Compressor =
  | { readonly tool: 'dpkg-source'; readonly format: 'xz' | 'gzip'; readonly level: number }
  | { readonly tool: 'git-deborig'; readonly format: 'xz' | 'gzip'; readonly xzThreads: 'multi' | 'single' };

export function compressorArgv(c: Compressor): { argv: string[]; env: Record<string, string> } {
  if (c.tool === 'dpkg-source') {
    return c.format === 'xz'
      ? { argv: ['xz', `-${c.level}`, '--quiet', '--no-warn', '--no-adjust', '-T0'], env: {} }
      : { argv: ['gzip', '-n', '--rsyncable', `-${c.level}`], env: {} };
  }
  return c.format === 'xz'
    ? { argv: ['xz', '-c'], env: c.xzThreads === 'single' ? { XZ_DEFAULTS: '-T1' } : {} }
    : { argv: ['gzip', '-cn'], env: {} };
}

export class CompressError extends Error {
  override readonly name = 'CompressError';
}

const TIMEOUT_MS = 10 * 60_000;

async function filter(rootfs: Rootfs, argv: string[], env: Record<string, string>, data: Uint8Array, maxOutputBytes: number): Promise<Buffer> {
  const r = requireCompleted(await runSandboxed({ argv, rootfs, env, stdin: data, timeoutMs: TIMEOUT_MS, limits: { maxOutputBytes } }), argv.join(' '));
  if (r.exitCode !== 0) throw new CompressError(`${argv.join(' ')} exited ${r.exitCode}: ${r.stderr.toString('utf8').trim().slice(0, 300)}`);
  return r.stdout;
}

export function compress(rootfs: Rootfs, c: Compressor, data: Uint8Array): Promise<Buffer> {
  const { argv, env } = compressorArgv(c);
  return filter(rootfs, argv, env, data, data.length + 1024 ** 2);
}
