// A seeded pseudo-random source for tests that try many generated inputs:
// xorshift32, so a failing case is replayed from its seed.

function xorshift32(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** Whole numbers in [0, n) from xorshift32 started at `seed`. */
export function seededBelow(seed: number): (n: number) => number {
  const next = xorshift32(seed);
  return (n) => next() % n;
}

/** Numbers in [0, 1) from xorshift32 started at `seed`. */
export function seededUnit(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() / 2 ** 32;
}

/** One of `seeds`, then up to three random edits: insert one of `parts`, delete a span, repeat a span. */
export function mutated(random: () => number, seeds: readonly string[], parts: readonly string[]): string {
  let s = seeds[Math.floor(random() * seeds.length)]!;
  const edits = Math.floor(random() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * (s.length + 1));
    const len = Math.floor(random() * 4);
    const kind = random();
    if (kind < 0.5) s = s.slice(0, at) + parts[Math.floor(random() * parts.length)]! + s.slice(at);
    else if (kind < 0.8) s = s.slice(0, at) + s.slice(at + len);
    else s = s.slice(0, at + len) + s.slice(at, at + len) + s.slice(at + len);
  }
  return s;
}
