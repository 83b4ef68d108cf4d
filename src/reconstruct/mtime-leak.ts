// Explains one kind of difference between a rebuilt tarball and the upload's:
// the builder's checkout mtimes leaking into it. dpkg-source packs with
// `tar --mtime=@SOURCE_DATE_EPOCH --clamp-mtime`, SOURCE_DATE_EPOCH being the
// changelog date; --clamp-mtime only lowers later mtimes, so when the
// changelog is dated after the builder checked the tree out (the uploader's
// clock ahead of the builder's), the members keep their checkout mtimes.
// The rebuild, made later, gets the changelog date instead. The difference
// is explained only when the two archives, decompressed in the sandbox, are
// identical but for member mtimes (and the header checksums that follow
// them), every one of which lies in the window a checkout could have had:
// from the tag's tagger date less CHECKOUT_CLOCK_SKEW_S to the changelog date.
import { constants } from 'node:fs';
import { copyFile, lstat, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reason, type Reason } from '../report/reasons.js';
import { runSandboxed, SandboxError, type Rootfs } from '../sandbox/launcher.js';
import { compareTarsIgnoringMtime } from './tar-headers.js';

/**
 * How far the builder's clock may be behind the uploader's (whose clock dated
 * the changelog and the tag) for a checkout mtime to count as one: a day.
 */
export const CHECKOUT_CLOCK_SKEW_S = 24 * 3600;

/** Decompressed archives larger than this are not compared (a decompression bomb stays in the sandbox). */
const MAX_TAR_BYTES = 512 * 1024 ** 2;

/** dpkg-source's compressors (Dpkg::Compression), by file name suffix. */
const DECOMPRESSORS: Readonly<Record<string, readonly string[]>> = {
  xz: ['xz', '-dc'],
  gz: ['gzip', '-dc'],
  bz2: ['bzip2', '-dc'],
  lzma: ['xz', '--format=lzma', '-dc'],
};

export interface MtimeLeakInput {
  readonly name: string;
  readonly uploadPath: string;
  readonly rebuiltPath: string;
  /**
   * The checkout's debian/changelog, whose date dpkg-source made
   * SOURCE_DATE_EPOCH; read by dpkg-parsechangelog in the sandbox, only when
   * a file differs.
   */
  readonly changelog: string;
  /** The tag's tagger date, seconds (absent for a plain tree: the changelog date stands in). */
  readonly taggerTime?: number;
  readonly rootfs: Rootfs;
  readonly timeoutMs: number;
  readonly tmpDir?: string;
}

export type MtimeLeakResult =
  | { readonly explained: true; readonly reason: Reason }
  | { readonly explained: false; readonly why: string };

export async function explainMtimeLeak(input: MtimeLeakInput): Promise<MtimeLeakResult> {
  const suffix = /\.tar\.([a-z0-9]+)$/.exec(input.name)?.[1];
  const decompress = suffix === undefined ? undefined : DECOMPRESSORS[suffix];
  if (!decompress) return { explained: false, why: `${input.name} is not a compressed tarball` };
  if (!(await lstat(input.changelog).catch(() => undefined))?.isFile()) return { explained: false, why: 'the checkout has no debian/changelog file' };
  const tars = await decompressBoth(input, decompress);
  if ('why' in tars) return { explained: false, why: tars.why };
  const changelogTime = tars.changelogTime;
  const c = compareTarsIgnoringMtime(tars.upload, tars.rebuilt);
  if (!c.ok) return { explained: false, why: c.why };
  if (c.mtimes.length === 0) return { explained: false, why: 'the decompressed archives are identical; the compressed bytes differ' };
  const from = Math.min(input.taggerTime ?? changelogTime, changelogTime) - CHECKOUT_CLOCK_SKEW_S;
  const to = changelogTime;
  // Both sides: a leaked checkout time, or the changelog date it was clamped to.
  const outside = c.mtimes.find((m) => [m.expected, m.got].some((t) => t < from || t > to));
  if (outside) {
    return { explained: false, why: `${outside.name}: mtime ${iso(outside.expected)} in the upload, ${iso(outside.got)} rebuilt, outside the checkout window ${iso(from)} to ${iso(to)}` };
  }
  const leaked = [...new Set(c.mtimes.flatMap((m) => [m.expected, m.got]).filter((t) => t !== to))].sort((a, b) => a - b);
  return {
    explained: true,
    reason: reason('CHECKOUT_MTIME_LEAK',
      `${input.name}: ${c.mtimes.length} of ${c.members} members differ only in their mtime: ${leaked.map(iso).join(', ')} (the builder's checkout) `
      + `against the changelog date ${iso(to)} that --clamp-mtime gives; the checkout came before the changelog date, within ${CHECKOUT_CLOCK_SKEW_S / 3600} h of the tag (${iso(input.taggerTime ?? to)}); every other header byte and all content are identical`),
  };
}

function iso(t: number): string {
  return new Date(t * 1000).toISOString().replace('.000Z', 'Z');
}

/** Both files decompressed by the rootfs's own tools in the sandbox, each capped at MAX_TAR_BYTES. */
async function decompressBoth(input: MtimeLeakInput, decompress: readonly string[]): Promise<{ upload: Uint8Array; rebuilt: Uint8Array; changelogTime: number } | { why: string }> {
  const dir = await mkdtemp(join(input.tmpDir ?? tmpdir(), 't2u-mtime-'));
  try {
    // head -c stops a decompression bomb at the cap; a decompressor that
    // fails (corrupt input, trailing garbage) leaves a mark.
    // The inputs are copied into the work directory: the upload's private
    // directory (mode 0700) is not the sandbox user's to read.
    // Regular files only: the changelog is from the checkout the sandbox
    // wrote, and a symlink there must not make the host read its target.
    await mkdir(join(dir, 'in'));
    for (const [path, name] of [[input.uploadPath, 'upload'], [input.rebuiltPath, 'rebuilt'], [input.changelog, 'changelog']] as const) {
      if (!(await lstat(path).catch(() => undefined))?.isFile()) return { why: `${name === 'changelog' ? 'debian/changelog' : `the ${name} ${input.name}`} is not a regular file` };
      await copyFile(path, join(dir, 'in', name), constants.COPYFILE_FICLONE);
    }
    const script = 'dpkg-parsechangelog -l /work/in/changelog -S Timestamp > /work/timestamp\n'
      + 'for side in upload rebuilt; do { "$@" < "/work/in/$side" || echo > "/work/$side.failed"; } | head -c "$T2U_CAP" > "/work/$side.tar"; done';
    let r;
    try {
      r = await runSandboxed({
        argv: ['sh', '-c', script, 'sh', ...decompress], rootfs: input.rootfs, workDir: dir, timeoutMs: input.timeoutMs,
        env: { T2U_CAP: String(MAX_TAR_BYTES + 1) },
      });
    } catch (e) {
      if (e instanceof SandboxError) return { why: `the sandbox could not decompress ${input.name}: ${e.message}` };
      throw e;
    }
    if (r.exitCode !== 0 || r.timedOut) return { why: `decompressing ${input.name} in the sandbox failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode ?? r.signal}`})` };
    const timestamp = (await readFile(join(dir, 'timestamp'), 'utf8').catch(() => '')).trim();
    if (!/^\d{1,12}$/.test(timestamp)) return { why: 'dpkg-parsechangelog found no date in debian/changelog' };
    const out = { upload: new Uint8Array(), rebuilt: new Uint8Array(), changelogTime: Number(timestamp) };
    for (const side of ['upload', 'rebuilt'] as const) {
      if (await lstat(join(dir, `${side}.failed`)).then(() => true, () => false)) return { why: `the ${side} ${input.name} does not decompress cleanly` };
      const st = await lstat(join(dir, `${side}.tar`)).catch(() => undefined);
      if (!st?.isFile()) return { why: `decompressing the ${side} ${input.name} wrote no archive` };
      if (st.size > MAX_TAR_BYTES) return { why: `the ${side} ${input.name} decompresses to more than ${MAX_TAR_BYTES} bytes` };
      out[side] = await readFile(join(dir, `${side}.tar`));
    }
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
