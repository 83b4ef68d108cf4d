// Files that survive a crash whole or not at all: written to a temporary
// name, fsynced, renamed over the target, and the directory fsynced, so that
// after `kill -9` or power loss a reader finds either the old bytes or the new
// ones, and a rename that returned is on disk.
import { randomBytes } from 'node:crypto';
import { open, mkdir, rename, unlink, readFile, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Creates `path` exclusively (EEXIST when it is there) with `mode`, writes `data` and fsyncs it. */
export async function writeNewFile(path: string, data: Buffer | string, mode: number): Promise<void> {
  const fh = await open(path, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export interface Staged {
  readonly dir: string;
  readonly tmp: string;
  readonly target: string;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

export class DurableFiles {
  readonly #made = new Set<string>();

  constructor(readonly root: string) {}

  /** Creates the parent directories of `path` (under root), fsyncing each new one's parent. */
  private async parents(path: string): Promise<string> {
    const dir = dirname(join(this.root, path));
    if (this.#made.has(dir)) return dir;
    const missing: string[] = [];
    for (let d = dir; d.length >= this.root.length; d = dirname(d)) {
      try {
        await readdir(d);
        break;
      } catch {
        missing.unshift(d);
      }
    }
    await mkdir(dir, { recursive: true, mode: 0o755 });
    for (const d of missing) await fsyncDir(dirname(d));
    this.#made.add(dir);
    return dir;
  }

  async write(path: string, data: Buffer | string): Promise<void> {
    await this.writeAll([{ path, data }]);
  }

  /**
   * Writes several files durably: every temporary file written and fsynced
   * at once, then all renamed, then each directory fsynced once.
   */
  async writeAll(files: readonly { readonly path: string; readonly data: Buffer | string }[]): Promise<void> {
    const staged = await Promise.all(files.map((f) => this.stage(f.path, f.data)));
    await Promise.all(staged.map((s) => rename(s.tmp, s.target)));
    await Promise.all([...new Set(staged.map((s) => s.dir))].map(fsyncDir));
  }

  /**
   * Writes and fsyncs `data` under a temporary name beside `path`; commit()
   * renames it over `path` and fsyncs the directory. Until then readers see
   * the old file, so the expensive part can run ahead of the moment it may
   * be published.
   */
  async stage(path: string, data: Buffer | string): Promise<Staged> {
    const dir = await this.parents(path);
    const target = join(this.root, path);
    const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    await writeNewFile(tmp, data, 0o644);
    return {
      dir,
      tmp,
      target,
      commit: async () => {
        await rename(tmp, target);
        await fsyncDir(dir);
      },
      discard: () => unlink(tmp).catch(() => undefined),
    };
  }

  async read(path: string): Promise<Buffer | undefined> {
    try {
      return await readFile(join(this.root, path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw e;
    }
  }

  async list(dir: string): Promise<string[]> {
    try {
      return await readdir(join(this.root, dir));
    } catch {
      return [];
    }
  }

  async remove(path: string): Promise<void> {
    await unlink(join(this.root, path)).catch(() => undefined);
  }

  /** Removes a directory and what it holds; nothing when it is not there. */
  async removeTree(dir: string): Promise<void> {
    await rm(join(this.root, dir), { recursive: true, force: true });
  }
}
