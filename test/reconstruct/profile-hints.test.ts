// The umask hint read from an upload's own debian (or native) tarball, which
// only orders the builder profiles: tarballs written here by GNU tar with
// chosen modes, decompressed in the sandbox as the verifier does.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preferUmask, umaskHint } from '../../src/reconstruct/profile-hints.js';
import { PROFILES, profileOrder } from '../../src/reconstruct/profiles.js';
import type { Rootfs } from '../../src/sandbox/launcher.js';
import { ensureRootfs } from '../../src/sandbox/rootfs.js';

let rootfs: Rootfs;
let scratch: string;

beforeAll(async () => {
  rootfs = await ensureRootfs('trixie');
  scratch = await mkdtemp(join(tmpdir(), 't2u-profile-hints-'));
  await chmod(scratch, 0o755);
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** NAME (a .tar.xz) holding debian/ with two files, packed with GNU tar's --mode for files and directories. */
async function tarball(name: string, modes: { dir: string; files: string; exec?: string }): Promise<string> {
  const src = await mkdtemp(join(scratch, 'src-'));
  await mkdir(join(src, 'debian'));
  await writeFile(join(src, 'debian', 'changelog'), 'x\n');
  await writeFile(join(src, 'debian', 'rules'), '#!/usr/bin/make -f\n');
  const out = join(scratch, name);
  const tar = (mode: string, ...paths: string[]): void => {
    execFileSync('tar', ['--append', '-f', out.replace(/\.xz$/, ''), '-C', src, '--no-recursion', `--mode=${mode}`, ...paths]);
  };
  tar(modes.dir, 'debian');
  tar(modes.files, 'debian/changelog');
  tar(modes.exec ?? modes.files, 'debian/rules');
  execFileSync('xz', ['-f', out.replace(/\.xz$/, '')]);
  return out;
}

const hintOf = async (name: string, origs: string[] = []): Promise<Awaited<ReturnType<typeof umaskHint>>> =>
  umaskHint({ files: [{ name, path: join(scratch, name) }], origs: new Set(origs), rootfs });

describe('umaskHint', () => {
  it('no group-writable member: umask 0022', async () => {
    await tarball('a_1-1.debian.tar.xz', { dir: '0755', files: '0644', exec: '0755' });
    expect(await hintOf('a_1-1.debian.tar.xz')).toEqual({ umask: '0022', evidence: 'a_1-1.debian.tar.xz: none of the 3 files and directories read is group-writable' });
  });

  it('every member group-writable: umask 0002', async () => {
    await tarball('b_1-1.debian.tar.xz', { dir: '0775', files: '0664', exec: '0775' });
    expect(await hintOf('b_1-1.debian.tar.xz')).toEqual({ umask: '0002', evidence: 'b_1-1.debian.tar.xz: all 3 files and directories read are group-writable' });
  });

  it('mixed modes: no hint', async () => {
    await tarball('c_1-1.debian.tar.xz', { dir: '0775', files: '0644' });
    expect(await hintOf('c_1-1.debian.tar.xz')).toBeUndefined();
  });

  it('an orig is not read (git archive writes its own modes), nor a file that is not a tarball', async () => {
    await tarball('d_1.orig.tar.xz', { dir: '0775', files: '0664' });
    expect(await hintOf('d_1.orig.tar.xz', ['d_1.orig.tar.xz'])).toBeUndefined();
    await writeFile(join(scratch, 'd_1-1.diff.gz'), 'not a tarball');
    expect(await hintOf('d_1-1.diff.gz')).toBeUndefined();
  });

  it('a tarball that does not decompress: no hint, no error', async () => {
    await writeFile(join(scratch, 'e_1-1.debian.tar.xz'), 'not xz');
    expect(await hintOf('e_1-1.debian.tar.xz')).toBeUndefined();
  });
});

describe('preferUmask', () => {
  it('puts the hinted umask first and keeps the date order within each group', () => {
    const byDate = profileOrder(new Date('2026-06-01T00:00:00Z'), PROFILES);
    expect(byDate.map((p) => p.name)).toEqual(['forky', 'forky-umask002', 'trixie', 'trixie-umask002', 'trixie-xz-single']);
    expect(preferUmask(byDate, { umask: '0002', evidence: '' }).map((p) => p.name)).toEqual(['forky-umask002', 'trixie-umask002', 'forky', 'trixie', 'trixie-xz-single']);
    expect(preferUmask(byDate, { umask: '0022', evidence: '' }).map((p) => p.name)).toEqual(['forky', 'trixie', 'trixie-xz-single', 'forky-umask002', 'trixie-umask002']);
    expect(preferUmask(byDate, undefined)).toEqual(byDate);
  });
});
