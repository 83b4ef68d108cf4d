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

/** Staged copies by source path and uid, made once per process (a rebuild runs several sandboxes on one repository). */
const made = new Map<string, Promise<Staged>>();
const tops = new Set<string>();
let cleanupRegistered = false;

/**
 * The staged copy of `source` for `who`, made on first use and removed when
 * the process exits. The invoking user's inputs do not change during one
 * command; a process killed outright leaves the copy (mostly hard links) in
 * the temporary directory.
 */
export function stagedFor(source: string, who: SandboxIdentity): Promise<Staged> {
  const key = `${who.uid}:${who.gid}:${source}`;
  let p = made.get(key);
  if (!p) {
    if (!cleanupRegistered) {
      cleanupRegistered = true;
      process.once('exit', () => {
        for (const t of tops) rmSync(t, { recursive: true, force: true });
      });
    }
    p = stageForSandbox(source, who).then((s) => {
      tops.add(dirname(s.path));
      return s;
    });
    made.set(key, p);
    p.catch(() => made.delete(key));
  }
  return p;
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
  const all = await Promise.allSettled(made.values());
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
