// Two streams read in step: the pieces cover both streams at the same
// offsets whatever their chunking, the rest is only counted once no more
// pieces are wanted or one stream has ended, and an error of either stream
// closes the other.
import { describe, expect, it } from 'vitest';
import { readInStep } from '../../src/tarball/lockstep.js';
import { chunked } from '../helpers/chunked.js';

const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));

describe('readInStep', () => {
  it('pieces of equal length at the same offsets, whatever the chunks, and both lengths', async () => {
    const seen: Buffer[] = [];
    const arrived: number[] = [0, 0];
    const lengths = await readInStep(chunked(data, [1, 700, 33]), chunked(data, [4096, 3]), {
      chunk: (side, c) => {
        arrived[side]! += c.length;
      },
      piece: (x, y, at) => {
        expect(Buffer.compare(x, y)).toBe(0);
        expect(at).toBe(seen.reduce((n, b) => n + b.length, 0));
        seen.push(Buffer.from(x));
        return true;
      },
    });
    expect(Buffer.concat(seen).equals(data)).toBe(true);
    expect(lengths).toEqual([5000, 5000]);
    expect(arrived).toEqual([5000, 5000]);
  });

  it('once no more pieces are wanted, or one stream has ended, the rest is only counted', async () => {
    let pieces = 0;
    const stop = await readInStep(chunked(data, [100]), chunked(data, [100]), { piece: () => ++pieces < 3 });
    expect([pieces, ...stop]).toEqual([3, 5000, 5000]);
    let compared = 0;
    const longer = await readInStep(chunked(data.subarray(0, 1000), [300]), chunked(data, [250]), {
      piece: (x) => {
        compared += x.length;
        return true;
      },
    });
    expect(compared).toBeLessThanOrEqual(1000);
    expect(longer).toEqual([1000, 5000]);
  });

  it('an error of either stream ends the reading and closes the other', async () => {
    const returned: string[] = [];
    /** A stream of `n` chunks, then an error (or an end); it notes when it is closed early. */
    const stream = (label: string, n: number, fails: boolean): AsyncIterable<Uint8Array> => ({
      [Symbol.asyncIterator]: () => {
        let i = 0;
        return {
          next: () =>
            i++ < n
              ? Promise.resolve({ done: false, value: new Uint8Array(10) })
              : fails
                ? Promise.reject(new Error(`${label} failed`))
                : Promise.resolve({ done: true, value: undefined }),
          return: () => {
            returned.push(label);
            return Promise.resolve({ done: true, value: undefined });
          },
        };
      },
    });
    await expect(readInStep(stream('a', 100, false), stream('b', 2, true), { piece: () => true })).rejects.toThrow(/^b failed$/);
    await expect(readInStep(stream('c', 1, true), stream('d', 100, false), { piece: () => true })).rejects.toThrow(/^c failed$/);
    expect(returned).toEqual(expect.arrayContaining(['a', 'd']));
  });
});
