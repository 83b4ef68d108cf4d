// The second toolchain's memory does not grow with the package: on a native
// package of CONTENT_BYTES of incompressible content (the upload made by
// dpkg-source -b in the builder rootfs; gzip, by debian/source/options, as
// xz takes minutes on such content), a process running only the second
// toolchain stays under PEAK_BOUND resident, less than node's own footprint
// plus the content, so any whole-tarball buffer (made tar, compressed
// output, the upload's file read back, its decompressed tar) would break it.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecondToolchainResult } from '../../../src/reconstruct/second-toolchain/second-toolchain.js';
import { requireCompleted } from '../../../src/sandbox/index.js';
import { builderSandboxFor } from '../../helpers/builder-rootfs.js';

const MiB = 1024 ** 2;
/** The package's content: 48 files of 4 MiB (a blob is held whole while it is written). */
const FILE_BYTES = 4 * MiB;
const FILES = 48;
const CONTENT_BYTES = FILE_BYTES * FILES;
/**
 * The child's peak resident set may not exceed this: node with the modules
 * loaded through tsx takes 110-120 MiB before the toolchain starts, and V8
 * lets about 64 MiB of freed Buffers wait for the next collection (its
 * external-memory step); holding the tar alone would add CONTENT_BYTES.
 * (Measured: 180-185 MiB streaming; 879 MiB when the tarballs were buffers.)
 */
const PEAK_BOUND = 224 * MiB;

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./second-toolchain-memory-child.ts', import.meta.url));

let work: string;
let commit: string;

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'T',
  GIT_AUTHOR_EMAIL: 't@t.test',
  GIT_COMMITTER_NAME: 'T',
  GIT_COMMITTER_EMAIL: 't@t.test',
  GIT_AUTHOR_DATE: '1709251260 +0000',
  GIT_COMMITTER_DATE: '1709251260 +0000',
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 't2u-second-toolchain-memory-'));
  await chmod(work, 0o755);
  const repo = join(work, 'repo');
  await mkdir(join(repo, 'debian', 'source'), { recursive: true });
  await mkdir(join(repo, 'data'));
  await writeFile(
    join(repo, 'debian', 'changelog'),
    't2u-big (1.0) unstable; urgency=medium\n\n  * Release.\n\n -- T <t@t.test>  Fri, 01 Mar 2024 00:01:00 +0000\n',
  );
  await writeFile(
    join(repo, 'debian', 'control'),
    'Source: t2u-big\nMaintainer: T <t@t.test>\n\nPackage: t2u-big\nArchitecture: all\nDescription: big\n big\n',
  );
  await writeFile(join(repo, 'debian', 'source', 'format'), '3.0 (native)\n');
  await writeFile(join(repo, 'debian', 'source', 'options'), 'compression = "gzip"\n');
  for (let i = 0; i < FILES; i++) await writeFile(join(repo, 'data', `part-${String(i).padStart(2, '0')}`), randomBytes(FILE_BYTES));
  const git = (...args: string[]): string =>
    execFileSync('git', ['-C', repo, '-c', 'core.compression=0', ...args], { env: gitEnv })
      .toString()
      .trim();
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'big');
  commit = git('rev-parse', 'HEAD');
  execFileSync('chmod', ['-R', 'a+rX', work]);
  // The upload: dgit's builder-mode playtree is `work`, packed by dpkg-source with -I.git.
  const out = join(work, 'upload');
  await mkdir(out);
  requireCompleted(
    await (
      await builderSandboxFor()
    ).run({
      argv: ['sh', '-ec', 'umask 022; git clone -q /repo work; dpkg-source -I.git -b work >/dev/null; rm -rf work'],
      workDir: out,
      keep: ['.'],
      readOnly: [{ host: join(repo, '.git'), inside: '/repo' }],
      timeoutMs: 600_000,
      limits: { workBytes: 4 * CONTENT_BYTES },
    }),
    'dpkg-source -b',
  );
}, 900_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the second toolchain streams', () => {
  it(`makes and compares a ${CONTENT_BYTES / MiB} MiB native package within ${PEAK_BOUND / MiB} MiB resident`, async () => {
    const arg = JSON.stringify({ repo: join(work, 'repo', '.git'), commit, uploadDir: join(work, 'upload'), dsc: 't2u-big_1.0.dsc' });
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, arg], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      text += c;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    const { result, maxRss, maxRssBefore } = JSON.parse(text) as { result: SecondToolchainResult; maxRss: number; maxRssBefore: number };
    process.stderr.write(
      `second toolchain on ${CONTENT_BYTES / MiB} MiB: peak RSS ${(maxRss / MiB).toFixed(0)} MiB (${(maxRssBefore / MiB).toFixed(0)} MiB before it started)\n`,
    );
    expect(result.supported).toBe(true);
    if (!result.supported) return;
    // The tarball dpkg-source made is made again byte for byte (the .dsc body lacks dgit's fields, so it differs).
    expect(result.files).toEqual([{ name: 't2u-big_1.0.tar.gz', status: 'identical' }]);
    expect(maxRss).toBeLessThan(PEAK_BOUND);
  }, 900_000);
});
