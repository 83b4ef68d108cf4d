// The comparison on the committed uploads themselves: an upload against
// itself is identical; against a tampered copy every differing file and field
// is named with both values; the signature check by the service keyring; and
// which origs are taken as the archive's.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDscSignature } from '../../src/authenticate/openpgp/verify-dsc-signature.js';
import { compareBuild, digestFile } from '../../src/compare/rebuilt-package.js';
import { origPlan } from '../../src/reconstruct/reproduce.js';
import { readDsc } from '../../src/deb822/dsc.js';
import { REPO_ROOT, SERVICE_KEYRING, dscOf, packageOf, uploadCase } from '../reconstruct/upload-fixtures.js';

async function bodyOf(name: string): Promise<Uint8Array> {
  const read = readDsc(new Uint8Array(await readFile(dscOf(uploadCase(name)))));
  return read.clearsigned!.body;
}
const dirOf = (name: string): string => join(REPO_ROOT, uploadCase(name).dir);
const up = (name: string) => packageOf(dscOf(uploadCase(name)));

describe('compareBuild', () => {
  it('an upload against itself: identical', async () => {
    const body = await bodyOf('gbp');
    const c = await compareBuild({
      upload: await up('gbp'),
      rebuiltDsc: body,
      rebuiltDir: dirOf('gbp'),
      given: new Set(),
      dgitViewBuilderCommit: false,
    });
    expect(c.reasons).toEqual([]);
    expect(c.dscIdentical).toBe(true);
    expect(c.files.map((f) => [f.name, f.match])).toEqual([
      ['t2u-gbp_1.0-1.debian.tar.xz', true],
      ['t2u-gbp_1.0.orig.tar.xz', true],
    ]);
  });

  it('names a differing field with both values', async () => {
    const c = await compareBuild({
      upload: await up('tamper-dsc-build-depends'),
      rebuiltDsc: await bodyOf('gbp'),
      rebuiltDir: dirOf('gbp'),
      given: new Set(),
      dgitViewBuilderCommit: false,
    });
    expect(c.fields).toEqual([
      { field: 'Build-Depends', expected: 'debhelper-compat (= 13)', got: 'debhelper-compat (= 13), t2u-evil-build-helper' },
    ]);
    expect(c.reasons.map((r) => r.code)).toEqual(['DSC_FIELD_MISMATCH']);
    expect(c.dscIdentical).toBe(false);
  });

  it('names a differing file with both sizes and digests', async () => {
    const c = await compareBuild({
      upload: await up('tamper-orig-byte'),
      rebuiltDsc: await bodyOf('gbp'),
      rebuiltDir: dirOf('gbp'),
      given: new Set(),
      dgitViewBuilderCommit: false,
    });
    const orig = c.files.find((f) => f.name === 't2u-gbp_1.0.orig.tar.xz')!;
    expect(orig.match).toBe(false);
    expect(orig.expected?.sha256).not.toBe(orig.got?.sha256);
    expect(c.reasons.filter((r) => r.code === 'RECONSTRUCTION_MISMATCH').map((r) => r.message.split(':')[0])).toEqual([
      't2u-gbp_1.0.orig.tar.xz',
    ]);
  });

  it('does not follow a symlink the sandbox left in its products', async () => {
    const body = await bodyOf('gbp');
    const dir = await mkdtemp(join(tmpdir(), 't2u-compare-'));
    try {
      await copyFile(join(dirOf('gbp'), 't2u-gbp_1.0.orig.tar.xz'), join(dir, 't2u-gbp_1.0.orig.tar.xz'));
      await symlink(join(dirOf('gbp'), 't2u-gbp_1.0-1.debian.tar.xz'), join(dir, 't2u-gbp_1.0-1.debian.tar.xz'));
      const c = await compareBuild({
        upload: await up('gbp'),
        rebuiltDsc: body,
        rebuiltDir: dir,
        given: new Set(),
        dgitViewBuilderCommit: false,
      });
      expect(c.files.map((f) => [f.name, f.match, f.expected !== undefined])).toEqual([
        ['t2u-gbp_1.0-1.debian.tar.xz', false, false],
        ['t2u-gbp_1.0.orig.tar.xz', true, true],
      ]);
      expect(c.reasons.map((r) => r.code)).toEqual(['RECONSTRUCTION_MISMATCH']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a Dgit commit id alone is explained only when dgit made its own commit', async () => {
    const body = await bodyOf('linear');
    const other = Buffer.from(
      Buffer.from(body)
        .toString('latin1')
        .replace(/\nDgit: [0-9a-f]{40} /, `\nDgit: ${'0'.repeat(40)} `),
      'latin1',
    );
    const base = { upload: await up('linear'), rebuiltDsc: other, rebuiltDir: dirOf('linear'), given: new Set<string>() };
    const explained = await compareBuild({ ...base, dgitViewBuilderCommit: true });
    expect(explained.reasons).toEqual([]);
    expect(explained.explained.map((r) => r.code)).toEqual(['DGIT_VIEW_NOT_REPRODUCIBLE']);
    const unexplained = await compareBuild({ ...base, dgitViewBuilderCommit: false });
    // Its own code, so that verify can explain it by code, not by the message's text.
    expect(unexplained.reasons.map((r) => r.code)).toEqual(['DSC_DGIT_FIELD_MISMATCH']);
    expect(unexplained.fields.map((f) => f.field)).toEqual(['Dgit']);
  });
});

describe('checkDscSignature', () => {
  it('accepts the service signature and refuses a foreign one', async () => {
    const good = await checkDscSignature(new Uint8Array(await readFile(dscOf(uploadCase('gbp')))), SERVICE_KEYRING);
    expect(good.ok).toBe(true);
    const foreign = await checkDscSignature(new Uint8Array(await readFile(dscOf(uploadCase('foreign-signed')))), SERVICE_KEYRING);
    expect(foreign.ok).toBe(false);
    expect(foreign.reasons.map((r) => r.code)).toEqual(['KEY_UNKNOWN']);
  });
});

describe('origPlan', () => {
  const dscOfCase = async (name: string) => readDsc(new Uint8Array(await readFile(dscOf(uploadCase(name))))).dsc;
  it('rebuilds the orig git deborig makes, takes any other from the upload', async () => {
    expect(origPlan(await dscOfCase('gbp'), false)).toEqual({ given: [], deborigName: 't2u-gbp_1.0.orig.tar.xz' });
    expect(origPlan(await dscOfCase('gbp'), true)).toEqual({ given: ['t2u-gbp_1.0.orig.tar.xz'], deborigName: 't2u-gbp_1.0.orig.tar.xz' });
    expect(origPlan(await dscOfCase('existing-orig'), false)).toEqual({
      given: ['t2u-existing_1.0.orig.tar.gz'],
      deborigName: 't2u-existing_1.0.orig.tar.xz',
    });
    expect(origPlan(await dscOfCase('native'), false)).toEqual({ given: [] });
  });
});

describe('digestFile', () => {
  it('hashes a file larger than its read buffer as sha256sum does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 't2u-digest-'));
    try {
      const data = randomBytes(3 * (1 << 20) + 12345);
      await writeFile(join(dir, 'f'), data);
      const sum = execFileSync('sha256sum', [join(dir, 'f')], { encoding: 'utf8' }).split(' ')[0];
      expect(await digestFile(join(dir, 'f'))).toEqual({ size: data.length, sha256: sum });
      expect(sum).toBe(createHash('sha256').update(data).digest('hex'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a symlink, a directory and a FIFO (without waiting on it)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 't2u-digest-'));
    try {
      await writeFile(join(dir, 'f'), 'x');
      await symlink(join(dir, 'f'), join(dir, 'link'));
      execFileSync('mkfifo', [join(dir, 'fifo')]);
      await expect(digestFile(join(dir, 'link'))).rejects.toThrow();
      await expect(digestFile(dir)).rejects.toThrow(/not a regular file/);
      await expect(digestFile(join(dir, 'fifo'))).rejects.toThrow(/not a regular file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
