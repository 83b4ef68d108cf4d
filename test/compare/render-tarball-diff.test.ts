// The human rendering of a tarball diff: real diffs of the committed
// uploads, and a member name made by GNU tar with a newline and a terminal
// escape sequence, which must not reach the output raw.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffTarballs } from '../../src/compare/tar-diff.js';
import { escapeText, renderTarballDiff } from '../../src/compare/render-tarball-diff.js';
import { hostSandbox as sandbox } from '../helpers/host-sandbox.js';
import { scratch, UPLOADS, type Scratch } from './sandbox-tar.js';

let s: Scratch;

beforeAll(async () => {
  s = await scratch(sandbox);
  await s.run(`
    mkdir -p a b
    printf 'ok\\n' > a/plain; cp a/plain b/plain
    printf 'evil\\n' > "b/$(printf 'x\\n  + forged\\033[2J')"
    printf 'bell\\n\\033]0;title\\007\\n' > b/escapes
    chmod 0600 b/plain
    T="tar --format=gnu --sort=name --mtime=@1700000000 --owner=0 --group=0 --numeric-owner"
    (cd a && $T -cJf ../a.tar.xz .) && (cd b && $T -cJf ../b.tar.xz .)
  `);
}, 300_000);
afterAll(async () => {
  await s?.dispose();
});

describe('renderTarballDiff', () => {
  it('the tampered orig: one line for the member, then its diff indented', async () => {
    const d = await diffTarballs(
      join(UPLOADS, 'gbp', 't2u-gbp_1.0.orig.tar.xz'),
      join(UPLOADS, 'tamper-orig-byte', 't2u-gbp_1.0.orig.tar.xz'),
      { decompress: { sandbox } },
    );
    const text = renderTarballDiff(d);
    const lines = text.split('\n');
    expect(lines[0]).toBe('t2u-gbp_1.0.orig.tar.xz: 1 member differs');
    expect(lines[1]).toMatch(/^ {2}~ t2u-gbp-1\.0\/src\/hello\.c {2}content 82 B sha256:daa9b01e4c1b → 82 B sha256:[0-9a-f]{12}$/);
    expect(lines[2]).toBe('      --- a/t2u-gbp-1.0/src/hello.c');
    expect(text).toContain('\n      -\tputs("hello, tag2upload 1.0");\n      +\tputs("jello, tag2upload 1.0");\n');
  });

  it('an added member: type, mode, size, hash, owner and time', async () => {
    const d = await diffTarballs(
      join(UPLOADS, 'gbp', 't2u-gbp_1.0-1.debian.tar.xz'),
      join(UPLOADS, 'tamper-debian-tar', 't2u-gbp_1.0-1.debian.tar.xz'),
      { decompress: { sandbox } },
    );
    expect(renderTarballDiff(d).split('\n')[1]).toMatch(
      /^ {2}\+ debian\/extra-file {2}file 0644 37 B sha256:[0-9a-f]{12} 0\/0 2024-03-01 00:01:00Z$/,
    );
  });

  it('control characters in names and contents are escaped: no forged lines, no terminal escapes', async () => {
    const d = await diffTarballs(s.path('a.tar.xz'), s.path('b.tar.xz'), { decompress: { sandbox } });
    const text = renderTarballDiff(d);
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(text).toContain('+ ./x\\x0a  + forged\\x1b[2J  file 0644');
    expect(text).toContain('      +\\x1b]0;title\\x07');
    expect(text).toContain('~ ./plain  mode 0644 → 0600');
    expect(text.split('\n').filter((l) => l.startsWith('  + forged'))).toEqual([]);
  });

  it('bidirectional controls are escaped too', () => {
    expect(escapeText('a\u202eb\u2066c\td')).toBe('a\\u{202e}b\\u{2066}c\\x09d');
    expect(escapeText('a\tb', true)).toBe('a\tb');
  });

  it('an error, and a truncated listing', () => {
    expect(renderTarballDiff({ file: 'x.tar.xz', members: [], error: 'got x.tar.xz: TAR_CHECKSUM: bad\nline' })).toBe(
      'x.tar.xz: members could not be listed: got x.tar.xz: TAR_CHECKSUM: bad\\x0aline\n',
    );
    const text = renderTarballDiff({
      file: 'y.tar',
      truncated: 3,
      members: [
        {
          path: 'p',
          change: 'removed',
          expected: { size: 1, mode: '0644', sha256: 'ab'.repeat(32), mtime: 0, type: 'file', owner: '0/0' },
        },
      ],
    });
    expect(text).toBe(
      'y.tar: 4 members differ\n  - p  file 0644 1 B sha256:abababababab 0/0 1970-01-01 00:00:00Z\n  … and 3 more members not listed\n',
    );
  });
});
