// Files that survive a crash whole or not at all: written to a temporary
// name, fsynced, renamed over the target, and the directory fsynced, so that
// after `kill -9` or power loss a reader finds either the old bytes or the new
// ones, and a rename that returned is on disk.
import { randomBytes } from 'node:crypto';
import { open, mkdir, rename, unlink, readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
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
    const dir = await this.parents(path);
    const target = join(this.root, path);
    const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
    await fsyncDir(dir);
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
}
