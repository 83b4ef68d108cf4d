// Makes tarballs for the compare tests with real GNU tar (and xz, gzip,
// bzip2, zstd) inside the sandbox, from a shell script run in a fresh work
// directory; the tests read the results from the host side.
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireCompleted, type Sandbox } from '../../src/sandbox/index.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const UPLOADS = join(REPO_ROOT, 'fixtures', 'uploads');

export interface Scratch {
  readonly dir: string;
  /** A host-only directory beside the work directory, for files the tests write. */
  readonly host: string;
  /** Runs `sh -ec script` with the work directory as /work (and cwd); returns stdout. */
  run(script: string, sandbox?: Sandbox): Promise<string>;
  path(name: string): string;
  dispose(): Promise<void>;
}

export async function scratch(sandbox: Sandbox): Promise<Scratch> {
  const parent = await mkdtemp(join(tmpdir(), 't2u-compare-test-'));
  await chmod(parent, 0o755);
  const dir = join(parent, 'work');
  await mkdir(dir);
  const host = join(parent, 'host');
  await mkdir(host);
  return {
    dir,
    host,
    async run(script, where = sandbox) {
      const r = requireCompleted(
        await where.run({ argv: ['sh', '-ec', script], workDir: dir, keep: ['.'], timeoutMs: 120_000 }),
        'tarball script',
      );
      if (r.exitCode !== 0) throw new Error(`script failed (${r.exitCode}): ${r.stderr.toString('utf8')}\n${script}`);
      return r.stdout.toString('utf8');
    },
    path: (name) => join(dir, name),
    dispose: () => rm(parent, { recursive: true, force: true }),
  };
}
