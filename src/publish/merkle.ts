// RFC 6962 Merkle tree hashing (RFC 9162 §2.1), with inclusion and
// consistency proofs built from complete aligned subtrees only.
//
// A tiled log (c2sp.org/tlog-tiles) stores exactly the hashes of complete
// aligned subtrees: the subtree at (level, n) spans leaves
// [n·2^level, (n+1)·2^level). Every hash a proof needs is either such a hash or
// is computed from them, following the recursive definitions of RFC 6962 §2.1
// (MTH, PATH, SUBPROOF), where a left child always spans the largest power of
// two smaller than its parent's width. Verification follows RFC 9162
// §2.1.3.2 and §2.1.4.2, which check a proof without building the tree.
import { createHash } from 'node:crypto';

export const HASH_SIZE = 32;
export type Hash = Buffer;

/** The hash of an entry: SHA-256(0x00 || entry). */
export function leafHash(entry: Uint8Array): Hash {
  return createHash('sha256').update(Buffer.of(0)).update(entry).digest();
}

/** The hash of an interior node: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Hash {
  return createHash('sha256').update(Buffer.of(1)).update(left).update(right).digest();
}

/** The root of the empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT: Hash = createHash('sha256').digest();

/** Reads the hash of the complete aligned subtree at (level, n). */
export type SubtreeReader = (level: number, n: number) => Hash | Promise<Hash>;

/** The largest power of two strictly smaller than n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  if (!(n >= 1)) return false;
  while (n % 2 === 0) n /= 2;
  return n === 1;
}

function log2(n: number): number {
  let level = 0;
  while (n > 1) {
    n /= 2;
    level += 1;
  }
  return level;
}

/** The Merkle tree hash of the leaves [lo, hi), lo < hi, per RFC 6962's MTH. */
export async function rangeHash(lo: number, hi: number, read: SubtreeReader): Promise<Hash> {
  const width = hi - lo;
  if (isPowerOfTwo(width) && lo % width === 0) return read(log2(width), lo / width);
  const k = splitPoint(width);
  return nodeHash(await rangeHash(lo, lo + k, read), await rangeHash(lo + k, hi, read));
}

/** The root hash of a tree of `size` leaves. */
export async function treeHash(size: number, read: SubtreeReader): Promise<Hash> {
  if (size === 0) return EMPTY_ROOT;
  return rangeHash(0, size, read);
}

/** The audit path of leaf `index` in a tree of `size` leaves (RFC 6962 PATH), leaf first. */
export async function inclusionProof(index: number, size: number, read: SubtreeReader): Promise<Hash[]> {
  if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  const path = async (m: number, lo: number, hi: number): Promise<Hash[]> => {
    if (hi - lo === 1) return [];
    const k = splitPoint(hi - lo);
    if (m < lo + k) return [...(await path(m, lo, lo + k)), await rangeHash(lo + k, hi, read)];
    return [...(await path(m, lo + k, hi)), await rangeHash(lo, lo + k, read)];
  };
  return path(index, 0, size);
}

/** The consistency proof from a tree of `oldSize` to one of `newSize` (RFC 6962 PROOF). */
export async function consistencyProof(oldSize: number, newSize: number, read: SubtreeReader): Promise<Hash[]> {
  if (!(oldSize >= 0 && oldSize <= newSize)) throw new RangeError(`no consistency proof from ${oldSize} to ${newSize}`);
  if (oldSize === 0 || oldSize === newSize) return [];
  const sub = async (m: number, lo: number, hi: number, whole: boolean): Promise<Hash[]> => {
    if (m === hi - lo) return whole ? [] : [await rangeHash(lo, hi, read)];
    const k = splitPoint(hi - lo);
    if (m <= k) return [...(await sub(m, lo, lo + k, whole)), await rangeHash(lo + k, hi, read)];
    return [...(await sub(m - k, lo + k, hi, false)), await rangeHash(lo, lo + k, read)];
  };
  return sub(oldSize, 0, newSize, true);
}

/**
 * One step up the tree in RFC 9162's proof checks (§2.1.3.2 step 6, §2.1.4.2
 * step 7), over the node indices fn and sn: whether the proof's hash is the
 * left sibling (LSB(fn) set, or fn = sn), and fn and sn one level up (after
 * a left sibling with LSB(fn) clear, first shifted until LSB(fn) is set or fn
 * is 0).
 */
function proofStep(fn: number, sn: number): { left: boolean; fn: number; sn: number } {
  const left = fn % 2 === 1 || fn === sn;
  if (left) {
    while (fn % 2 === 0 && fn !== 0) {
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
  }
  return { left, fn: Math.floor(fn / 2), sn: Math.floor(sn / 2) };
}

/** Checks an inclusion proof (RFC 9162 §2.1.3.2). */
export function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) return false;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) return false;
    const step = proofStep(fn, sn);
    r = step.left ? nodeHash(p, r) : nodeHash(r, p);
    ({ fn, sn } = step);
  }
  return sn === 0 && r.equals(root);
}

/** Checks a consistency proof (RFC 9162 §2.1.4.2). */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!(Number.isSafeInteger(oldSize) && Number.isSafeInteger(newSize) && oldSize >= 0 && oldSize <= newSize)) return false;
  if (oldSize === newSize) return proof.length === 0 && Buffer.from(oldRoot).equals(newRoot);
  if (oldSize === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(oldSize) ? [Buffer.from(oldRoot), ...proof] : [...proof];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  const first = path[0];
  if (first === undefined) return false;
  let fr: Buffer = Buffer.from(first);
  let sr: Buffer = Buffer.from(first);
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    const step = proofStep(fn, sn);
    if (step.left) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
    } else {
      sr = nodeHash(sr, c);
    }
    ({ fn, sn } = step);
  }
  return sn === 0 && fr.equals(oldRoot) && sr.equals(newRoot);
}
