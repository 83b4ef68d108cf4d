// The umask hint read from an upload's own debian (or native) tarball, which
// only orders the builder profiles: tarballs written here by GNU tar with
// chosen modes, decompressed in the sandbox as the verifier does.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDeb822Paragraph } from '../../src/deb822/parse.js';
import { builderHint, describeHints, dpkgDevHint, preferHinted, profileHasDgit, umaskHint } from '../../src/reconstruct/profile-hints.js';
import { PROFILES, profileByName, profileOrder } from '../../src/sandbox/builder-profiles.js';
import { readFileSync } from 'node:fs';
import { MANIFEST, REPO_ROOT, uploadCase } from './upload-fixtures.js';
import { hostSandbox as sandbox } from '../helpers/host-sandbox.js';
import { scratchDir } from '../helpers/scratch-dir.js';

const work = scratchDir('t2u-profile-hints-');

/** NAME (a .tar.xz) holding debian/ with two files, packed with GNU tar's --mode for files and directories. */
async function tarball(name: string, modes: { dir: string; files: string; exec?: string }): Promise<string> {
  const src = await mkdtemp(join(work.dir, 'src-'));
  await mkdir(join(src, 'debian'));
  await writeFile(join(src, 'debian', 'changelog'), 'x\n');
  await writeFile(join(src, 'debian', 'rules'), '#!/usr/bin/make -f\n');
  const out = join(work.dir, name);
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
  umaskHint({ files: [{ name, path: join(work.dir, name) }], origs: new Set(origs), sandbox });

describe('umaskHint', () => {
  it('no group-writable member: umask 0022', async () => {
    await tarball('a_1-1.debian.tar.xz', { dir: '0755', files: '0644', exec: '0755' });
    expect(await hintOf('a_1-1.debian.tar.xz')).toEqual({
      umask: '0022',
      evidence: 'a_1-1.debian.tar.xz: none of the 3 files and directories read is group-writable',
    });
  });

  it('every member group-writable: umask 0002', async () => {
    await tarball('b_1-1.debian.tar.xz', { dir: '0775', files: '0664', exec: '0775' });
    expect(await hintOf('b_1-1.debian.tar.xz')).toEqual({
      umask: '0002',
      evidence: 'b_1-1.debian.tar.xz: all 3 files and directories read are group-writable',
    });
  });

  it('mixed modes: no hint', async () => {
    await tarball('c_1-1.debian.tar.xz', { dir: '0775', files: '0644' });
    expect(await hintOf('c_1-1.debian.tar.xz')).toBeUndefined();
  });

  it('an orig is not read (git archive writes its own modes), nor a file that is not a tarball', async () => {
    await tarball('d_1.orig.tar.xz', { dir: '0775', files: '0664' });
    expect(await hintOf('d_1.orig.tar.xz', ['d_1.orig.tar.xz'])).toBeUndefined();
    await writeFile(join(work.dir, 'd_1-1.diff.gz'), 'not a tarball');
    expect(await hintOf('d_1-1.diff.gz')).toBeUndefined();
  });

  it('a tarball that does not decompress: no hint, no error', async () => {
    await writeFile(join(work.dir, 'e_1-1.debian.tar.xz'), 'not xz');
    expect(await hintOf('e_1-1.debian.tar.xz')).toBeUndefined();
  });
});

describe('dpkgDevHint', () => {
  const dsc = (fields: string): ReturnType<typeof parseDeb822Paragraph> =>
    parseDeb822Paragraph(`Format: 3.0 (quilt)\nSource: x\n${fields}`);
  it('reads dpkg-dev 1.22 from a trailing comma in Uploaders (sid: boca 1.0.7+git20260412.690d4ffe+dfsg-2)', () => {
    expect(dpkgDevHint(dsc('Uploaders: Xiyue Deng <manphiz@gmail.com>, Christopher Obbard <obbardc@debian.org>,\n'))).toEqual({
      dpkgDev: '1.22',
      evidence: 'Uploaders ends in a comma, which dpkg-dev 1.23 drops',
    });
  });
  it('reads the Package-List profile properties of each version', () => {
    expect(dpkgDevHint(dsc('Package-List:\n x deb libs optional arch=any profile=!nocheck\n'))?.dpkgDev).toBe('1.22');
    expect(dpkgDevHint(dsc('Package-List:\n x deb libs optional arch=any profile=!nocheck profile:v1=!nocheck\n'))?.dpkgDev).toBe('1.23');
  });
  it('says nothing when neither version is shown', () => {
    expect(dpkgDevHint(dsc('Uploaders: A <a@b.c>, B <b@c.d>\nPackage-List:\n x deb libs optional arch=any\n'))).toBeUndefined();
    expect(dpkgDevHint(dsc(''))).toBeUndefined();
  });
});

describe('preferHinted', () => {
  const byDate = profileOrder(new Date('2026-06-01T00:00:00Z'), PROFILES);
  const names = (ps: readonly { name: string }[]): string[] => ps.map((p) => p.name);
  it('puts the profiles that match more hints first and keeps the date order among equals', () => {
    expect(names(byDate)).toEqual(['forky', 'forky-umask002', 'trixie', 'trixie-umask002', 'trixie-xz-single']);
    expect(names(preferHinted(byDate, { umask: { umask: '0002', evidence: '' } }))).toEqual([
      'forky-umask002',
      'trixie-umask002',
      'forky',
      'trixie',
      'trixie-xz-single',
    ]);
    expect(names(preferHinted(byDate, { umask: { umask: '0022', evidence: '' } }))).toEqual([
      'forky',
      'trixie',
      'trixie-xz-single',
      'forky-umask002',
      'trixie-umask002',
    ]);
    // boca and docker-compose in sid: group-writable debian.tar members and a trailing comma in Uploaders.
    expect(names(preferHinted(byDate, { umask: { umask: '0002', evidence: '' }, dpkgDev: { dpkgDev: '1.22', evidence: '' } }))).toEqual([
      'trixie-umask002',
      'forky-umask002',
      'trixie',
      'trixie-xz-single',
      'forky',
    ]);
    expect(names(preferHinted(byDate, {}))).toEqual(names(byDate));
  });
  it('describes the hints for the report', () => {
    expect(describeHints({})).toBeUndefined();
    expect(describeHints({ umask: { umask: '0002', evidence: 'a' }, dpkgDev: { dpkgDev: '1.22', evidence: 'b' } })).toBe(
      'profiles of umask 0002 (a) and dpkg-dev 1.22 (b) first',
    );
  });
});

describe('builderHint', () => {
  // The buildinfo Debian's own tag2upload code wrote for the gbp fixture (clearsigned by the service key).
  const u = uploadCase('gbp');
  const bytes = new Uint8Array(readFileSync(join(REPO_ROOT, u.dir, `${u.source}_${u.version}_source.buildinfo`)));
  const dgit = MANIFEST.profiles.trixie!.packages.dgit;
  it("reads the builder's dgit from Installed-Build-Depends", () => {
    expect(builderHint(bytes, u)).toEqual({ dgit, evidence: `the upload's buildinfo lists dgit (= ${dgit})` });
  });
  it("says nothing for another source's or version's buildinfo, an unsigned body read the same way, or bytes that are no buildinfo", () => {
    expect(builderHint(bytes, { source: u.source, version: '9.9-9' })).toBeUndefined();
    expect(builderHint(bytes, { source: 'other', version: u.version })).toBeUndefined();
    const body = `Format: 1.0\nSource: a\nVersion: 1-1\nInstalled-Build-Depends:\n base-files (= 13.8),\n dgit (= 17.2),\n dpkg-dev (= 1.23.1)\n`;
    expect(builderHint(new TextEncoder().encode(body), { source: 'a', version: '1-1' })?.dgit).toBe('17.2');
    expect(
      builderHint(new TextEncoder().encode(body.replace('dgit (= 17.2)', 'dgit (>= 17.2)')), { source: 'a', version: '1-1' }),
    ).toBeUndefined();
    expect(builderHint(new TextEncoder().encode('not: deb822\n\x00\n'), { source: 'a', version: '1-1' })).toBeUndefined();
    expect(builderHint(new Uint8Array(300 * 1024).fill(0x41), { source: 'a', version: '1-1' })).toBeUndefined();
  });
  it("matches a profile whose rootfs's dgit version begins the listed one", () => {
    expect(profileHasDgit(profileByName('forky')!, '17.2')).toBe(true);
    expect(profileHasDgit(profileByName('forky')!, '17')).toBe(true);
    expect(profileHasDgit(profileByName('forky')!, '170.1')).toBe(false);
    expect(profileHasDgit(profileByName('trixie')!, '12.16')).toBe(true);
    expect(profileHasDgit(profileByName('trixie')!, '12.1')).toBe(false);
    expect(profileHasDgit(profileByName('trixie')!, '12.16~bpo13+1')).toBe(true);
  });
  it('puts the profiles of that dgit first, over the date and over one other hint', () => {
    const byDate = profileOrder(new Date('2026-06-01T00:00:00Z'), PROFILES);
    const names = (ps: readonly { name: string }[]): string[] => ps.map((p) => p.name);
    expect(names(preferHinted(byDate, { builder: { dgit: '12.16', evidence: '' } }))).toEqual([
      'trixie',
      'trixie-umask002',
      'trixie-xz-single',
      'forky',
      'forky-umask002',
    ]);
    expect(names(preferHinted(byDate, { builder: { dgit: '12.16', evidence: '' }, dpkgDev: { dpkgDev: '1.23', evidence: '' } }))[0]).toBe(
      'trixie',
    );
    expect(describeHints({ builder: { dgit: '17.2', evidence: 'c' } })).toBe('profiles of dgit 17.2 (c) first');
  });
});
