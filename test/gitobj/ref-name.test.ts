import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { refNameProblem } from '../../src/gitobj/ref-name.js';

/** git's own verdict on refs/tags/<name>. */
function gitAccepts(name: string): boolean {
  try {
    execFileSync('git', ['check-ref-format', `refs/tags/${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('ref names', () => {
  const names = [
    'debian/1.0-1',
    'debian/1%2.0_rc1-1',
    'upstream/1.0',
    'debian/1.0+dfsg-1',
    'v1',
    '../../config',
    'debian/../x',
    'debian//1',
    'debian/1.0.lock',
    'debian/.hidden',
    'debian/1.',
    'a b',
    'a~b',
    'a^b',
    'a:b',
    'a?b',
    'a*b',
    'a[b',
    'a\\b',
    'a@{b',
    '@',
    '/a',
    'a/',
    '',
    'x\x01y',
  ];
  it.each(names)('agrees with git check-ref-format on %j', (name) => {
    expect(refNameProblem(`refs/tags/${name}`) === undefined).toBe(gitAccepts(name));
  });
});
