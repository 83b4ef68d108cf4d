// Decompresses a source-package tarball for the tar reader. The tarballs
// come from an upload or a rebuild of fetched content, so the decompressor
// (xz, gzip, bzip2, zstd: C code parsing hostile input) runs in the sandbox,
// reading the file on stdin and streaming its output back; the output is
// capped (a decompression bomb stops at the cap) and timed. A plain `.tar`
// is read directly.
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Sandbox, SandboxResult } from '../sandbox/index.js';
import { workBytesFor } from '../sandbox/work-quota.js';
import { TarballError } from './tarball-error.js';

export type Compression = 'xz' | 'gzip' | 'bzip2' | 'lzma' | 'zstd' | 'none';

/** The suffixes of dpkg-source's compressors (Dpkg::Compression), plus zstd. */
const SUFFIXES: readonly (readonly [string, Compression])[] = [
  ['.tar.xz', 'xz'],
  ['.tar.gz', 'gzip'],
  ['.tar.bz2', 'bzip2'],
  ['.tar.lzma', 'lzma'],
  ['.tar.zst', 'zstd'],
  ['.tar', 'none'],
];

/** argv of each decompressor, reading stdin and writing stdout. */
const COMMANDS: Record<Exclude<Compression, 'none'>, readonly string[]> = {
  xz: ['xz', '--decompress', '--stdout'],
  gzip: ['gzip', '--decompress', '--stdout'],
  bzip2: ['bzip2', '--decompress', '--stdout'],
  // xz-utils reads the legacy .lzma format too (it ships the `lzma` alias).
  lzma: ['xz', '--format=lzma', '--decompress', '--stdout'],
  zstd: ['zstd', '--decompress', '--stdout', '--quiet'],
};

export interface DecompressOptions {
  /** Where the decompressor runs: the caller's (a builder profile's root filesystem in the verifier). */
  sandbox: Sandbox;
  /** Wall-clock limit for the whole decompression. Default 120 s. */
  timeoutMs?: number;
  /**
   * Decompressed bytes allowed; beyond them, DECOMPRESS_TOO_LARGE. Default:
   * the sandbox's work-directory rule (src/sandbox/work-quota.ts) applied to
   * the compressed size, a multiple of it with a floor, so that a small bomb
   * stops early instead of streaming gigabytes through the tar reader.
   */
  maxOutputBytes?: number;
  /** Memory cap of the sandbox. Default the launcher's. */
  memoryBytes?: number;
}

export const DEFAULT_DECOMPRESS = { timeoutMs: 120_000 } as const;

/** The compression named by a tarball's file name, as dpkg-source reads it; undefined if none matches. */
export function compressionOf(name: string): Compression | undefined {
  return SUFFIXES.find(([suffix]) => name.endsWith(suffix))?.[1];
}

/** Streams the uncompressed bytes of a tarball; throws TarballError. */
export async function* decompress(path: string, options: DecompressOptions): AsyncGenerator<Buffer> {
  const compression = compressionOf(basename(path));
  if (compression === undefined) {
    throw new TarballError(
      'DECOMPRESS_UNSUPPORTED',
      `${basename(path)}: not a tarball name dpkg-source knows (.tar, .tar.xz, .tar.gz, .tar.bz2, .tar.lzma, .tar.zst)`,
    );
  }
  const file = await open(path).catch((e: NodeJS.ErrnoException) => {
    throw new TarballError('DECOMPRESS_FAILED', `cannot read ${basename(path)}: ${e.code ?? e.message}`, { cause: e });
  });
  try {
    const cap = options.maxOutputBytes ?? workBytesFor((await file.stat()).size);
    if (compression === 'none') {
      let total = 0;
      for await (const chunk of file.createReadStream({ autoClose: false }) as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > cap) throw tooLarge(path, cap);
        yield chunk;
      }
      return;
    }
    yield* runDecompressor(path, compression, file, cap, options);
  } finally {
    await file.close();
  }
}

async function* runDecompressor(
  path: string,
  compression: Exclude<Compression, 'none'>,
  file: Awaited<ReturnType<typeof open>>,
  cap: number,
  options: DecompressOptions,
): AsyncGenerator<Buffer> {
  const argv = [...COMMANDS[compression]];
  const { sandbox } = options;
  if (!sandbox.hasProgram(argv[0]!)) {
    throw new TarballError(
      'DECOMPRESSOR_MISSING',
      `${basename(path)}: ${argv[0]} is not installed in the sandbox root filesystem ${sandbox.root}`,
    );
  }
  const proc = sandbox.spawn({
    argv,
    timeoutMs: options.timeoutMs ?? DEFAULT_DECOMPRESS.timeoutMs,
    // Our own count stops stdout at the cap; the launcher's cap (stdout and
    // stderr together) is a backstop with room for an error message.
    limits: { maxOutputBytes: cap + (1 << 20), ...(options.memoryBytes ? { memoryBytes: options.memoryBytes } : {}) },
  });
  // The decompressor may stop reading (bad data, killed): that EPIPE is reported through its exit status.
  const feeding = pipeline(file.createReadStream({ autoClose: false }), proc.stdin).catch(() => undefined);
  let finished = false;
  try {
    let total = 0;
    for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > cap) {
        proc.kill();
        throw tooLarge(path, cap);
      }
      yield chunk;
    }
    const r = await proc.result.catch((e: unknown) => {
      throw new TarballError('DECOMPRESS_FAILED', `${basename(path)}: ${argv[0]} could not run in the sandbox: ${(e as Error).message}`, {
        cause: e,
      });
    });
    finished = true;
    check(r, path, argv[0]!, cap, options.timeoutMs ?? DEFAULT_DECOMPRESS.timeoutMs);
  } finally {
    if (!finished) {
      // The consumer stopped early or failed: nothing may keep running.
      proc.kill();
      await proc.result.catch(() => undefined);
    }
    // Input the decompressor never read (it stopped, or was killed) would hold
    // the pipe's buffer full and the feeding pipeline open forever.
    proc.stdin.destroy();
    await feeding;
  }
}

function check(r: SandboxResult, path: string, tool: string, cap: number, timeoutMs: number): void {
  if (r.timedOut) throw new TarballError('DECOMPRESS_TIMEOUT', `${basename(path)}: ${tool} did not finish within ${timeoutMs} ms`);
  if (r.outputTruncated) throw tooLarge(path, cap);
  if (r.exitCode !== 0) {
    const err = r.stderr.toString('utf8').trim().split('\n').slice(-3).join(' / ');
    throw new TarballError(
      'DECOMPRESS_FAILED',
      `${basename(path)}: ${tool} failed (${r.exitCode === null ? (r.signal ?? 'killed') : `exit ${r.exitCode}`})${err ? `: ${err}` : ''}`,
    );
  }
}

function tooLarge(path: string, cap: number): TarballError {
  return new TarballError('DECOMPRESS_TOO_LARGE', `${basename(path)} decompresses to more than ${cap} bytes (the cap); stopped there`);
}
