// The generated compression and recompression functions of sha1dc: recompressing a
// block from a stored state with its own (undisturbed) message must give back the
// chaining value compress() produced. Real collisions (test/gitobj/sha1dc.test.ts)
// only exercise recompression from step 65; this covers step 58 too.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compress, recompress, STORED_STEPS } from '../../src/gitobj/sha1dc-compress.js';
import { DV_STORED_STEPS, DV_TESTT } from '../../src/gitobj/sha1dc-ubc.js';

const IV = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];

function block(seed: number): DataView {
  const bytes = createHash('sha512').update(`block ${seed}`).digest();
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

describe('sha1dc compression', () => {
  it('stores the states the disturbance vectors recompress from', () => {
    expect(STORED_STEPS).toEqual(DV_STORED_STEPS);
    expect(new Set(DV_TESTT)).toEqual(new Set(STORED_STEPS));
    expect(() => recompress(57, new Int32Array(80), new Int32Array(5 * STORED_STEPS.length), new Int32Array(5))).toThrow(RangeError);
  });

  it('recompression from every stored step reproduces the chaining value', () => {
    const W = new Int32Array(80);
    const states = new Int32Array(5 * STORED_STEPS.length);
    const out = new Int32Array(5);
    for (let seed = 0; seed < 200; seed++) {
      const ihv = Int32Array.from(IV);
      const data = block(seed);
      compress(ihv, data, 0, W, states);
      for (const t of STORED_STEPS) {
        recompress(t, W, states, out);
        expect(Array.from(out)).toEqual(Array.from(ihv));
      }
    }
  });

  it('recompression with a different message does not', () => {
    const W = new Int32Array(80);
    const states = new Int32Array(5 * STORED_STEPS.length);
    const out = new Int32Array(5);
    const ihv = Int32Array.from(IV);
    compress(ihv, block(1), 0, W, states);
    for (const word of [0, 30, 57, 58, 64, 65, 79]) {
      const changed = Int32Array.from(W);
      changed[word]! ^= 1;
      for (const t of STORED_STEPS) {
        recompress(t, changed, states, out);
        expect(Array.from(out)).not.toEqual(Array.from(ihv));
      }
    }
  });
});
