// The TypeScript tar writers against the real tools in the trixie builder
// rootfs: a small tree with the awkward cases (names of 100 bytes and more,
// long symlink targets, executables, empty files, a gitlink, names whose
// order differs between git and tar, a .git directory and .gitignore files)
// is committed with git, checked out by git in the sandbox under each umask
// and archived by GNU tar with dpkg-source's options; and archived by
// `git archive` as git deborig runs it. The bytes must be equal.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatFileReader } from '../../../src/fetch/cat-file-reader.js';
import { deborigTar } from '../../../src/reconstruct/second-toolchain/deborig.js';
import { debianTar, nativeTar } from '../../../src/reconstruct/second-toolchain/dpkg-source-tar.js';
import { readCommitInfo, readTree } from '../../../src/reconstruct/second-toolchain/git-tree.js';
import { gnuTar } from '../../../src/reconstruct/second-toolchain/tar-writer.js';
import { requireCompleted, type Sandbox } from '../../../src/sandbox/index.js';
import { TarParser } from '../../../src/tarball/tar-reader.js';
import { builderSandboxFor } from '../../helpers/builder-rootfs.js';

const SDE = 1709251260;
let sandbox: Sandbox;
let work: string;
let commit: string;

const git = (...args: string[]): string =>
  execFileSync('git', ['-C', join(work, 'repo'), ...args], {
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'T',
      GIT_AUTHOR_EMAIL: 't@t.test',
      GIT_COMMITTER_NAME: 'T',
      GIT_COMMITTER_EMAIL: 't@t.test',
      GIT_AUTHOR_DATE: '1700000000 +0000',
      GIT_COMMITTER_DATE: '1700000100 +0000',
    },
  })
    .toString()
    .trim();

async function put(path: string, content: string, mode = 0o644): Promise<void> {
  const full = join(work, 'repo', path);
  await mkdir(join(full, '..'), { recursive: true });
  await writeFile(full, content);
  await chmod(full, mode);
}

beforeAll(async () => {
  sandbox = await builderSandboxFor();
  work = await mkdtemp(join(tmpdir(), 't2u-tar-writer-'));
  await chmod(work, 0o755);
  await mkdir(join(work, 'repo'));
  git('init', '-q');
  const long = 'd'.repeat(60);
  await put('debian/changelog', 'x\n');
  await put('debian/rules', '#!/usr/bin/make -f\n', 0o755);
  await put('debian/.gitignore', '/files\n');
  await put('debian/empty', '');
  await put(`debian/${'n'.repeat(93)}`, 'name of exactly 100 bytes\n');
  await put(`debian/${'l'.repeat(94)}`, 'name of 101 bytes\n');
  await put(`debian/${long}/${long}/${long}/file.txt`, 'deep\n');
  await put(`debian/${'p'.repeat(150)}/${'q'.repeat(99)}`, 'a path git splits into prefix and name\n');
  await put(`debian/${'r'.repeat(160)}`, 'a path git puts in a pax header\n');
  await put('debian/a/b', 'a directory named a\n');
  await put('debian/a.txt', 'sorted after a/ by tar, before it by git\n');
  await put('debian/B', 'upper case first\n');
  await put('debian/données', 'UTF-8 name\n');
  await put('debian/big', 'x'.repeat(70_000));
  await symlink('changelog', join(work, 'repo', 'debian', 'link'));
  await symlink(`../${'t'.repeat(120)}`, join(work, 'repo', 'debian', 'longlink'));
  await put('src/main.c', 'int main(void) { return 0; }\n');
  await put('.gitignore', '*.o\n');
  git('add', '-A');
  // A gitlink (submodule entry): a checkout makes it an empty directory, git archive a directory entry.
  git('update-index', '--add', '--cacheinfo', `160000,${'1'.repeat(40)},debian/sub`);
  git('commit', '-q', '-m', 'tree');
  commit = git('rev-parse', 'HEAD');
  execFileSync('chmod', ['-R', 'a+rX', work]);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function sandboxed(script: string): Promise<Buffer> {
  const out = await mkdtemp(join(work, 'run-'));
  const r = requireCompleted(
    await sandbox.run({
      argv: ['sh', '-ec', script],
      workDir: out,
      keep: ['.'],
      readOnly: [{ host: join(work, 'repo'), inside: '/repo' }],
      env: { GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@t.test' },
      timeoutMs: 60_000,
    }),
    'tar',
  );
  expect(r.stderr.toString(), r.stderr.toString()).toBe('');
  expect(r.exitCode).toBe(0);
  return r.stdout;
}

/** dpkg-source's tar command line (Dpkg::Source::Archive::create) with dgit's -I.git. */
const TAR = `tar -cf - --format=gnu --sort=name --mtime=@${SDE} --clamp-mtime --null --numeric-owner --owner=0 --group=0 --exclude=.git -T -`;

async function bytes(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

/** The tar our writer streams, collected. */
async function ours(f: (objects: CatFileReader) => Promise<AsyncIterable<Buffer>>): Promise<Buffer> {
  const objects = new CatFileReader(
    {
      rootfs: { kind: 'host' },
      readOnly: [{ host: join(work, 'repo', '.git'), inside: '/repo' }],
      env: { GIT_DIR: '/repo' },
      timeoutMs: 60_000,
    },
    1024 ** 3,
  );
  try {
    return await bytes(await f(objects));
  } finally {
    await objects.close();
  }
}

describe('GNU tar as dpkg-source runs it', () => {
  for (const umask of ['0022', '0002'] as const) {
    it(`debian.tar of a checkout made with umask ${umask}`, async () => {
      const real = await sandboxed(`umask ${umask}; git clone -q /repo work; cd work; printf 'debian\\0' | ${TAR}`);
      const made = await ours(async (objects) =>
        debianTar({ objects, root: await readTree(objects, (await readCommitInfo(objects, commit)).tree), umask, sourceDateEpoch: SDE }),
      );
      expect(c1(made, real)).toBe(true);
    });

    it(`native tarball (top directory work/) with umask ${umask}`, async () => {
      const real = await sandboxed(`umask ${umask}; git clone -q /repo work; printf 'work\\0' | ${TAR}`);
      const made = await ours(async (objects) =>
        nativeTar({ objects, root: await readTree(objects, (await readCommitInfo(objects, commit)).tree), umask, sourceDateEpoch: SDE }),
      );
      expect(c1(made, real)).toBe(true);
    });
  }

  it('a member that differs is named (the check can fail)', async () => {
    const real = await sandboxed(`umask 0022; git clone -q /repo work; cd work; chmod 0600 debian/changelog; printf 'debian\\0' | ${TAR}`);
    const made = await ours(async (objects) =>
      debianTar({
        objects,
        root: await readTree(objects, (await readCommitInfo(objects, commit)).tree),
        umask: '0022',
        sourceDateEpoch: SDE,
      }),
    );
    expect(made.equals(real)).toBe(false);
    expect(memberAt(real, firstDifference(made, real))).toBe('debian/changelog');
  });

  it('a time beyond the octal field is written in base-256, as GNU tar does', async () => {
    const real = await sandboxed('umask 0022; mkdir d; tar -cf - --format=gnu --mtime=@8589934592 --numeric-owner --owner=0 --group=0 d');
    expect((await bytes(gnuTar([{ name: Buffer.from('d/'), type: 'dir', mode: 0o755, mtime: 8 ** 11 }]))).equals(real)).toBe(true);
  });
});

describe('git archive as git deborig runs it', () => {
  it('git archive --prefix=pkg-1.0/ of the commit', async () => {
    const real = await sandboxed(`git --git-dir=/repo/.git archive --format=tar --prefix=pkg-1.0/ ${commit}`);
    const made = await ours(async (objects) => {
      const c = await readCommitInfo(objects, commit);
      return deborigTar({ objects, commit, committerTime: c.committerTime, root: await readTree(objects, c.tree), prefix: 'pkg-1.0' });
    });
    expect(c1(made, real)).toBe(true);
  });
});

function firstDifference(a: Buffer, b: Buffer): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i === a.length && i === b.length ? -1 : i;
}

/** The member whose headers or data hold byte `at`: the last one the tar reader read that starts at or before it. */
function memberAt(tar: Buffer, at: number): string | undefined {
  let name: string | undefined;
  try {
    for (const e of new TarParser({ maxTextBytes: 0 }).write(tar)) if (e.offset <= at) name = e.name;
  } catch {
    // A tar that cannot be read to its end: the members before names nothing more.
  }
  return name;
}

const c1 = (a: Buffer, b: Buffer): boolean => {
  const i = firstDifference(a, b);
  if (i !== -1) process.stderr.write(`first difference at ${i}: ${memberAt(b, i) ?? '?'}\n`);
  return i === -1;
};
