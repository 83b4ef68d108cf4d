// A buffer as a stream of chunks, for tests that a streaming reader or
// comparison says the same whatever the chunk boundaries.

/** `b` as a stream of chunks of the given sizes, cycled. */
export async function* chunked(b: Buffer, sizes: readonly number[]): AsyncGenerator<Buffer> {
  let i = 0;
  for (let pos = 0; pos < b.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield await Promise.resolve(b.subarray(pos, pos + n));
    pos += n;
  }
}
