// The tarball diff on the committed uploads (an extra file in the
// debian.tar, one byte changed in the orig) and on tarballs made by GNU tar
// in the sandbox, one per kind of change: content, mode, type, link target,
// owner, mtime, long names, binary data, repeated names, caps and errors.
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffTarballs, hexdump, type TarDiffOptions } from '../../src/compare/tar-diff.js';
import { BINARY_HEAD_BYTES } from '../../src/tarball/tar-reader.js';
import type { TarballDiff } from '../../src/report/report.js';
import { hostSandbox as sandbox } from '../helpers/host-sandbox.js';
import { scratch, UPLOADS, type Scratch } from './sandbox-tar.js';

let s: Scratch;
const LONG = `${'l'.repeat(70)}/${'m'.repeat(70)}.txt`;

beforeAll(async () => {
  s = await scratch(sandbox);
  // base/ is the expected tree; each variant copies it and changes one thing.
  await s.run(`
    mkdir -p base/d "base/d/$(dirname ${LONG})"
    printf 'one\\ntwo\\nthree\\n' > base/d/text
    printf 'bin\\000ary' > base/d/bin
    printf 'long\\n' > "base/d/${LONG}"
    printf 'x\\n' > base/d/mode
    ln -s text base/d/link
    printf 'f\\n' > base/d/kind
    T="tar --format=gnu --sort=name --mtime=@1700000000 --owner=0 --group=0 --numeric-owner"
    $T -C base -cJf base.tar.xz d
    $T -C base -cf base.tar d
    v() { rm -rf v && cp -a base v && (cd v && sh -ec "$2") && $T -C v -cJf "$1.tar.xz" d; }
    v text 'printf "one\\n2\\nthree\\n" > d/text'
    v mode 'chmod 0755 d/mode'
    v link 'ln -sfn other d/link'
    v kind 'rm d/kind && ln -s text d/kind'
    v long 'printf "longer\\n" > "d/${LONG}"'
    v binary 'printf "bin\\000ary!" > d/bin'
    v added 'printf "new\\n" > d/added; rm d/text'
    rm -rf v && cp -a base v && tar --format=gnu --sort=name --mtime=@1700000001 --owner=0 --group=0 --numeric-owner -C v -cJf mtime.tar.xz d
    tar --format=gnu --sort=name --mtime=@1700000000 --owner=1000 --group=1000 --numeric-owner -C base -cJf owner.tar.xz d
    cp base.tar dup.tar && tar --format=gnu --mtime=@1700000000 --owner=0 --group=0 --numeric-owner -C v -rf dup.tar d/text && xz -k dup.tar
    mkdir -p many && for i in $(seq 1 30); do echo $i > many/f$i; done
    tar --format=gnu --sort=name --mtime=@1700000000 -cJf many.tar.xz many
    mkdir -p many && for i in $(seq 1 30); do echo x$i > many/f$i; done
    tar --format=gnu --sort=name --mtime=@1700000000 -cJf many2.tar.xz many
  `);
}, 300_000);
afterAll(async () => {
  await s?.dispose();
});

const diff = (a: string, b: string, o: Partial<TarDiffOptions> = {}): Promise<TarballDiff> =>
  diffTarballs(a.startsWith('/') ? a : s.path(a), b.startsWith('/') ? b : s.path(b), { decompress: { sandbox }, ...o });

describe('committed uploads', () => {
  it('the tampered debian.tar has one added member, shown in full', async () => {
    const d = await diff(
      join(UPLOADS, 'gbp', 't2u-gbp_1.0-1.debian.tar.xz'),
      join(UPLOADS, 'tamper-debian-tar', 't2u-gbp_1.0-1.debian.tar.xz'),
    );
    expect(d.file).toBe('t2u-gbp_1.0-1.debian.tar.xz');
    expect(d.members).toHaveLength(1);
    expect(d.members[0]).toMatchObject({ path: 'debian/extra-file', change: 'added', got: { type: 'file', mode: '0644', owner: '0/0' } });
    expect(d.members[0]!.diff).toBe(
      '--- a/debian/extra-file\n+++ b/debian/extra-file\n@@ -0,0 +1 @@\n+An extra file the tag does not have.\n',
    );
  });

  it('the tampered orig has one changed member: hello became jello', async () => {
    const d = await diff(join(UPLOADS, 'gbp', 't2u-gbp_1.0.orig.tar.xz'), join(UPLOADS, 'tamper-orig-byte', 't2u-gbp_1.0.orig.tar.xz'));
    expect(d.members.map((m) => [m.path, m.change, m.aspects])).toEqual([['t2u-gbp-1.0/src/hello.c', 'changed', ['content']]]);
    expect(d.members[0]!.diff).toContain('-\tputs("hello, tag2upload 1.0");\n+\tputs("jello, tag2upload 1.0");\n');
    expect(d.members[0]!.expected!.sha256).not.toBe(d.members[0]!.got!.sha256);
  });

  it('a tarball against itself: nothing differs', async () => {
    const f = join(UPLOADS, 'gbp', 't2u-gbp_1.0-1.debian.tar.xz');
    expect(await diff(f, f)).toEqual({ file: 't2u-gbp_1.0-1.debian.tar.xz', members: [] });
  });
});

describe('each kind of change', () => {
  const only = async (variant: string): Promise<TarballDiff['members'][number]> => {
    const d = await diff('base.tar.xz', `${variant}.tar.xz`);
    expect(d.members, variant).toHaveLength(1);
    return d.members[0]!;
  };

  it('text content, with a unified diff', async () => {
    const m = await only('text');
    expect(m).toMatchObject({ path: 'd/text', change: 'changed', aspects: ['content'] });
    expect(m.diff).toBe('--- a/d/text\n+++ b/d/text\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three\n');
  });

  it('mode', async () => {
    expect(await only('mode')).toMatchObject({ path: 'd/mode', aspects: ['mode'], expected: { mode: '0644' }, got: { mode: '0755' } });
  });

  it('symlink target', async () => {
    expect(await only('link')).toMatchObject({ path: 'd/link', aspects: ['link'], expected: { link: 'text' }, got: { link: 'other' } });
  });

  it('type: a file became a symlink', async () => {
    const m = await only('kind');
    expect(m).toMatchObject({
      path: 'd/kind',
      aspects: ['content', 'type', 'mode', 'link'],
      expected: { type: 'file' },
      got: { type: 'symlink', link: 'text' },
    });
    expect(m.diff).toBeUndefined();
  });

  it('a member whose name is longer than 100 bytes', async () => {
    const m = await only('long');
    expect(m.path).toBe(`d/${LONG}`);
    expect(m.diff).toContain('-long\n+longer\n');
  });

  it('binary content: hashes and sizes, and a diff of hexdumps of the first bytes, as diffoscope shows', async () => {
    const m = await only('binary');
    expect(m).toMatchObject({ aspects: ['content'], expected: { size: 7 }, got: { size: 8 } });
    expect(m.diff).toBe(
      [
        '--- a/d/bin (hexdump)',
        '+++ b/d/bin (hexdump)',
        '@@ -1 +1 @@',
        '-00000000: 6269 6e00 6172 79                        bin.ary',
        '+00000000: 6269 6e00 6172 7921                      bin.ary!',
        '',
      ].join('\n'),
    );
  });

  it.skipIf(spawnSync('xxd', ['-v']).status === null)("the hexdump is xxd's, bounded to the first bytes", () => {
    const data = Buffer.from(Array.from({ length: 700 }, (_, i) => (i * 37) % 256));
    const xxd = spawnSync('xxd', ['-l', String(BINARY_HEAD_BYTES)], { input: data, encoding: 'utf8' }).stdout;
    expect(hexdump(data.subarray(0, BINARY_HEAD_BYTES), data.length)).toBe(`${xxd}… ${700 - BINARY_HEAD_BYTES} more bytes not shown\n`);
  });

  it('mtime of every member', async () => {
    const d = await diff('base.tar.xz', 'mtime.tar.xz');
    expect(d.members.length).toBeGreaterThan(5);
    for (const m of d.members) expect(m).toMatchObject({ aspects: ['mtime'], expected: { mtime: 1700000000 }, got: { mtime: 1700000001 } });
  });

  it('owner of every member', async () => {
    const d = await diff('base.tar.xz', 'owner.tar.xz');
    for (const m of d.members) expect(m).toMatchObject({ aspects: ['owner'], expected: { owner: '0/0' }, got: { owner: '1000/1000' } });
  });

  it('added and removed members, ordered by path', async () => {
    const d = await diff('base.tar.xz', 'added.tar.xz');
    expect(d.members.map((m) => [m.path, m.change])).toEqual([
      ['d/added', 'added'],
      ['d/text', 'removed'],
    ]);
    expect(d.members[1]!.diff).toBe('--- a/d/text\n+++ b/d/text\n@@ -1,3 +0,0 @@\n-one\n-two\n-three\n');
  });

  it('a name repeated in the archive is listed as a second copy', async () => {
    const d = await diff('base.tar', 'dup.tar.xz');
    expect(d.members.map((m) => [m.path, m.change])).toEqual([['d/text (copy 2)', 'added']]);
  });
});

describe('bounds and errors', () => {
  it('the number of members listed is capped; truncated counts the rest', async () => {
    const d = await diff('many.tar.xz', 'many2.tar.xz', { maxReported: 5 });
    expect(d.members.map((m) => m.path)).toEqual(['many/f1', 'many/f10', 'many/f11', 'many/f12', 'many/f13']);
    expect(d.truncated).toBe(25);
  });

  it('text beyond the kept-text budget is listed without a diff', async () => {
    const d = await diff('base.tar.xz', 'text.tar.xz', { maxKeptTextBytes: 4 });
    expect(d.members[0]).toMatchObject({ path: 'd/text', aspects: ['content'] });
    expect(d.members[0]!.diff).toBeUndefined();
  });

  it('a tarball that cannot be read gives an error naming the side, not an exception', async () => {
    await writeFile(join(s.host, 'junk.tar.xz'), 'not xz');
    const d = await diff('base.tar.xz', join(s.host, 'junk.tar.xz'));
    expect(d.members).toEqual([]);
    expect(d.error).toMatch(/^got junk\.tar\.xz: DECOMPRESS_FAILED: /);
    const t = await diff(join(s.host, 'junk.tar.xz'), 'base.tar.xz', { tar: { maxMembers: 2 } });
    expect(t.error).toMatch(/^expected junk\.tar\.xz: DECOMPRESS_FAILED: .*; got base\.tar\.xz: TAR_LIMIT: /);
  });
});
