// Debian version ordering against the host's own dpkg --compare-versions,
// on versions chosen for dpkg's corner cases (tilde, epochs, letters against
// symbols, leading zeros, revisions, digits against none).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compareVersions, isValidVersion } from '../../src/deb822/version-compare.js';

const VERSIONS = [
  '1.0',
  '1.0-1',
  '1.0-1.1',
  '1.0~rc1',
  '1.0~rc1-1',
  '1.0~~',
  '1.0~',
  '1.0+dfsg',
  '1.0+dfsg-1',
  '1.0a',
  '1.0+',
  '1.0.0',
  '1:0.1',
  '2:0',
  '0:1.0',
  '01.0',
  '1.00',
  '1.2',
  '1.10',
  '1.1',
  '1.2-0',
  '1.2-',
  '10',
  '9',
  '1.2.3-4ubuntu1',
  '1.2.3-4+deb12u1',
  '2026.06.27',
  '2026.6.27',
  '1.0-1~bpo12+1',
  'a',
  '1.0-a',
  '1.0-1a',
  '1.0-1~',
];

/** dpkg's order of each pair "A B", as -1, 0 or 1, from one shell running dpkg --compare-versions. */
function dpkgOrder(pairs: readonly (readonly [string, string])[]): number[] {
  const script =
    'while read -r a b; do if dpkg --compare-versions "$a" lt "$b"; then echo -1; elif dpkg --compare-versions "$a" gt "$b"; then echo 1; else echo 0; fi; done';
  const out = execFileSync('sh', ['-c', script], { input: pairs.map(([a, b]) => `${a} ${b}\n`).join(''), encoding: 'utf8' });
  return out.trim().split('\n').map(Number);
}

describe('compareVersions', () => {
  it('orders every pair of valid versions as dpkg --compare-versions does', () => {
    const valid = VERSIONS.filter(isValidVersion);
    expect(VERSIONS.filter((v) => !isValidVersion(v))).toEqual(['1.2-', 'a']);
    const pairs = valid.flatMap((a) => valid.filter((b) => a < b).map((b) => [a, b] as const));
    expect(pairs.length).toBeGreaterThan(400);
    const dpkg = dpkgOrder(pairs);
    expect(pairs.map(([a, b]) => `${a} ${b} ${Math.sign(compareVersions(a, b))}`)).toEqual(
      pairs.map(([a, b], i) => `${a} ${b} ${dpkg[i]}`),
    );
  });

  it('judges validity as Dpkg::Version::version_check does (an empty part, a leading non-digit, an illegal character, a non-numeric epoch)', () => {
    expect(['1.0', '1:2.0-3', '1.0~rc1+dfsg-1~bpo12+1', '1:1.0-1:2'].map(isValidVersion)).toEqual([true, true, true, true]);
    expect(['', 'a1.0', '1.0 1', 'x:1.0', ':1.0', '1.0-a_b', '1.0_1', '1.2-', '-1', '1.0\n'].map(isValidVersion)).toEqual(
      Array(10).fill(false),
    );
  });
});
