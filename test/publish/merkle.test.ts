import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  treeHash,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from '../../src/publish/merkle.js';
import { mth } from './merkle-reference.js';

const entries = Array.from({ length: 300 }, (_, i) => Buffer.from(`entry ${i}`));
// A reader over the complete subtrees of `entries`, computed naively.
const reader = (level: number, n: number): Hash => mth(entries.slice(n * 2 ** level, (n + 1) * 2 ** level));

describe('RFC 6962 hashing', () => {
  it('hashes the empty tree, a leaf and a node as RFC 6962 says', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(leafHash(Buffer.alloc(0)).toString('hex')).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
  });

  it('builds every root from complete subtrees', async () => {
    for (const size of [0, 1, 2, 3, 5, 7, 8, 9, 255, 256, 257, 300]) {
      expect((await treeHash(size, reader)).equals(mth(entries.slice(0, size)))).toBe(true);
    }
  });

  it('makes inclusion proofs that verify, and only for the right leaf, index, size and root', async () => {
    for (const size of [1, 2, 3, 6, 17, 256, 300]) {
      const root = mth(entries.slice(0, size));
      for (const index of [0, 1, Math.floor(size / 2), size - 1].filter((i) => i < size)) {
        const proof = await inclusionProof(index, size, reader);
        const leaf = leafHash(entries[index] as Buffer);
        expect(verifyInclusion(index, size, leaf, proof, root)).toBe(true);
        expect(verifyInclusion(index, size, leafHash(Buffer.from('other')), proof, root)).toBe(false);
        if (size > 1) expect(verifyInclusion((index + 1) % size, size, leaf, proof, root)).toBe(false);
        expect(verifyInclusion(index, size, leaf, proof, leafHash(Buffer.from('x')))).toBe(false);
        if (proof.length > 0) expect(verifyInclusion(index, size, leaf, proof.slice(1), root)).toBe(false);
      }
    }
  });

  it('makes consistency proofs between every pair of small sizes, and refuses a forked history', async () => {
    const forked = [...entries];
    forked[3] = Buffer.from('rewritten');
    for (let m = 0; m <= 40; m++) {
      for (let n = m; n <= 40; n++) {
        const proof = await consistencyProof(m, n, reader);
        const oldRoot = mth(entries.slice(0, m));
        const newRoot = mth(entries.slice(0, n));
        expect(verifyConsistency(m, n, oldRoot, newRoot, proof)).toBe(true);
        if (m > 3) expect(verifyConsistency(m, n, oldRoot, mth(forked.slice(0, n)), proof)).toBe(false);
        if (m > 0 && m < n) expect(verifyConsistency(m, n, oldRoot, newRoot, proof.slice(0, -1))).toBe(false);
      }
    }
  });

  it('refuses proofs for impossible sizes', async () => {
    await expect(inclusionProof(5, 5, reader)).rejects.toThrow(RangeError);
    await expect(consistencyProof(6, 5, reader)).rejects.toThrow(RangeError);
    expect(verifyConsistency(6, 5, EMPTY_ROOT, EMPTY_ROOT, [])).toBe(false);
    expect(verifyInclusion(-1, 5, EMPTY_ROOT, [], EMPTY_ROOT)).toBe(false);
  });
});
