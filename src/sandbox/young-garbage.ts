// Collects the young generation of the JavaScript heap every MiB that a
// sandbox's streamed stdin or stdout passes (index-pack's pack, git
// cat-file's objects, the second toolchain's tar and compressed bytes): a
// stream's chunks are small objects holding buffers outside the heap, which
// V8 collects only after tens of MiB of them, by which time they have grown
// the C heap, and that does not shrink again (measured: fetching a 32 MiB
// pack left node's C heap at 38 MiB for the rest of the verification, beside
// the builder's xz; 11 MiB collecting every MiB). A young-generation
// collection of a heap this size takes well under a millisecond. The collector is
// reached the one way Node offers without a command-line flag: --expose-gc
// set at run time, then `gc` read from a new context (as Jest does).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collect = (options: { type: 'minor'; execution: 'sync' }) => void;
let collect: Collect | null | undefined;

/** A young-generation collection; nothing where the collector cannot be reached. */
export function collectYoungGarbage(): void {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const gc: unknown = runInNewContext('typeof gc === "function" ? gc : undefined');
      collect = typeof gc === 'function' ? (gc as Collect) : null;
    } catch {
      collect = null;
    }
  }
  collect?.({ type: 'minor', execution: 'sync' });
}

/** Bytes streams pass between two collections. */
export const COLLECT_EVERY_BYTES = 1024 ** 2;

let sinceCollected = 0;

/** Counts bytes a stream has passed on; a young-generation collection once a MiB has passed since the last. */
export function streamed(bytes: number): void {
  sinceCollected += bytes;
  if (sinceCollected < COLLECT_EVERY_BYTES) return;
  sinceCollected = 0;
  collectYoungGarbage();
}
