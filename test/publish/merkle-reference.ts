// The Merkle Tree Hash of RFC 6962 §2.1 (RFC 9162 §2.1.1), written directly
// from the definition: the naive reference the log's incremental code is
// checked against.
import { EMPTY_ROOT, leafHash, nodeHash, type Hash } from '../../src/publish/merkle.js';

/** MTH(D[n]): the hash of a leaf, or of the two subtrees split at the largest power of two below n. */
export function mth(leaves: readonly Buffer[]): Hash {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leafHash(leaves[0] as Buffer);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
