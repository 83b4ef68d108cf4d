// The service's buildinfo beside a local .dsc: read when it is there, a
// regular file under the cap; anything else is simply absent (it only orders
// the builder profiles).
import { execFileSync } from 'node:child_process';
import { mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildinfoBeside, buildinfoName } from '../../src/upload/buildinfo-beside.js';
import { scratchDir } from '../helpers/scratch-dir.js';

const work = scratchDir('t2u-buildinfo-beside-');
const dsc = { source: 'hello', version: '1:2.10-3' };

describe('buildinfoBeside', () => {
  it('is named as dgit names it: the version without its epoch', () => {
    expect(buildinfoName(dsc)).toBe('hello_2.10-3_source.buildinfo');
  });

  it('reads the regular file of that name', async () => {
    const dir = await mkdtemp(join(work.dir, 'a-'));
    await writeFile(join(dir, buildinfoName(dsc)), 'Format: 1.0\n');
    expect(new TextDecoder().decode(await buildinfoBeside(dir, dsc))).toBe('Format: 1.0\n');
  });

  it('is absent when missing, too large, a directory or a FIFO (never waited on)', async () => {
    const dir = await mkdtemp(join(work.dir, 'b-'));
    expect(await buildinfoBeside(dir, dsc)).toBeUndefined();
    await writeFile(join(dir, buildinfoName(dsc)), Buffer.alloc(300 * 1024, 0x41));
    expect(await buildinfoBeside(dir, dsc)).toBeUndefined();
    const fifoDir = await mkdtemp(join(work.dir, 'c-'));
    execFileSync('mkfifo', [join(fifoDir, buildinfoName(dsc))]);
    expect(await buildinfoBeside(fifoDir, dsc)).toBeUndefined();
    const dirDir = await mkdtemp(join(work.dir, 'd-'));
    await symlink('/', join(dirDir, buildinfoName(dsc)));
    expect(await buildinfoBeside(dirDir, dsc)).toBeUndefined();
  });
});

describe('an upload read from the local disk carries the buildinfo beside its .dsc', () => {
  it('obtainUpload (a .dsc path) and readLocalPackage', async () => {
    const { obtainUpload, readLocalPackage } = await import('../../src/upload/index.js');
    const { REPO_ROOT, uploadCase } = await import('../reconstruct/upload-fixtures.js');
    const u = uploadCase('gbp');
    const path = join(REPO_ROOT, u.dir, u.dsc);
    const expected = await buildinfoBeside(join(REPO_ROOT, u.dir), u);
    expect(expected?.length).toBeGreaterThan(0);
    const obtained = await obtainUpload({ kind: 'dsc-path', path }, { parentDir: work.dir });
    if (!obtained.ok) throw new Error(JSON.stringify(obtained.reasons));
    try {
      expect(obtained.upload.buildinfo).toEqual(expected);
    } finally {
      await obtained.upload.dispose();
    }
    const local = await readLocalPackage(path);
    expect(local.ok && local.pkg.buildinfo).toEqual(expected);
  });
});
