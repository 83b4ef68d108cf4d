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
// The two archives are compared as they are decompressed, neither held whole.
import { lstat, readFile } from 'node:fs/promises';
import { reason, type Reason } from '../report/reasons.js';
import { requireCompleted, type Sandbox } from '../sandbox/index.js';
import { compressionOf, decompress } from '../tarball/decompress.js';
import { compareTarStreamsIgnoringMtime, type TarComparison } from '../tarball/tar-mtime-compare.js';
import { TarballError } from '../tarball/tarball-error.js';
import { isVerificationError } from '../report/verification-error.js';

/**
 * How far the builder's clock may be behind the uploader's (whose clock dated
 * the changelog and the tag) for a checkout mtime to count as one: a day.
 */
export const CHECKOUT_CLOCK_SKEW_S = 24 * 3600;

/** Decompressed archives larger than this are not compared (a decompression bomb stays in the sandbox). */
const MAX_TAR_BYTES = 512 * 1024 ** 2;

/** A changelog larger than this is not read (it is the checkout's, which the sandbox wrote). */
const MAX_CHANGELOG_BYTES = 64 * 1024 ** 2;

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
  /** Where dpkg-parsechangelog and the decompressors run: the profile's root filesystem. */
  readonly sandbox: Sandbox;
  readonly timeoutMs: number;
}

export type MtimeLeakResult = { readonly explained: true; readonly reason: Reason } | { readonly explained: false; readonly why: string };

export async function explainMtimeLeak(input: MtimeLeakInput): Promise<MtimeLeakResult> {
  if (!/\.tar\.[a-z0-9]+$/.test(input.name) || compressionOf(input.name) === undefined)
    return { explained: false, why: `${input.name} is not a compressed tarball` };
  if (!(await lstat(input.changelog).catch(() => undefined))?.isFile())
    return { explained: false, why: 'the checkout has no debian/changelog file' };
  const changelogTime = await changelogDate(input);
  if (typeof changelogTime !== 'number') return { explained: false, why: changelogTime.why };
  const c = await compareDecompressed(input);
  if (!c.ok) return { explained: false, why: c.why };
  if (c.mtimes.length === 0) return { explained: false, why: 'the decompressed archives are identical; the compressed bytes differ' };
  const from = Math.min(input.taggerTime ?? changelogTime, changelogTime) - CHECKOUT_CLOCK_SKEW_S;
  const to = changelogTime;
  // Both sides: a leaked checkout time, or the changelog date it was clamped to.
  const outside = c.mtimes.find((m) => [m.expected, m.got].some((t) => t < from || t > to));
  if (outside) {
    return {
      explained: false,
      why: `${outside.name}: mtime ${iso(outside.got)} in the upload, ${iso(outside.expected)} rebuilt, outside the checkout window ${iso(from)} to ${iso(to)}`,
    };
  }
  const leaked = [...new Set(c.mtimes.flatMap((m) => [m.expected, m.got]).filter((t) => t !== to))].sort((a, b) => a - b);
  return {
    explained: true,
    reason: reason(
      'CHECKOUT_MTIME_LEAK',
      `${input.name}: ${c.mtimes.length} of ${c.members} members differ only in their mtime: ${leaked.map(iso).join(', ')} (the builder's checkout) ` +
        `against the changelog date ${iso(to)} that --clamp-mtime gives; the checkout came before the changelog date, within ${CHECKOUT_CLOCK_SKEW_S / 3600} h of the tag (${iso(input.taggerTime ?? to)}); every other header byte and all content are identical`,
    ),
  };
}

function iso(t: number): string {
  return new Date(t * 1000).toISOString().replace('.000Z', 'Z');
}

/** The changelog's date (dpkg-parsechangelog in the sandbox, the file on its standard input). */
async function changelogDate(input: MtimeLeakInput): Promise<number | { why: string }> {
  // Regular files only: the changelog is from the checkout the sandbox
  // wrote, and a symlink there must not make the host read its target.
  const st = await lstat(input.changelog).catch(() => undefined);
  if (!st?.isFile()) return { why: 'debian/changelog is not a regular file' };
  if (st.size > MAX_CHANGELOG_BYTES) return { why: `debian/changelog is larger than ${MAX_CHANGELOG_BYTES} bytes` };
  let timestamp: string;
  try {
    const r = requireCompleted(
      await input.sandbox.run({
        argv: ['dpkg-parsechangelog', '-l', '-', '-S', 'Timestamp'],
        timeoutMs: input.timeoutMs,
        stdin: await readFile(input.changelog),
      }),
      'dpkg-parsechangelog',
    );
    timestamp = r.exitCode === 0 ? r.stdout.toString('utf8').trim() : '';
  } catch (e) {
    return { why: `the sandbox could not read the changelog's date: ${(e as Error).message}` };
  }
  if (!/^\d{1,12}$/.test(timestamp)) return { why: 'dpkg-parsechangelog found no date in debian/changelog' };
  return Number(timestamp);
}

/** A decompression failure, with the side whose file it was. */
class SideError extends Error {
  override readonly name = 'SideError';
  constructor(
    readonly side: 'upload' | 'rebuilt',
    readonly error: unknown,
  ) {
    super(error instanceof Error ? error.message : String(error));
  }
}

async function* sideOf(side: 'upload' | 'rebuilt', stream: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* stream;
  } catch (e) {
    throw new SideError(side, e);
  }
}

/**
 * Both files decompressed in the sandbox by the rootfs's own tools
 * (tarball/decompress.ts), each capped at MAX_TAR_BYTES, and compared as
 * they stream, neither held whole.
 */
async function compareDecompressed(input: MtimeLeakInput): Promise<TarComparison> {
  for (const [side, path] of [
    ['upload', input.uploadPath],
    ['rebuilt', input.rebuiltPath],
  ] as const) {
    if (!(await lstat(path).catch(() => undefined))?.isFile()) return { ok: false, why: `the ${side} ${input.name} is not a regular file` };
  }
  const options = { sandbox: input.sandbox, timeoutMs: input.timeoutMs, maxOutputBytes: MAX_TAR_BYTES };
  try {
    return await compareTarStreamsIgnoringMtime(
      sideOf('rebuilt', decompress(input.rebuiltPath, options)),
      sideOf('upload', decompress(input.uploadPath, options)),
    );
  } catch (err) {
    if (!(err instanceof SideError)) throw err;
    const { side, error: e } = err;
    if (e instanceof TarballError) {
      return {
        ok: false,
        why:
          e.code === 'DECOMPRESS_TOO_LARGE'
            ? `the ${side} ${input.name} decompresses to more than ${MAX_TAR_BYTES} bytes`
            : `the ${side} ${input.name} does not decompress cleanly: ${e.message}`,
      };
    }
    if (isVerificationError(e)) return { ok: false, why: `the sandbox could not decompress ${input.name}: ${e.message}` };
    throw e;
  }
}
