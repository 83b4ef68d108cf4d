// Growing a tiled log: given the right edge of a tree (the partial tile at
// each level and the partial entry bundle) and new entries, the tiles and
// bundles to write and the new root. Pure: the caller stores the results.
//
// Full tiles are written once; a partial tile is written for the size each
// batch ends at (c2sp.org/tlog-tiles: partial tiles for every checkpointed
// size). Partial tiles are never hashed into the level above.
import { EMPTY_ROOT, HASH_SIZE, leafHash, nodeHash, type Hash } from './merkle.js';
import { encodeBundle, hashOfRun, TILE_WIDTH, tilePath, type TileCoord } from './tiles.js';

export interface TreeEdge {
  readonly size: number;
  /** partial[L]: the hashes of the rightmost, partial tile at level L (fewer than 256). */
  readonly partial: readonly Buffer[][];
  /** The entries of the rightmost, partial entry bundle. */
  readonly partialEntries: readonly Buffer[];
}

export interface WrittenTile {
  readonly coord: TileCoord;
  readonly path: string;
  readonly data: Buffer;
}

export const EMPTY_EDGE: TreeEdge = { size: 0, partial: [], partialEntries: [] };

/** The root hash of the tree whose right edge this is. */
export function edgeRoot(edge: TreeEdge): Hash {
  // The complete subtrees of the tree, left to right: each partial tile, from
  // the top level down, splits into power-of-two runs by the bits of its width.
  const subtrees: Hash[] = [];
  for (let level = edge.partial.length - 1; level >= 0; level--) {
    const hashes = edge.partial[level] ?? [];
    let at = 0;
    for (let run = TILE_WIDTH / 2; run >= 1; run /= 2) {
      if (hashes.length - at >= run) {
        subtrees.push(hashOfRun(Buffer.concat(hashes.slice(at, at + run))));
        at += run;
      }
    }
  }
  if (subtrees.length === 0) return EMPTY_ROOT;
  let root = subtrees[subtrees.length - 1] as Hash;
  for (let i = subtrees.length - 2; i >= 0; i--) root = nodeHash(subtrees[i] as Hash, root);
  return root;
}

/** Appends entries: the new edge and every tile and bundle to write (full ones, then partial ones). */
export function appendEntries(edge: TreeEdge, entries: readonly Buffer[]): { edge: TreeEdge; tiles: WrittenTile[] } {
  const partial = edge.partial.map((p) => [...p]);
  let bundle = [...edge.partialEntries];
  const tiles: WrittenTile[] = [];
  const emit = (coord: TileCoord, data: Buffer): void => {
    tiles.push({ coord, path: tilePath(coord), data });
  };
  let size = edge.size;
  const touched = new Set<number>();
  const push = (level: number, hash: Buffer, index: number): void => {
    // index: the position of this hash at its level.
    const row = partial[level] ?? (partial[level] = []);
    row.push(hash);
    touched.add(level);
    if (row.length === TILE_WIDTH) {
      const n = Math.floor(index / TILE_WIDTH);
      const data = Buffer.concat(row);
      emit({ level, n, width: TILE_WIDTH }, data);
      partial[level] = [];
      push(level + 1, hashOfRun(data), n);
    }
  };
  for (const entry of entries) {
    bundle.push(entry);
    if (bundle.length === TILE_WIDTH) {
      emit({ level: 'entries', n: Math.floor(size / TILE_WIDTH), width: TILE_WIDTH }, encodeBundle(bundle));
      bundle = [];
    }
    push(0, leafHash(entry), size);
    size += 1;
  }
  if (entries.length > 0) {
    if (bundle.length > 0) emit({ level: 'entries', n: Math.floor(size / TILE_WIDTH), width: bundle.length }, encodeBundle(bundle));
    for (const [level, row] of partial.entries()) {
      if (row.length > 0 && touched.has(level)) {
        emit({ level, n: Math.floor(size / TILE_WIDTH ** (level + 1)), width: row.length }, Buffer.concat(row));
      }
    }
  }
  while (partial.length > 0 && (partial.at(-1) ?? []).length === 0) partial.pop();
  return { edge: { size, partial, partialEntries: bundle }, tiles };
}

/** Splits tile data into its hashes. */
export function tileHashes(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + HASH_SIZE <= data.length; at += HASH_SIZE) out.push(Buffer.from(data.subarray(at, at + HASH_SIZE)));
  return out;
}
