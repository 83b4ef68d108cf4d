// A read-only input the sandbox uid cannot reach (a repository under /root,
// mode 0700, when the verifier runs as root) is handed over as a staged
// copy: the same tree of directories, its files hard-linked (copied where a
// link is impossible or the file is not readable by others), its symlinks
// recreated, under a directory that only the sandbox uid may enter. bwrap
// 0.8's --ro-bind-fd would not do: it resolves the descriptor back to its
// path (realpath of /proc/self/fd/N) and walks it with the sandbox uid's
// permissions. The sandbox stays unprivileged; only the invoking user, who
// can read the input, makes the copy.
import {
  chmodSync,
  constants,
  copyFileSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { chmod, chown, copyFile, link, lstat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { SandboxIdentity } from './identity.js';

export interface Staged {
  /** The staged copy of the input, reachable and readable by the sandbox uid. */
  readonly path: string;
  /** Files hard-linked and copied, for the record. */
  readonly linked: number;
  readonly copied: number;
  dispose(): Promise<void>;
}

const OTHERS_READ = 0o004;

/** Staged copies by source path and uid, with the number of runs using each: runs at once share one copy. */
const made = new Map<string, { staged: Promise<Staged>; users: number }>();
const tops = new Set<string>();
let cleanupRegistered = false;

/** A staged copy held for one sandbox run; `release` when the run is over. */
export interface StagedLease {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * The staged copy of `source` for `who`, shared by the runs that hold it at
 * once and removed when the last of them releases it (or when the process
 * exits). A copy is never kept past its runs: a long-lived process (the
 * service's job processes) would otherwise keep every job's inputs on disk,
 * and serve a later run a stale copy of a path whose content changed. A
 * process killed outright leaves the copy (mostly hard links) in the
 * temporary directory.
 */
export async function stagedFor(source: string, who: SandboxIdentity): Promise<StagedLease> {
  const key = `${who.uid}:${who.gid}:${source}`;
  let entry = made.get(key);
  if (!entry) {
    if (!cleanupRegistered) {
      cleanupRegistered = true;
      process.once('exit', () => {
        for (const t of tops) rmSync(t, { recursive: true, force: true });
      });
    }
    const staged = stageForSandbox(source, who).then((s) => {
      tops.add(dirname(s.path));
      return s;
    });
    entry = { staged, users: 0 };
    made.set(key, entry);
  }
  const held = entry;
  held.users++;
  let staged: Staged;
  try {
    staged = await held.staged;
  } catch (e) {
    if (--held.users === 0 && made.get(key) === held) made.delete(key);
    throw e;
  }
  let released = false;
  return {
    path: staged.path,
    release: async () => {
      if (released) return;
      released = true;
      if (--held.users > 0) return;
      if (made.get(key) === held) made.delete(key);
      tops.delete(dirname(staged.path));
      await staged.dispose();
    },
  };
}

/** How many staged copies exist now (for tests). */
export function stagedCount(): number {
  return made.size;
}

/**
 * Stages `source` (a directory or a file) for `who`. Special files (devices,
 * sockets, fifos) are left out: no repository or source tree needs them, and
 * dpkg-source refuses them.
 */
export async function stageForSandbox(source: string, who: SandboxIdentity, parent: string = tmpdir()): Promise<Staged> {
  // Only the sandbox uid (and root) may enter: what was private behind a
  // mode-0700 directory stays out of other users' reach.
  const top = await mkdtemp(join(parent, 't2u-stage-'));
  await chown(top, who.uid, who.gid);
  await chmod(top, 0o700);
  const counts = { linked: 0, copied: 0 };
  const dispose = (): Promise<void> => rm(top, { recursive: true, force: true });
  try {
    const path = join(top, 'input');
    // A single file (an upload's orig, say) may be large: its copy, where a
    // link will not do, goes off the event loop.
    if ((await lstat(source)).isFile()) await stageFile(source, path, counts);
    else stageEntry(source, path, counts);
    return { path, ...counts, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/** Removes every staged copy made so far (a test's clean-up; processes do it at exit). */
export async function disposeStaged(): Promise<void> {
  const all = await Promise.allSettled([...made.values()].map((e) => e.staged));
  made.clear();
  tops.clear();
  for (const r of all) if (r.status === 'fulfilled') await r.value.dispose();
}

async function stageFile(from: string, to: string, counts: { linked: number; copied: number }): Promise<void> {
  const st = await lstat(from);
  if ((st.mode & OTHERS_READ) !== 0) {
    try {
      await link(from, to);
      counts.linked++;
      return;
    } catch {
      // another filesystem, or a link the kernel refuses: copy instead
    }
  }
  await copyFile(from, to, constants.COPYFILE_FICLONE);
  await chmod(to, readableMode(st.mode));
  counts.copied++;
}

/** Readable, and executable where the owner could execute it; never setuid. */
function readableMode(mode: number): number {
  return (mode & 0o777) | 0o444 | ((mode & 0o100) !== 0 ? 0o111 : 0);
}

// Synchronous calls: a tree is thousands of small operations, and each
// asynchronous one waits for a thread-pool hop (measured: 5 s instead of
// tenths for this repository's clone under load). Staging serves the CLI's
// local paths; the service fetches into its own store and never stages.
function stageEntry(from: string, to: string, counts: { linked: number; copied: number }): void {
  const st = lstatSync(from);
  if (st.isDirectory()) {
    mkdirSync(to, { mode: 0o755 });
    chmodSync(to, 0o755);
    for (const name of readdirSync(from)) stageEntry(join(from, name), join(to, name), counts);
    return;
  }
  if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(from), to);
    return;
  }
  if (!st.isFile()) return;
  if ((st.mode & OTHERS_READ) !== 0) {
    try {
      linkSync(from, to);
      counts.linked++;
      return;
    } catch {
      // another filesystem, or a link the kernel refuses: copy instead
    }
  }
  copyFileSync(from, to, constants.COPYFILE_FICLONE);
  chmodSync(to, readableMode(st.mode));
  counts.copied++;
}
