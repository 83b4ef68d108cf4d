// The mtime-only comparison on archives made by GNU tar (the host's, in the sandbox)
// with dpkg-source's options: the same tree packed at two checkout times
// differs only in mtimes; a changed byte of content, a changed mode or a
// broken header is more; the streaming form says what the whole-buffer one
// says, whatever the chunks.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { compareTarsIgnoringMtime, compareTarStreamsIgnoringMtime } from '../../src/tarball/tar-mtime-compare.js';
import { CHANGELOG, LONG, packerForTests } from './dpkg-source-pack.js';
import { chunked } from '../helpers/chunked.js';

const { pack } = packerForTests();

describe('compareTarsIgnoringMtime', () => {
  it('the same tree checked out before and after the changelog date differs only in mtimes', async () => {
    const before = await pack('before', CHANGELOG - 21);
    const after = await pack('after', CHANGELOG + 3600);
    const c = compareTarsIgnoringMtime(await readFile(before.tar), await readFile(after.tar));
    expect(c.ok).toBe(true);
    if (!c.ok) return;
    // debian, its changelog, control, link, source/, source/format, the long directories and file.
    expect(c.members).toBe(6 + 7);
    expect(c.mtimes).toHaveLength(c.members);
    expect(c.mtimes.map((m) => m.name)).toContain(LONG);
    expect(new Set(c.mtimes.map((m) => `${m.expected} ${m.got}`))).toEqual(new Set([`${CHANGELOG - 21} ${CHANGELOG}`]));
    // Identical archives: nothing differs.
    const same = compareTarsIgnoringMtime(await readFile(after.tar), await readFile(after.tar));
    expect(same).toEqual({ ok: true, members: 13, mtimes: [] });
  });

  it('one changed byte of content is not an mtime difference', async () => {
    const a = await pack('a', CHANGELOG - 21);
    const b = await pack('b', CHANGELOG + 60, `printf 'long\\n' | tr l j > "${LONG}"; touch -d @${CHANGELOG + 60} "${LONG}"`);
    const c = compareTarsIgnoringMtime(await readFile(a.tar), await readFile(b.tar));
    expect(c).toEqual({ ok: false, why: `the content of ${LONG} differs` });
  });

  it('a changed mode is a header difference', async () => {
    const a = await pack('m1', CHANGELOG - 21);
    const b = await pack('m2', CHANGELOG - 21, 'chmod 0600 debian/control');
    const c = compareTarsIgnoringMtime(await readFile(a.tar), await readFile(b.tar));
    expect(c).toEqual({ ok: false, why: 'the header of debian/control differs in more than its mtime' });
  });

  it('a header whose checksum does not add up is not a tar header', async () => {
    const a = await readFile((await pack('k', CHANGELOG - 21)).tar);
    const bad = Buffer.from(a);
    bad[512 + 136] = bad[512 + 136] === 0x31 ? 0x32 : 0x31; // the second header's mtime, checksum left as it was
    expect(compareTarsIgnoringMtime(a, bad)).toEqual({ ok: false, why: 'the upload archive has no valid tar header at byte 512' });
    expect(compareTarsIgnoringMtime(a, a.subarray(0, a.length - 512)).ok).toBe(false);
  });
  it('the bytes after the end-of-archive block, and an mtime field that is not a number, are more than an mtime', async () => {
    const a = await readFile((await pack('t', CHANGELOG - 21)).tar);
    const trailer = Buffer.from(a);
    trailer[a.length - 1] = 1;
    expect(compareTarsIgnoringMtime(a, trailer)).toMatchObject({
      ok: false,
      why: expect.stringMatching(/^the archives differ after their end-of-archive block at byte \d+$/) as unknown,
    });
    const garbage = Buffer.from(a);
    garbage.write('zzzzzzzzzzz\0', 512 + 136, 'latin1');
    let sum = 0;
    for (let i = 512; i < 1024; i++) sum += i >= 512 + 148 && i < 512 + 156 ? 0x20 : garbage[i]!;
    garbage.write(`${sum.toString(8).padStart(6, '0')}\0 `, 512 + 148, 'latin1');
    expect(compareTarsIgnoringMtime(a, garbage)).toMatchObject({
      ok: false,
      why: expect.stringMatching(
        /^the upload archive cannot be read: the header at byte 512 has a mtime field that is not an octal number/,
      ) as unknown,
    });
  });
});

describe('compareTarStreamsIgnoringMtime', () => {
  it('says what compareTarsIgnoringMtime says, whatever the chunks', async () => {
    const before = await readFile((await pack('s-before', CHANGELOG - 21)).tar);
    const after = await readFile((await pack('s-after', CHANGELOG + 3600)).tar);
    const changed = await readFile(
      (await pack('s-changed', CHANGELOG + 60, `printf 'long\\n' | tr l j > "${LONG}"; touch -d @${CHANGELOG + 60} "${LONG}"`)).tar,
    );
    const longer = Buffer.concat([after, Buffer.alloc(512)]);
    for (const [a, b] of [
      [before, after],
      [after, after],
      [before, changed],
      [after, longer],
      [longer, after],
    ] as const) {
      const whole = compareTarsIgnoringMtime(a, b);
      expect(await compareTarStreamsIgnoringMtime(chunked(a, [1, 700, 511, 4096]), chunked(b, [10_000, 3]))).toEqual(whole);
    }
    expect(compareTarsIgnoringMtime(before, changed)).toEqual({ ok: false, why: `the content of ${LONG} differs` });
  });
});
