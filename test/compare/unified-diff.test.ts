// The unified diff against GNU diff 3 (`diff -u` with labels, so no header
// timestamps): small real-world edits must match byte for byte; on random
// inputs, where several minimal diffs exist, ours must apply with GNU patch
// and change as many lines as GNU diff's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/compare/unified-diff.js';
import { seededBelow } from '../helpers/seeded.js';

const dir = mkdtempSync(join(tmpdir(), 't2u-udiff-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function gnuDiff(a: string, b: string): string {
  writeFileSync(join(dir, 'a'), a);
  writeFileSync(join(dir, 'b'), b);
  const r = spawnSync('diff', ['-u', '--label', 'a/f', '--label', 'b/f', join(dir, 'a'), join(dir, 'b')], { encoding: 'utf8' });
  if (r.status === 2) throw new Error(r.stderr);
  return r.stdout;
}

/** Applies a diff with GNU patch and returns the result. */
function applied(a: string, diff: string): string {
  writeFileSync(join(dir, 'target'), a);
  writeFileSync(join(dir, 'p'), diff);
  const r = spawnSync('patch', ['-s', '-f', join(dir, 'target'), join(dir, 'p')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`patch failed: ${r.stdout}${r.stderr}`);
  return readFileSync(join(dir, 'target'), 'utf8');
}

const lines = (n: number, f = (i: number) => `line ${i}`): string => Array.from({ length: n }, (_, i) => `${f(i + 1)}\n`).join('');
const changedLines = (d: string): number => d.split('\n').filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) [ab]\/f$/.test(l)).length;

const HELLO = '#include <stdio.h>\n\nint main(void)\n{\n\tputs("hello, tag2upload 1.0");\n\treturn 0;\n}\n';
const CASES: Record<string, [string, string]> = {
  'one changed line': [HELLO, HELLO.replace('hello', 'jello')],
  'added at the end': [lines(10), lines(12)],
  'added at the start': [lines(10, (i) => `l${i + 2}`), lines(12, (i) => `l${i}`)],
  'removed in the middle': [lines(20), lines(20).replace('line 10\n', '')],
  'empty to text (an added file)': ['', lines(3)],
  'text to empty (a removed file)': [lines(3), ''],
  'no newline at end of the new file': [lines(5), lines(5).slice(0, -1)],
  'no newline at end of the old file': [lines(5).slice(0, -1), lines(5)],
  'no newline on both, last line changed': ['a\nb\nc', 'a\nb\nd'],
  'changes 6 lines apart share a hunk': [lines(30), lines(30).replace('line 10\n', 'ten\n').replace('line 17\n', 'seventeen\n')],
  'changes 7 lines apart get two hunks': [lines(30), lines(30).replace('line 10\n', 'ten\n').replace('line 18\n', 'eighteen\n')],
  'CRLF lines': ['one\r\ntwo\r\nthree\r\n', 'one\r\n2\r\nthree\r\n'],
  'a changelog entry added on top': [
    'pkg (1.0-1) unstable; urgency=medium\n\n  * Initial release.\n\n -- A <a@b.c>  Fri, 01 Mar 2024 00:00:00 +0000\n',
    'pkg (1.0-2) unstable; urgency=medium\n\n  * Fix.\n\n -- A <a@b.c>  Sat, 02 Mar 2024 00:00:00 +0000\n\npkg (1.0-1) unstable; urgency=medium\n\n  * Initial release.\n\n -- A <a@b.c>  Fri, 01 Mar 2024 00:00:00 +0000\n',
  ],
  'replaced block with surrounding context': [lines(15), lines(15).replace('line 6\nline 7\nline 8\n', 'six\nseven\n')],
  'everything different': ['a\nb\nc\n', 'x\ny\n'],
  'one line files': ['a\n', 'b\n'],
};

describe('matches GNU diff -u', () => {
  for (const [name, [a, b]] of Object.entries(CASES)) {
    it(name, () => {
      const ours = unifiedDiff(a, b, 'a/f', 'b/f');
      expect(ours).toBe(gnuDiff(a, b));
      expect(applied(a, ours)).toBe(b);
    });
  }

  it('equal texts give no diff', () => {
    expect(unifiedDiff(HELLO, HELLO, 'a/f', 'b/f')).toBe('');
    expect(gnuDiff(HELLO, HELLO)).toBe('');
  });
});

describe('random edits', () => {
  it("apply with GNU patch and are as small as GNU diff's", () => {
    // A fixed seed, so a failure can be replayed.
    const rnd = seededBelow(7);
    for (let t = 0; t < 80; t++) {
      const alphabet = 'abcdefgh'.slice(0, 2 + rnd(6));
      const a = Array.from({ length: rnd(30) }, () => `${alphabet[rnd(alphabet.length)]}\n`).join('') + (rnd(5) === 0 ? 'z' : '');
      const b = a
        .split(/(?<=\n)/)
        .flatMap((l) => {
          const r = rnd(10);
          return r === 0 ? [] : r === 1 ? [`${alphabet[rnd(alphabet.length)]}\n`, l] : r === 2 ? [l, 'x\n'] : [l];
        })
        .join('');
      const ours = unifiedDiff(a, b, 'a/f', 'b/f');
      if (a === b) continue;
      expect(applied(a, ours), JSON.stringify([a, b])).toBe(b);
      expect(changedLines(ours), JSON.stringify([a, b])).toBe(changedLines(gnuDiff(a, b)));
    }
  });
});

describe('bounds', () => {
  it('stops at the line cap and says how much is left', () => {
    const d = unifiedDiff(
      lines(100),
      lines(100, (i) => `other ${i}`),
      'a/f',
      'b/f',
      { maxLines: 10 },
    );
    const out = d.split('\n').filter(Boolean);
    expect(out).toHaveLength(11);
    expect(out.at(-1)).toBe(`... diff truncated: ${2 + 1 + 200 - 10} more lines not shown`);
  });

  it('stops at the byte cap, cutting a long line', () => {
    const d = unifiedDiff('x'.repeat(10_000), 'y'.repeat(10_000), 'a/f', 'b/f', { maxBytes: 1000 });
    expect(d.length).toBeLessThan(1100);
    expect(d).toMatch(/\n-x{900,}\n\.\.\. diff truncated: \d+ more lines not shown\n$/);
  });

  it('a search over the edit-length cap still gives a correct (non-minimal) diff', () => {
    const a = lines(200, (i) => `${i % 7}`);
    const b = lines(200, (i) => `${i % 5}`);
    const capped = unifiedDiff(a, b, 'a/f', 'b/f', { maxEditLength: 10, maxLines: 10_000 });
    const full = unifiedDiff(a, b, 'a/f', 'b/f', { maxLines: 10_000 });
    expect(applied(a, capped)).toBe(b);
    expect(applied(a, full)).toBe(b);
    expect(changedLines(capped)).toBeGreaterThan(changedLines(full));
    expect(changedLines(full)).toBe(changedLines(gnuDiff(a, b)));
  });

  it('a large diff finishes quickly', () => {
    const a = lines(20_000, (i) => `a ${i}`);
    const b = lines(20_000, (i) => (i % 3 === 0 ? `b ${i}` : `a ${i}`));
    const started = performance.now();
    const d = unifiedDiff(a, b, 'a/f', 'b/f');
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(d).toMatch(/diff truncated/);
  });
});
