import { describe, expect, it } from 'vitest';
import { treeHash } from '../../src/publish/merkle.js';
import { appendEntries, EMPTY_EDGE, edgeRoot, type TreeEdge } from '../../src/publish/tile-builder.js';
import { decodeBundle, encodeBundle, encodeTileIndex, parseTilePath, tilePath, tileSubtreeReader } from '../../src/publish/tiles.js';
import { mth } from './merkle-reference.js';

describe('tile paths', () => {
  it('encodes indexes in 3-digit groups as c2sp.org/tlog-tiles shows', () => {
    expect(encodeTileIndex(1234067)).toBe('x001/x234/067');
    expect(encodeTileIndex(0)).toBe('000');
    expect(tilePath({ level: 0, n: 1234067, width: 256 })).toBe('tile/0/x001/x234/067');
    expect(tilePath({ level: 'entries', n: 5, width: 7 })).toBe('tile/entries/005.p/7');
  });

  it('parses only canonical paths', () => {
    expect(parseTilePath('0/x001/x234/067')).toEqual({ level: 0, n: 1234067, width: 256 });
    expect(parseTilePath('2/000.p/17')).toEqual({ level: 2, n: 0, width: 17 });
    expect(parseTilePath('entries/001.p/255')).toEqual({ level: 'entries', n: 1, width: 255 });
    for (const bad of [
      '00/000',
      '64/000',
      '0/1',
      '0/x000/001',
      '0/000.p/0',
      '0/000.p/256',
      '0/000.p/07',
      '0/../000',
      '0/000/',
      'data/000',
      '0/001.p',
      '0/x1/000',
    ]) {
      expect(parseTilePath(bad), bad).toBeUndefined();
    }
  });
});

describe('entry bundles', () => {
  it('round-trips length-prefixed entries and refuses a truncated bundle', () => {
    const entries = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(70000 - 4465, 1)];
    const bundle = encodeBundle(entries);
    expect(decodeBundle(bundle)).toEqual(entries);
    expect(() => decodeBundle(bundle.subarray(0, bundle.length - 1))).toThrow();
    expect(() => encodeBundle([Buffer.alloc(65536)])).toThrow(RangeError);
  });
});

describe('growing a tiled log', () => {
  it('writes tiles from which every root, in every batch shape, is rebuilt', async () => {
    const entries = Array.from({ length: 70_000 }, (_, i) => Buffer.from(`e${i}`));
    const files = new Map<string, Buffer>();
    let edge: TreeEdge = EMPTY_EDGE;
    const sizes: number[] = [];
    // Batches of varying sizes that cross tile boundaries at several levels.
    for (let at = 0; at < entries.length;) {
      const n = Math.min(entries.length - at, [1, 3, 255, 256, 1000, 4097][sizes.length % 6] as number);
      const out = appendEntries(edge, entries.slice(at, at + n));
      for (const t of out.tiles) files.set(t.path, t.data);
      edge = out.edge;
      at += n;
      sizes.push(at);
    }
    expect(files.has('tile/0/272')).toBe(true);
    expect(files.has('tile/0/273.p/112')).toBe(true);
    expect(files.has('tile/1/000')).toBe(true);
    expect(files.has('tile/1/001.p/17')).toBe(true);
    expect(files.has('tile/2/000.p/1')).toBe(true);
    expect(edgeRoot(edge).equals(mth(entries))).toBe(true);
    for (const size of [1, 2, 256, 257, 4358, 65536, 70_000].filter((s) => sizes.includes(s) || s === 70_000)) {
      const read = tileSubtreeReader(size, (coord) => {
        const data = files.get(tilePath(coord));
        return data === undefined ? Promise.reject(new Error(`missing ${tilePath(coord)}`)) : Promise.resolve(data);
      });
      expect((await treeHash(size, read)).equals(mth(entries.slice(0, size))), `size ${size}`).toBe(true);
    }
    const bundle = decodeBundle(files.get('tile/entries/273.p/112') as Buffer);
    expect(bundle[0]?.toString()).toBe(`e${273 * 256}`);
  });
});
