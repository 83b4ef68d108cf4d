// A seeded pseudo-random source for tests that try many generated inputs:
// xorshift32, so a failing case is replayed from its seed.

/** Whole numbers in [0, n) from xorshift32 started at `seed`. */
export function seededBelow(seed: number): (n: number) => number {
  let x = seed | 0 || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}
