// c2sp.org/tlog-tiles: tile and entry-bundle paths, entry bundles, and the
// hashes of complete subtrees read from tiles.
//
// Tiles have height 8: the n-th tile at level L holds up to 256 hashes of
// complete subtrees of 256^L leaves; a partial tile (width W < 256) is served
// at `.p/W`, and the partial tile of level L for a tree of size s has
// floor(s / 256^L) mod 256 hashes. Paths encode N in 3-digit groups, all but
// the last prefixed `x` (1234067 → x001/x234/067).
import { HASH_SIZE, nodeHash, type Hash, type SubtreeReader } from './merkle.js';

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
/** Entries are uint16 length-prefixed in a bundle. */
export const MAX_ENTRY_BYTES = 0xffff;

/** `level` is a tile level, or 'entries' for entry bundles. */
export interface TileCoord {
  readonly level: number | 'entries';
  readonly n: number;
  /** 1..256; 256 is a full tile. */
  readonly width: number;
}

export function encodeTileIndex(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`bad tile index ${n}`);
  let rest = n;
  let out = String(rest % 1000).padStart(3, '0');
  while (rest >= 1000) {
    rest = Math.floor(rest / 1000);
    out = `x${String(rest % 1000).padStart(3, '0')}/${out}`;
  }
  return out;
}

export function tilePath(t: TileCoord): string {
  const width = t.width === TILE_WIDTH ? '' : `.p/${t.width}`;
  return `tile/${t.level}/${encodeTileIndex(t.n)}${width}`;
}

/**
 * Parses the part of a tile URL after `tile/` (e.g. `0/x001/234.p/7`,
 * `entries/005`); undefined when it is not a canonical tile path, so a path
 * made from it again is byte-identical to what was asked.
 */
export function parseTilePath(rest: string): TileCoord | undefined {
  const parts = rest.split('/');
  if (parts.length < 2 || parts.length > 9) return undefined;
  const levelText = parts[0] ?? '';
  let level: number | 'entries';
  if (levelText === 'entries') level = 'entries';
  else if (/^(?:0|[1-9][0-9]?)$/.test(levelText) && Number(levelText) <= 63) level = Number(levelText);
  else return undefined;
  let width = TILE_WIDTH;
  let nParts = parts.slice(1);
  const last = nParts.at(-1) ?? '';
  const beforeLast = nParts.at(-2);
  if (beforeLast !== undefined && beforeLast.endsWith('.p')) {
    if (!/^[1-9][0-9]{0,2}$/.test(last) || Number(last) > 255) return undefined;
    width = Number(last);
    nParts = [...nParts.slice(0, -2), beforeLast.slice(0, -2)];
  }
  let n = 0;
  for (const [i, p] of nParts.entries()) {
    const isLast = i === nParts.length - 1;
    const m = isLast ? /^[0-9]{3}$/.exec(p) : /^x([0-9]{3})$/.exec(p);
    if (m === null) return undefined;
    n = n * 1000 + Number(isLast ? p : m[1]);
  }
  if (!Number.isSafeInteger(n)) return undefined;
  const coord = { level, n, width };
  return tilePath(coord) === `tile/${rest}` ? coord : undefined;
}

/** The width of tile (level, n) in a tree of `size` leaves: 0 if it does not exist yet. */
export function tileWidthAt(level: number, n: number, size: number): number {
  const hashesAtLevel = Math.floor(size / TILE_WIDTH ** level);
  return Math.max(0, Math.min(TILE_WIDTH, hashesAtLevel - n * TILE_WIDTH));
}

/** The Merkle hash of a power-of-two run of hashes laid end to end. */
export function hashOfRun(data: Buffer): Hash {
  const count = data.length / HASH_SIZE;
  if (count === 1) return Buffer.from(data);
  const half = (count / 2) * HASH_SIZE;
  return nodeHash(hashOfRun(data.subarray(0, half)), hashOfRun(data.subarray(half)));
}

export type TileFetcher = (coord: TileCoord) => Promise<Buffer>;

/**
 * Reads complete-subtree hashes of a tree of `size` leaves from its tiles,
 * fetching each tile at most once at the width that size implies. A tile
 * whose length is not its width times 32 is an error.
 */
export function tileSubtreeReader(size: number, fetch: TileFetcher): SubtreeReader {
  const cache = new Map<string, Promise<Buffer>>();
  return async (level, n) => {
    const tileLevel = Math.floor(level / TILE_HEIGHT);
    const within = level - tileLevel * TILE_HEIGHT;
    const count = 2 ** within;
    const start = n * count;
    const tileN = Math.floor(start / TILE_WIDTH);
    const offset = start - tileN * TILE_WIDTH;
    const width = tileWidthAt(tileLevel, tileN, size);
    if (offset + count > width) throw new RangeError(`subtree (${level}, ${n}) is not complete in a tree of ${size}`);
    const coord = { level: tileLevel, n: tileN, width };
    const key = tilePath(coord);
    let tile = cache.get(key);
    if (tile === undefined) {
      tile = fetch(coord).then((data) => {
        if (data.length !== width * HASH_SIZE) throw new Error(`${key} is ${data.length} bytes, not ${width * HASH_SIZE}`);
        return data;
      });
      cache.set(key, tile);
    }
    const data = await tile;
    return hashOfRun(data.subarray(offset * HASH_SIZE, (offset + count) * HASH_SIZE));
  };
}

export function encodeBundle(entries: readonly Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.length > MAX_ENTRY_BYTES) throw new RangeError(`an entry of ${e.length} bytes is over ${MAX_ENTRY_BYTES}`);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(e.length);
    parts.push(len, Buffer.from(e));
  }
  return Buffer.concat(parts);
}

export function decodeBundle(data: Buffer): Buffer[] {
  const entries: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    if (at + 2 > data.length) throw new Error('the entry bundle ends inside a length');
    const len = data.readUInt16BE(at);
    if (at + 2 + len > data.length) throw new Error('the entry bundle ends inside an entry');
    entries.push(data.subarray(at + 2, at + 2 + len));
    at += 2 + len;
  }
  return entries;
}
