// Two byte streams read in step, in pieces of equal length at the same
// offsets, for the comparisons that hold neither stream whole (the
// mtime-only tar comparison; the second toolchain's first difference). Both
// are read to their end, so that their lengths are known; once the caller
// needs no more pieces, the rest is only counted. An error of either stream
// ends the reading, and both are closed.

export interface Lockstep {
  /** A chunk as it arrives from stream 0 or 1, before its bytes are compared. */
  chunk?(side: 0 | 1, chunk: Uint8Array): void;
  /** Pieces of both streams at offset `at`, of equal length; false once no more are needed. */
  piece(x: Uint8Array, y: Uint8Array, at: number): boolean;
}

/** Reads `a` and `b` to their ends in step; returns their lengths. */
export async function readInStep(
  a: AsyncIterable<Uint8Array>,
  b: AsyncIterable<Uint8Array>,
  step: Lockstep,
): Promise<readonly [number, number]> {
  const its = [a[Symbol.asyncIterator](), b[Symbol.asyncIterator]()] as const;
  const empty = new Uint8Array(0);
  const pending: [Uint8Array, Uint8Array] = [empty, empty];
  const bytes: [number, number] = [0, 0];
  const done = [false, false];
  let comparing = true;
  let at = 0;
  let finished = false;
  try {
    while (!(done[0] && done[1])) {
      for (const s of [0, 1] as const) {
        if (pending[s].length > 0 || done[s]) continue;
        const r = await its[s].next();
        if (r.done) done[s] = true;
        else {
          pending[s] = r.value;
          bytes[s] += r.value.length;
          step.chunk?.(s, r.value);
        }
      }
      const n = Math.min(pending[0].length, pending[1].length);
      if (comparing && n > 0) {
        comparing = step.piece(pending[0].subarray(0, n), pending[1].subarray(0, n), at);
        at += n;
      }
      // Once the lengths are bound to differ, or no more pieces are needed, the rest is only counted.
      const drop = !comparing || done[0] || done[1];
      pending[0] = drop ? empty : pending[0].subarray(n);
      pending[1] = drop ? empty : pending[1].subarray(n);
    }
    finished = true;
  } finally {
    if (!finished) await Promise.allSettled([its[0].return?.(), its[1].return?.()]);
  }
  return bytes;
}
