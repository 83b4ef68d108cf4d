// The checkout-mtime explanation on archives made by GNU tar (the host's, in
// the sandbox) with dpkg-source's options: checkout mtimes before the changelog date
// are explained; an mtime outside the checkout window, a content change or
// a file that is not a tarball is not.
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKOUT_CLOCK_SKEW_S, explainMtimeLeak } from '../../src/reconstruct/mtime-leak.js';
import { CHANGELOG, packerForTests } from '../tarball/dpkg-source-pack.js';

const p = packerForTests();
const { pack, sandbox } = p;

describe('explainMtimeLeak', () => {
  it('explains checkout mtimes before the changelog date, within the window of the tag', async () => {
    const upload = await pack('up', CHANGELOG - 21);
    const rebuilt = await pack('re', CHANGELOG + 86400 * 900);
    const r = await explainMtimeLeak({
      name: 'x_1.0-1.debian.tar.xz',
      uploadPath: upload.xz,
      rebuiltPath: rebuilt.xz,
      changelog: rebuilt.changelog,
      taggerTime: CHANGELOG,
      sandbox,
      timeoutMs: 60_000,
    });
    expect(r.explained).toBe(true);
    if (!r.explained) return;
    expect(r.reason.code).toBe('CHECKOUT_MTIME_LEAK');
    expect(r.reason.message).toContain('x_1.0-1.debian.tar.xz: 13 of 13 members');
    expect(r.reason.message).toContain('2024-04-01T00:02:39Z');
  });

  it('does not explain mtimes from before the window, content changes, or a file that is not a tarball', async () => {
    const early = await pack('early', CHANGELOG - CHECKOUT_CLOCK_SKEW_S - 60);
    const rebuilt = await pack('re2', CHANGELOG + 60);
    const base = {
      name: 'x_1.0-1.debian.tar.xz',
      rebuiltPath: rebuilt.xz,
      changelog: rebuilt.changelog,
      taggerTime: CHANGELOG,
      sandbox,
      timeoutMs: 60_000,
    };
    const r1 = await explainMtimeLeak({ ...base, uploadPath: early.xz });
    expect(r1).toMatchObject({ explained: false, why: expect.stringContaining('outside the checkout window') as unknown });
    const changed = await pack(
      'ch',
      CHANGELOG - 21,
      'printf more >> debian/control; touch -d @' + String(CHANGELOG - 21) + ' debian/control',
    );
    const r2 = await explainMtimeLeak({ ...base, uploadPath: changed.xz });
    expect(r2.explained).toBe(false);
    const r3 = await explainMtimeLeak({ ...base, name: 'x_1.0-1.dsc', uploadPath: changed.xz });
    expect(r3).toEqual({ explained: false, why: 'x_1.0-1.dsc is not a compressed tarball' });
    // Not xz at all: the decompressor fails in the sandbox.
    const junk = join(p.scratch, 'junk.tar.xz');
    await writeFile(junk, 'not xz');
    await chmod(junk, 0o644);
    const r4 = await explainMtimeLeak({ ...base, uploadPath: junk });
    expect(r4).toMatchObject({
      explained: false,
      why: expect.stringMatching(
        /^the upload x_1\.0-1\.debian\.tar\.xz does not decompress cleanly: .*xz failed .*File format not recognized/,
      ) as unknown,
    });
  });
});
