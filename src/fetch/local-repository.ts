// A local repository (a sponsor's own checkout), read in place: refs with
// isomorphic-git, objects through `git cat-file` in the sandbox with the
// repository bound read-only, so nothing in it (config, hooks) can act.
import fs from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { CatFileReader } from './cat-file-reader.js';
import type { ObjectReader } from './cat-file-reader.js';
import type { RefInfo, Repository } from './repository.js';
import { VerificationError } from '../report/verification-error.js';

export interface LocalLimits {
  timeoutMs: number;
  maxObjectBytes: number;
}

export class LocalRepository implements Repository {
  readonly kind = 'local';
  private reader: CatFileReader | undefined;
  private closed = false;

  private constructor(
    readonly location: string,
    /** The git directory holding refs (a worktree's own, or the repository's). */
    private readonly gitDir: string,
    /** The common directory holding objects and shared refs. */
    private readonly commonDir: string,
    /** Alternate object directories, which the sandbox must see too. */
    private readonly alternates: string[],
    private readonly limits: LocalLimits,
  ) {}

  static async open(path: string, limits: LocalLimits): Promise<LocalRepository> {
    const gitDir = await findGitDir(resolve(path));
    const commonDir = await readCommonDir(gitDir);
    const format = await readObjectFormat(commonDir);
    if (format !== 'sha1') {
      throw new VerificationError('UNSUPPORTED_OBJECT_FORMAT', `${path} uses object-format=${format}; only sha1 is supported`);
    }
    const alternates = await readAlternates(join(commonDir, 'objects'));
    return new LocalRepository(path, gitDir, commonDir, alternates, limits);
  }

  async resolveTag(name: string): Promise<RefInfo | undefined> {
    const ref = `refs/tags/${name}`;
    // Loaded here, not with the module: a remote repository's verification never needs it.
    const { default: git } = await import('isomorphic-git');
    for (const dir of new Set([this.gitDir, this.commonDir])) {
      try {
        const oid = await git.resolveRef({ fs, gitdir: dir, ref, depth: 1 });
        if (/^[0-9a-f]{40}$/.test(oid)) return { oid };
      } catch {
        // Not in this directory's refs.
      }
    }
    return undefined;
  }

  prepare(): void {
    this.objects();
  }

  async fetchObjects(): Promise<void> {
    // A local repository has its objects already; missing ones are reported when read.
  }

  async fetchHistory(): Promise<void> {
    // A local repository has its history already.
  }

  buildSource(): Promise<string> {
    return Promise.resolve(this.buildSourcePath());
  }

  buildSourcePath(): string {
    return resolve(this.location);
  }

  objects(options: { readonly timeoutMs?: number } = {}): ObjectReader {
    // Once the repository is closed, no reader is started again.
    if (this.reader && (!this.reader.ended || this.closed)) return this.reader;
    this.reader = new CatFileReader(
      {
        rootfs: { kind: 'host' },
        readOnly: [{ host: this.commonDir, inside: '/repo' }, ...this.alternates.map((host, i) => ({ host, inside: `/alternates/${i}` }))],
        // Alternates are read from the environment inside, since the file names host paths.
        env: {
          GIT_DIR: '/repo',
          ...(this.alternates.length
            ? { GIT_ALTERNATE_OBJECT_DIRECTORIES: this.alternates.map((_, i) => `/alternates/${i}`).join(':') }
            : {}),
        },
        timeoutMs: options.timeoutMs ?? this.limits.timeoutMs,
        limits: { maxOutputBytes: Number.MAX_SAFE_INTEGER },
      },
      this.limits.maxObjectBytes,
    );
    return this.reader;
  }

  async idle(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    await reader?.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.reader?.close();
  }
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

async function findGitDir(path: string): Promise<string> {
  if (!(await isDir(path))) throw new VerificationError('LOCAL_REPO_INVALID', `${path} is not a directory`);
  const dotGit = join(path, '.git');
  const st = await stat(dotGit).catch(() => undefined);
  if (st?.isDirectory()) return dotGit;
  if (st?.isFile()) {
    // A worktree or submodule: ".git" is a file "gitdir: <path>".
    const m = /^gitdir: (.+)$/m.exec(await readFile(dotGit, 'utf8'));
    if (!m) throw new VerificationError('LOCAL_REPO_INVALID', `${dotGit} is not a gitdir pointer`);
    const target = isAbsolute(m[1]!) ? m[1]! : resolve(path, m[1]!);
    return target;
  }
  // A bare repository.
  if ((await isDir(join(path, 'objects'))) && (await stat(join(path, 'HEAD')).catch(() => undefined))) return path;
  throw new VerificationError('LOCAL_REPO_INVALID', `${path} is not a git repository (no .git, not bare)`);
}

async function readCommonDir(gitDir: string): Promise<string> {
  const text = await readFile(join(gitDir, 'commondir'), 'utf8').catch(() => undefined);
  if (text === undefined) return gitDir;
  const p = text.trim();
  return isAbsolute(p) ? p : resolve(gitDir, p);
}

async function readObjectFormat(commonDir: string): Promise<string> {
  const config = await readFile(join(commonDir, 'config'), 'utf8').catch(() => '');
  for (const line of config.split('\n')) {
    const m = /^objectformat\s*=\s*(\S+)/i.exec(line.trim());
    if (m) return m[1]!.toLowerCase();
  }
  return 'sha1';
}

async function readAlternates(objectsDir: string, depth = 0): Promise<string[]> {
  const text = await readFile(join(objectsDir, 'info', 'alternates'), 'utf8').catch(() => '');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const p = line.trim();
    if (p === '' || p.startsWith('#')) continue;
    const abs = isAbsolute(p) ? p : resolve(objectsDir, p);
    out.push(abs);
    // git follows alternates of alternates up to a depth of 5.
    if (depth < 5) out.push(...(await readAlternates(abs, depth + 1)));
  }
  return out;
}
