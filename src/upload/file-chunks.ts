// A local file's bytes read through one buffer, reused from chunk to chunk,
// for a consumer that is done with each chunk before it asks for the next
// (checked-copy.ts hashes it and awaits its write). A read stream hands out a
// fresh 64 KiB buffer per chunk instead: garbage outside the JavaScript heap
// that V8 collects only after tens of MiB of it, by which time it has grown
// the C heap, which does not shrink again (measured: node stayed 20 MiB
// larger for the rest of a verification, beside the builder's xz, after
// copying a 32 MiB orig; 1 MiB with this reader).
import { open } from 'node:fs/promises';

/** Bytes per read: one buffer of this size per file being read. */
export const FILE_CHUNK_BYTES = 1024 ** 2;

/** The file's bytes in order; each chunk is valid only until the next one is asked for. */
export async function* fileChunks(path: string): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafeSlow(FILE_CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await fh.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}
