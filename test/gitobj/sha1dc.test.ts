// SHA-1 with collision detection against real collisions (SHAttered, SHA-mbles,
// from Debian source packages: fixtures/sha1-collision/README.md), against
// node:crypto on ordinary data, and against git itself for object ids.

import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gitObjectId, Sha1dc, sha1dc } from '../../src/gitobj/sha1dc.js';

const FIXTURES = new URL('../../fixtures/sha1-collision/', import.meta.url);
const fixture = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));

const plainSha1 = (data: Uint8Array): string => createHash('sha1').update(data).digest('hex');

/** Deterministic bytes, so a failure can be reproduced. */
function bytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

describe('SHAttered (identical-prefix collision, 2017)', () => {
  const one = fixture('shattered-1.head');
  const two = fixture('shattered-2.head');

  it('the two 320-byte prefixes are different and have the same plain SHA-1', () => {
    expect(one.length).toBe(320);
    expect(two.length).toBe(320);
    expect(one.equals(two)).toBe(false);
    expect(plainSha1(one)).toBe('f92d74e3874587aaf443d1db961d4e26dde13e9c');
    expect(plainSha1(two)).toBe(plainSha1(one));
  });

  it('flags both, and still reports the plain SHA-1 (git disables the "safe hash")', () => {
    for (const data of [one, two]) {
      expect(sha1dc(data)).toEqual({ hash: plainSha1(data), collision: true });
    }
  });

  it('keeps the flag whatever follows the colliding blocks', () => {
    const suffix = bytes(1000, 7);
    const a = sha1dc(concat(one, suffix));
    const b = sha1dc(concat(two, suffix));
    expect(a.hash).toBe(b.hash);
    expect(a.collision).toBe(true);
    expect(b.collision).toBe(true);
  });

  it('does not flag the common prefix and first near-collision block alone', () => {
    // Blocks 0-2 are the shared PDF header; block 3 is the first near-collision block, block 4 completes the pair.
    for (const data of [one, two]) {
      expect(sha1dc(data.subarray(0, 256))).toEqual({ hash: plainSha1(data.subarray(0, 256)), collision: false });
      expect(sha1dc(data.subarray(0, 319)).collision).toBe(false);
    }
  });

  it('does not flag the prefix once one bit of the second near-collision block is flipped', () => {
    for (const bit of [0, 7]) {
      for (const offset of [256, 300, 319]) {
        const tampered = Buffer.from(one);
        tampered[offset]! ^= 1 << bit;
        expect(sha1dc(tampered)).toEqual({ hash: plainSha1(tampered), collision: false });
      }
    }
  });
});

describe('SHA-mbles (chosen-prefix collision, 2020)', () => {
  const one = fixture('sha-mbles-1.bin');
  const two = fixture('sha-mbles-2.bin');

  it('is a real collision, and both files are flagged', () => {
    expect(one.equals(two)).toBe(false);
    expect(plainSha1(one)).toBe('8ac60ba76f1999a1ab70223f225aefdc78d4ddc0');
    expect(plainSha1(two)).toBe(plainSha1(one));
    expect(sha1dc(one)).toEqual({ hash: plainSha1(one), collision: true });
    expect(sha1dc(two)).toEqual({ hash: plainSha1(two), collision: true });
  });

  it('is not flagged before its last near-collision block', () => {
    expect(sha1dc(one.subarray(0, 576)).collision).toBe(false);
    expect(sha1dc(two.subarray(0, 576)).collision).toBe(false);
  });
});

describe('ordinary data', () => {
  it('every length from 0 to 200 bytes gives the SHA-1 and no collision', () => {
    for (let n = 0; n <= 200; n++) {
      const data = bytes(n, n + 1);
      expect(sha1dc(data), `length ${n}`).toEqual({ hash: plainSha1(data), collision: false });
    }
  });

  it('lengths around block and padding boundaries', () => {
    for (const base of [64, 128, 4096, 65536]) {
      for (let n = base - 10; n <= base + 10; n++) {
        const data = bytes(n, base + n);
        expect(sha1dc(data).hash, `length ${n}`).toBe(plainSha1(data));
      }
    }
  });

  it('1 MB of random data', () => {
    const data = randomBytes(1 << 20);
    expect(sha1dc(data)).toEqual({ hash: plainSha1(data), collision: false });
  });

  it('incremental updates in odd chunk sizes give the one-shot result', () => {
    const data = bytes(100_003, 42);
    const expected = plainSha1(data);
    for (const chunk of [1, 3, 7, 55, 56, 63, 64, 65, 127, 1000, 65_537]) {
      const hasher = new Sha1dc();
      for (let off = 0; off < data.length; off += chunk) hasher.update(data.subarray(off, off + chunk));
      expect(hasher.digest(), `chunk ${chunk}`).toEqual({ hash: expected, collision: false });
    }
  });

  it('empty updates change nothing, and digest() can be called again and continued', () => {
    const hasher = new Sha1dc().update(new Uint8Array(0));
    expect(hasher.digest().hash).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    hasher.update(bytes(70, 3));
    expect(hasher.digest().hash).toBe(plainSha1(bytes(70, 3)));
    expect(hasher.digest().hash).toBe(plainSha1(bytes(70, 3)));
    hasher.update(new Uint8Array(0)).update(bytes(5, 4));
    expect(hasher.digest().hash).toBe(plainSha1(concat(bytes(70, 3), bytes(5, 4))));
  });

  it('reset() forgets earlier input and an earlier detection; one-shot calls do not leak into each other', () => {
    const hasher = new Sha1dc().update(fixture('shattered-1.head'));
    expect(hasher.digest().collision).toBe(true);
    expect(hasher.reset().update(bytes(10, 1)).finish()).toEqual({ hash: plainSha1(bytes(10, 1)), collision: false });
    expect(sha1dc(fixture('sha-mbles-1.bin')).collision).toBe(true);
    expect(sha1dc(bytes(10, 1))).toEqual({ hash: plainSha1(bytes(10, 1)), collision: false });
    expect(gitObjectId('blob', new Uint8Array(0)).collision).toBe(false);
  });

  it('accepts views into larger buffers', () => {
    const backing = bytes(1000, 9);
    const view = backing.subarray(13, 13 + 777);
    expect(sha1dc(view).hash).toBe(plainSha1(view));
  });
});

describe('gitObjectId agrees with git (which hashes with sha1dc too)', () => {
  const dir = mkdtempSync(join(tmpdir(), 't2u-sha1dc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const env = {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    HOME: dir,
    GIT_AUTHOR_NAME: 'A U Thor',
    GIT_AUTHOR_EMAIL: 'author@example.org',
    GIT_AUTHOR_DATE: '1700000000 +0000',
    GIT_COMMITTER_NAME: 'C O Mitter',
    GIT_COMMITTER_EMAIL: 'committer@example.org',
    GIT_COMMITTER_DATE: '1700000000 +0000',
  };
  const git = (args: string[], input?: Uint8Array): Buffer => execFileSync('git', args, { cwd: dir, env, input, maxBuffer: 64 << 20 });
  const gitText = (args: string[], input?: Uint8Array): string => git(args, input).toString('utf8').trim();

  it.each([
    ['empty', new Uint8Array(0)],
    ['a line', Buffer.from('hello\n')],
    ['binary, 100 kB', bytes(100_000, 5)],
    // As blobs the collisions are shifted by the "blob <size>\0" header: no collision, and git accepts them.
    ['the SHAttered prefix', fixture('shattered-1.head')],
    ['a SHA-mbles file', fixture('sha-mbles-1.bin')],
  ])('blob: %s', (_name, content) => {
    const expected = gitText(['hash-object', '--stdin'], content);
    expect(gitObjectId('blob', content)).toEqual({ hash: expected, collision: false });
  });

  it('commit and tree objects read back from a real repository', () => {
    git(['init', '-q', '.']);
    git(['commit', '-q', '--allow-empty', '-m', 'first']);
    const commitId = gitText(['rev-parse', 'HEAD']);
    const treeId = gitText(['rev-parse', 'HEAD^{tree}']);
    expect(gitObjectId('commit', git(['cat-file', 'commit', commitId])).hash).toBe(commitId);
    expect(gitObjectId('tree', git(['cat-file', 'tree', treeId])).hash).toBe(treeId);
  });
});
