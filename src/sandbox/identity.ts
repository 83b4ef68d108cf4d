// Who the sandboxed command runs as, and what that user must be able to
// reach. bwrap started by root keeps uid 0 and nearly all capabilities inside
// (it maps `0 0 1` and needs no user namespace), so as root the launcher
// starts bwrap as a dedicated unprivileged uid; bwrap then makes its own user
// namespace and holds no capability on the host. That uid sets up the mounts,
// so every bound path must be reachable by it.
import { chmod, chown, lchown, lstat, readdir } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { VerificationError } from '../report/verification-error.js';

export interface SandboxIdentity {
  readonly uid: number;
  readonly gid: number;
}

/** 65534 is Debian's `nobody`/`nogroup`: owns no files, so it can reach only what is world-readable. */
const DEFAULT_ID = 65534;

function idFromEnv(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0 || n >= 2 ** 32 - 1) {
    throw new VerificationError('SANDBOX_FAILED', `${name}=${JSON.stringify(text)} is not a valid non-root id`);
  }
  return n;
}

export const isRoot = (): boolean => process.getuid?.() === 0;

/**
 * The identity bwrap runs as: the given one, else T2U_SANDBOX_UID/GID, else
 * 65534 when we are root; undefined when we are not root (bwrap then runs as
 * us, and cannot change uid anyway).
 */
export function sandboxIdentity(requested?: SandboxIdentity): SandboxIdentity | undefined {
  if (!isRoot()) return undefined;
  if (requested) {
    if (requested.uid === 0) throw new VerificationError('SANDBOX_FAILED', 'the sandbox uid must not be 0');
    return requested;
  }
  const uid = idFromEnv('T2U_SANDBOX_UID') ?? DEFAULT_ID;
  const gid = idFromEnv('T2U_SANDBOX_GID') ?? uid;
  return { uid, gid };
}

function canAccess(st: { uid: number; gid: number; mode: number }, who: SandboxIdentity, bits: number): boolean {
  // The classic owner/group/other check; the sandbox uid has no supplementary groups.
  if (st.uid === who.uid) return ((st.mode >> 6) & bits) === bits;
  if (st.gid === who.gid) return ((st.mode >> 3) & bits) === bits;
  return (st.mode & bits) === bits;
}

const SEARCH = 1;
const READ = 4;

/**
 * Whether `who` can reach and read `path` as checkReachable judges it;
 * 'missing' when it does not exist (or cannot be examined).
 */
export function reachability(path: string, who: SandboxIdentity): 'reachable' | 'unreachable' | 'missing' {
  try {
    statSync(path);
  } catch {
    return 'missing';
  }
  try {
    checkReachable(path, who, 'path');
    return 'reachable';
  } catch {
    return 'unreachable';
  }
}

/**
 * Checks that `who` can reach `path` (search permission on every ancestor)
 * and read it (read, plus search for a directory). bwrap reports only
 * "Can't find source path: Permission denied"; this names the directory.
 */
export function checkReachable(path: string, who: SandboxIdentity, purpose: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new VerificationError('SANDBOX_FAILED', `${purpose} ${path} does not exist`, { cause: e });
  }
  const need = st.isDirectory() ? READ | SEARCH : READ;
  if (!canAccess(st, who, need)) {
    throw new VerificationError(
      'SANDBOX_FAILED',
      `${purpose} ${path} is not readable by the sandbox uid ${who.uid} (mode ${(st.mode & 0o7777).toString(8)}, owner ${st.uid})`,
    );
  }
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const d = statSync(dir);
    if (!canAccess(d, who, SEARCH)) {
      throw new VerificationError(
        'SANDBOX_FAILED',
        `${purpose} ${path} is not reachable by the sandbox uid ${who.uid}: ${dir} is mode ${(d.mode & 0o7777).toString(8)}; use a directory the uid can traverse (for the cache: T2U_VERIFY_CACHE)`,
      );
    }
    if (dir === '/') break;
  }
}

/**
 * Lets the sandbox uid read a private directory of the verifier's own (an
 * obtained upload's) and the given files in it, without handing them over:
 * they stay the invoking user's, and the sandbox's group may read, not
 * write (0750 and 0640). Otherwise the launcher would stage a copy of each
 * for every run (staging.ts). Nothing to do when the sandbox runs as the
 * invoking user; the directory's ancestors must already be searchable.
 */
export async function shareReadOnly(
  dir: string,
  files: readonly string[],
  who: SandboxIdentity | undefined = sandboxIdentity(),
): Promise<void> {
  if (!who) return;
  const owner = process.getuid?.() ?? 0;
  for (const [path, mode] of [[dir, 0o750] as const, ...files.map((f) => [f, 0o640] as const)]) {
    const st = await lstat(path);
    // Only the verifier's own regular files and directories: never a link it would follow.
    if (st.isSymbolicLink() || st.uid !== owner)
      throw new VerificationError('SANDBOX_FAILED', `${path} is not the verifier's own file to share`);
    await chown(path, owner, who.gid);
    await chmod(path, mode);
  }
}

/**
 * Gives the work directory to the sandbox uid: the directory and everything
 * in it (the caller may have prepared files, e.g. an empty git directory that
 * `git index-pack` must write into). Skipped when it is already owned.
 */
export async function prepareWorkDir(path: string, who: SandboxIdentity | undefined): Promise<void> {
  const st = await lstat(path).catch((e: unknown) => {
    throw new VerificationError('SANDBOX_FAILED', `work directory ${path} does not exist`, { cause: e });
  });
  if (!st.isDirectory()) throw new VerificationError('SANDBOX_FAILED', `work directory ${path} is not a directory`);
  if (!who) {
    if ((st.mode & 0o700) !== 0o700) await chmod(path, st.mode | 0o700);
    return;
  }
  if (st.uid !== who.uid || st.gid !== who.gid) await chownTree(path, who);
  if ((st.mode & 0o700) !== 0o700) await chmod(path, (st.mode & 0o7777) | 0o700);
  checkReachable(path, who, 'work directory');
}

/** A directory and everything in it; the entries of a directory at once (a build's start waits for it). */
async function chownTree(dir: string, who: SandboxIdentity): Promise<void> {
  // lchown: a symlink in the tree is re-owned itself, never followed.
  await lchown(dir, who.uid, who.gid);
  const entries = await readdir(dir, { withFileTypes: true });
  await Promise.all(
    entries.map((e) => (e.isDirectory() ? chownTree(join(dir, e.name), who) : lchown(join(dir, e.name), who.uid, who.gid))),
  );
}
