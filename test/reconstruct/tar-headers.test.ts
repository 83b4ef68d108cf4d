// The tar walker and the checkout-mtime explanation on archives made by the
// rootfs's own GNU tar with dpkg-source's options: the same tree packed at
// two checkout times differs only in mtimes; a changed byte of content, a
// changed mode, a broken header or an mtime outside the checkout window is
// not explained.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKOUT_CLOCK_SKEW_S, explainMtimeLeak } from '../../src/reconstruct/mtime-leak.js';
import { compareTarsIgnoringMtime, compareTarStreamsIgnoringMtime } from '../../src/tarball/tar-headers.js';
import { runSandboxed, type Rootfs } from '../../src/sandbox/launcher.js';
import { ensureRootfs } from '../../src/sandbox/rootfs.js';

let rootfs: Rootfs;
let scratch: string;
const CHANGELOG = 1_711_929_780; // 2024-04-01T00:03:00Z
const LONG = `debian/${'a-long-directory-name/'.repeat(6)}file.txt`;

beforeAll(async () => {
  rootfs = await ensureRootfs('trixie');
  scratch = await mkdtemp(join(tmpdir(), 't2u-tar-headers-test-'));
  await chmod(scratch, 0o777);
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/**
 * `debian/` (with a GNU long name and a symlink) checked out at `checkout`
 * (seconds), then `change` run in it, packed as dpkg-source packs
 * (--format=gnu --sort=name --mtime=@CHANGELOG --clamp-mtime, owner 0) and
 * compressed with xz. Returns the paths of the .tar and the .tar.xz.
 */
async function pack(name: string, checkout: number, change = ':'): Promise<{ tar: string; xz: string; changelog: string }> {
  const script = `set -e; mkdir -p t/debian/source "t/$(dirname "${LONG}")"; cd t
printf 'x (1.0-1) unstable; urgency=medium\\n\\n  * Release.\\n\\n -- T <t@t2u.test>  Mon, 01 Apr 2024 00:03:00 +0000\\n' > debian/changelog
printf 'Source: x\\n' > debian/control; printf '3.0 (quilt)\\n' > debian/source/format; printf 'long\\n' > "${LONG}"
ln -s control debian/link
find . -exec touch -h -d @${checkout} {} +
${change}
tar --format=gnu --sort=name --mtime=@${CHANGELOG} --clamp-mtime --numeric-owner --owner=0 --group=0 -cf ../${name}.tar debian
xz -6 -c ../${name}.tar > ../${name}.tar.xz`;
  const dir = await mkdtemp(join(scratch, `${name}-`));
  await chmod(dir, 0o777);
  const r = await runSandboxed({ argv: ['sh', '-c', script], rootfs, workDir: dir, keep: ['.'], timeoutMs: 60_000 });
  expect(r.exitCode, r.stderr.toString()).toBe(0);
  return { tar: join(dir, `${name}.tar`), xz: join(dir, `${name}.tar.xz`), changelog: join(dir, 't', 'debian', 'changelog') };
}

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
});

/** A buffer as a stream of chunks of the given sizes, cycled. */
async function* chunked(b: Buffer, sizes: readonly number[]): AsyncGenerator<Buffer> {
  let i = 0;
  for (let pos = 0; pos < b.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield await Promise.resolve(b.subarray(pos, pos + n));
    pos += n;
  }
}

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
      rootfs,
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
      rootfs,
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
    const junk = join(scratch, 'junk.tar.xz');
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
