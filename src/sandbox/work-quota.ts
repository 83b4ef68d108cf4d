// The size limit of a sandbox's /work. /work is a tmpfs of bwrap's own
// (`--size BYTES --tmpfs /work`), so a decompression bomb or a runaway build
// fills that and gets ENOSPC instead of filling the host's disk. The host
// work directory is bound read-only and copied in when the command starts;
// when it has ended, the paths the caller keeps are streamed out as a tar
// (at most the limit) and unpacked into the host directory by GNU tar in a
// second sandbox whose only writable place is that directory. tmpfs pages
// are charged to the sandbox's memory cgroup, so the launcher adds the limit
// to the memory cap.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { VerificationError } from '../report/verification-error.js';

/** Where the host work directory is bound read-only inside, for the copy in. */
export const WORK_INPUT = '/run/t2u-work-in';

/**
 * The default limit: WORK_FACTOR times the inputs (the host work directory's
 * content and what the caller says it will unpack, e.g. the upload's files),
 * and never below the floor. Source tarballs of real packages unpack to 3 to
 * 15 times their compressed size, and a build holds the checkout, dgit's
 * unpacked orig and the products at once: 64 leaves room for that, and a
 * 580 KB orig that expands to 3 GiB is stopped at the 1 GiB floor.
 */
export const DEFAULT_WORK = { floorBytes: 1024 ** 3, factor: 64 } as const;

/** A positive integer from the environment variable `name`, or undefined when it is unset or empty. */
export function positiveFromEnv(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new VerificationError('SANDBOX_FAILED', `${name}=${JSON.stringify(text)} is not a positive integer`);
  return n;
}

/** The limit for `inputBytes` of inputs; T2U_SANDBOX_WORK_FLOOR (bytes) and T2U_SANDBOX_WORK_FACTOR override the defaults. */
export function workBytesFor(inputBytes: number): number {
  const floor = positiveFromEnv('T2U_SANDBOX_WORK_FLOOR') ?? DEFAULT_WORK.floorBytes;
  const factor = positiveFromEnv('T2U_SANDBOX_WORK_FACTOR') ?? DEFAULT_WORK.factor;
  return Math.max(floor, Math.ceil(factor * Math.max(0, inputBytes)));
}

/** Bytes of the regular files under `dir` (symlinks not followed). */
export async function treeBytes(dir: string): Promise<number> {
  // The entries of a directory at once: a sandbox's start waits for this.
  const entries = await readdir(dir, { withFileTypes: true });
  const sizes = await Promise.all(
    entries.map((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return treeBytes(path);
      return e.isFile() ? lstat(path).then((st) => st.size) : Promise.resolve(0);
    }),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

/** A path kept from /work: relative, plain characters, no `..`; our callers' constants, checked all the same. `.` keeps all of /work. */
const KEEP = /^[A-Za-z0-9_+][A-Za-z0-9._+/-]*$/;

export function checkKeep(keep: readonly string[]): void {
  for (const p of keep) {
    if (p === '.') continue;
    if (!KEEP.test(p) || p.split('/').some((s) => s === '..' || s === ''))
      throw new VerificationError('SANDBOX_FAILED', `${JSON.stringify(p)} is not a path under /work that can be kept`);
  }
}

/** Free space below which /work counts as full when the command ends (a write failed for lack of room). */
const FULL_SLACK_BYTES = 1024 ** 2;

/**
 * The command, wrapped: copy the inputs in, run it without the side
 * channels, report the free space and inodes of /work on fd `report`, stream
 * the kept paths that exist as a tar on fd `copyOut`, and exit with the
 * command's status.
 */
export function wrapCommand(argv: readonly string[], keep: readonly string[], fds: { copyOut: number; report: number }): string[] {
  checkKeep(keep);
  const { copyOut: o, report: r } = fds;
  const script = [
    `cp -pR ${WORK_INPUT}/. /work/ || { echo "cannot copy the inputs into /work" >&2; exit 125; }`,
    'cd /work',
    `"$@" ${o}>&- ${r}>&-`,
    's=$?',
    `stat -f -c '%a %S %d' /work >&${r}`,
    `exec ${r}>&-`,
    'set --',
    `for p in ${keep.join(' ')}; do if [ -e "$p" ] || [ -L "$p" ]; then set -- "$@" "$p"; fi; done`,
    `if [ $# -gt 0 ]; then tar -c -f - -- "$@" >&${o}; fi`,
    's2=$?',
    `exec ${o}>&-`,
    // A failed copy-out of a command that succeeded is a failure; otherwise the command's status.
    '[ "$s" -ne 0 ] || [ "$s2" -eq 0 ] || { echo "cannot copy the results out of /work" >&2; exit 125; }',
    'exit $s',
  ].join('\n');
  return ['sh', '-c', script, 'sh', ...argv];
}

/** Whether the wrapper's report (`AVAIL_BLOCKS BLOCK_SIZE FREE_INODES`) says /work was full. */
export function reportedFull(report: string): boolean {
  const m = /^(\d+) (\d+) (\d+)\s*$/.exec(report);
  if (!m) return false;
  return Number(m[1]) * Number(m[2]) < FULL_SLACK_BYTES || Number(m[3]) === 0;
}

/**
 * A tool that ran out of room and then cleaned up leaves /work with space
 * again by the time the command ends (dpkg-source removes its half-unpacked
 * tree), and tmpfs keeps no high-water mark: the tools' error messages are
 * the evidence. strerror(ENOSPC) in the sandbox's C.UTF-8 locale, as C, Perl
 * and Python tools print it; GNU tar's short write ("Wrote only 512 of 10240
 * bytes"), which is what a full tmpfs gives it. A file name that contains
 * these words can at worst turn one unverifiable reason into another.
 */
const NO_SPACE = /No space left on device|: Wrote only \d+ of \d+ bytes/;

export function mentionsNoSpace(text: string): boolean {
  return NO_SPACE.test(text);
}

/** GNU tar unpacking the copy-out stream: ownership not restored, the umask applied, no setuid or setgid bit kept. */
export const UNPACK_ARGV = [
  'sh',
  '-c',
  'umask 022 && tar -x -f - --no-same-owner --no-same-permissions && find . -perm /6000 -exec chmod ug-s {} +',
] as const;

/** Room for tar's headers and padding beyond the data the limit allows. */
export function copyOutCap(workBytes: number): number {
  return workBytes + Math.max(16 * 1024 ** 2, Math.ceil(workBytes / 8));
}
