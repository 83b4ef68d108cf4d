// The dashboard's one-line facts: durations rounded as people read them,
// messages on one line and clipped, repository names.
import { describe, expect, it } from 'vitest';
import { durationText } from '../../src/server/dashboard/dashboard-layout.js';
import { oneLine, repoName } from '../../src/server/dashboard/job-facts.js';

describe('durationText', () => {
  it('rounds to what a person reads: ms, tenths of seconds, minutes and seconds, minutes, hours, days', () => {
    const cases: [number, string][] = [
      [0, '0 ms'],
      [28.9, '29 ms'],
      [999.4, '999 ms'],
      [1000, '1.0 s'],
      [12_345, '12.3 s'],
      [59_949, '59.9 s'],
      [59_950, '1 min'],
      [250_000, '4 min 10 s'],
      [599_400, '9 min 59 s'],
      [600_000, '10 min'],
      [25 * 60_000 + 29_000, '25 min'],
      [3_600_000, '1 h'],
      [3_900_000, '1 h 5 min'],
      [51 * 3_600_000, '2 d 3 h'],
    ];
    for (const [ms, text] of cases) expect(durationText(ms), String(ms)).toBe(text);
  });

  it('shows nothing for a negative or non-finite duration', () => {
    expect(durationText(-1)).toBe('');
    expect(durationText(Number.NaN)).toBe('');
  });
});

describe('oneLine', () => {
  it('joins lines and clips by characters, not UTF-16 units', () => {
    expect(oneLine('a\n  b\tc', 10)).toBe('a b c');
    expect(oneLine('abcdef', 4)).toBe('abc…');
    expect(oneLine('😀😀😀😀', 3)).toBe('😀😀…');
  });
});

describe('repoName', () => {
  it('is the last path segment without .git', () => {
    expect(repoName('https://salsa.debian.org/t2u-test/hello.git')).toBe('hello');
    expect(repoName('https://git.dgit.debian.org/hello')).toBe('hello');
    expect(repoName('https://example.org/a/b/')).toBe('b');
  });
});
