// A private, temporary bare repository that receives fetched packs. Each pack
// is streamed into `git index-pack --stdin --strict` running in the sandbox:
// git checks every object (fsck) and hashes it with sha1dc, so a SHA-1
// collision attack anywhere in the pack is detected while indexing.
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { CatFileReader } from './cat-file-reader.js';
import { spawnSandboxed, type SandboxProcess, type SandboxResult } from '../sandbox/launcher.js';
import { prepareWorkDir, sandboxIdentity } from '../sandbox/identity.js';
import { VerificationError } from '../report/verification-error.js';

export interface StoreLimits {
  timeoutMs: number;
  maxObjectBytes: number;
  memoryBytes?: number;
}

/** A running `git index-pack --stdin`: the pack goes into `sink`; `done()` gives its verdict. */
export interface Indexer {
  readonly sink: Writable;
  done(): Promise<void>;
  abort(): void;
}

export class ObjectStore {
  private constructor(
    readonly gitDir: string,
    private readonly limits: StoreLimits,
  ) {}

  static async create(limits: StoreLimits, parent = tmpdir()): Promise<ObjectStore> {
    const gitDir = await mkdtemp(join(parent, 't2u-objects-'));
    await mkdir(join(gitDir, 'objects', 'pack'), { recursive: true });
    await mkdir(join(gitDir, 'objects', 'info'), { recursive: true });
    await mkdir(join(gitDir, 'refs'), { recursive: true });
    await writeFile(join(gitDir, 'HEAD'), 'ref: refs/heads/none\n');
    await writeFile(join(gitDir, 'config'), '[core]\n\trepositoryformatversion = 0\n\tbare = true\n');
    // Given to the sandbox uid at once, as index-pack's launch would: a
    // reader started before the first index-pack must bind the store itself,
    // whose packs it then sees arrive, not a copy staged for a uid that could
    // not reach it yet (src/sandbox/staging.ts).
    await prepareWorkDir(gitDir, sandboxIdentity());
    return new ObjectStore(gitDir, limits);
  }

  /** Records shallow boundaries: index-pack --strict must not demand the parents of shallow commits. */
  async addShallow(oids: readonly string[]): Promise<void> {
    const file = join(this.gitDir, 'shallow');
    const have = new Set((await readFile(file, 'latin1').catch(() => '')).split('\n').filter(Boolean));
    for (const o of oids) have.add(o);
    await writeFile(
      file,
      [...have]
        .sort()
        .map((o) => `${o}\n`)
        .join(''),
    );
  }

  /**
   * Writes refs/tags/<name> for each judged tag, so that a sandboxed git can
   * fetch them by name. Names were checked as git ref names before they were
   * fetched; object ids are full hex.
   */
  async writeTagRefs(refs: ReadonlyMap<string, string>): Promise<void> {
    for (const [name, oid] of refs) {
      if (!/^[0-9a-f]{40}$/.test(oid) || name.split('/').some((s) => s === '' || s === '.' || s === '..')) {
        throw new VerificationError('PACK_INVALID', `refusing to write ref refs/tags/${name} -> ${oid}`);
      }
      const path = join(this.gitDir, 'refs', 'tags', ...name.split('/'));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, `${oid}\n`);
    }
  }

  /** Replaces the shallow boundaries (after a fetch that deepened them). */
  async setShallow(oids: readonly string[]): Promise<void> {
    const file = join(this.gitDir, 'shallow');
    if (oids.length === 0) await rm(file, { force: true });
    else
      await writeFile(
        file,
        [...new Set(oids)]
          .sort()
          .map((o) => `${o}\n`)
          .join(''),
      );
  }

  async shallow(): Promise<string[]> {
    return (await readFile(join(this.gitDir, 'shallow'), 'latin1').catch(() => '')).split('\n').filter(Boolean);
  }

  /**
   * Starts index-pack and returns its stdin; `done()` resolves when the pack
   * is indexed, or rejects with SHA1_COLLISION / PACK_INVALID / SANDBOX_*.
   */
  startIndexPack(): Indexer {
    // zeroPaddedFilemode is tolerated: real Debian histories carry such trees (docs/architecture.md §3).
    // --fix-thin: a pack fetched with `have` lines may hold deltas against
    // objects the store already has (checked when they were indexed); their
    // bases are appended, so each pack stands alone as git's own do.
    const proc: SandboxProcess = spawnSandboxed({
      argv: ['git', 'index-pack', '--stdin', '--fix-thin', '--strict=zeroPaddedFilemode=ignore'],
      rootfs: { kind: 'host' },
      workDir: this.gitDir,
      // The store persists across runs: bound as it is. What index-pack
      // writes is the pack and its index, bounded by the pack size cap.
      bindWorkDir: true,
      env: { GIT_DIR: '/work' },
      timeoutMs: this.limits.timeoutMs,
      limits: { maxOutputBytes: 1 << 20, ...(this.limits.memoryBytes ? { memoryBytes: this.limits.memoryBytes } : {}) },
    });
    // A write after index-pack died surfaces through `done()`, not as an unhandled error.
    proc.stdin.on('error', () => undefined);
    return {
      sink: proc.stdin,
      done: async () => checkIndexPack(await proc.result),
      abort: () => void proc.kill(),
    };
  }

  /** A git cat-file reader of the store, living at most `timeoutMs` (default the store's limit). */
  reader(timeoutMs = this.limits.timeoutMs): CatFileReader {
    return new CatFileReader(
      {
        rootfs: { kind: 'host' },
        readOnly: [{ host: this.gitDir, inside: '/repo' }],
        env: { GIT_DIR: '/repo' },
        timeoutMs,
        limits: { maxOutputBytes: Number.MAX_SAFE_INTEGER },
      },
      this.limits.maxObjectBytes,
    );
  }

  async dispose(): Promise<void> {
    await rm(this.gitDir, { recursive: true, force: true });
  }
}

export function checkIndexPack(r: SandboxResult): void {
  if (r.timedOut) throw new VerificationError('SANDBOX_TIMEOUT', 'git index-pack exceeded the time limit');
  if (r.exitCode === 0) return;
  const err = r.stderr.toString('utf8').trim();
  // git's two collision messages: sha1dc detecting an attack while hashing
  // ("SHA-1 appears to be part of a collision attack: <hash>", sha1dc_git.c),
  // and index-pack finding an object whose id exists with other content
  // ("SHA1 COLLISION FOUND WITH <oid> !", builtin/index-pack.c).
  const collision = /(?:collision attack: |SHA1 COLLISION FOUND WITH )([0-9a-f]{40})/.exec(err);
  if (collision)
    throw new VerificationError('SHA1_COLLISION', `git detected a SHA-1 collision on object ${collision[1]}: ${err.split('\n').at(-1)}`);
  throw new VerificationError(
    'PACK_INVALID',
    `git index-pack rejected the pack: ${err.split('\n').slice(-3).join(' / ') || `exit ${r.exitCode ?? r.signal}`}`,
  );
}
