// Compares what the second toolchain makes with the upload's files as both
// stream past, so that neither a made tarball nor an upload's file is ever
// held whole (an orig may be gigabytes): the compressed bytes are checked
// against the file on disk and hashed as the compressor writes them, and two
// tar streams are compared chunk by chunk, the member at their first
// difference named from the headers seen on the way.
import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { TarMemberTracker } from '../../tarball/tar-member-spans.js';
import { BLOCK } from './tar-writer.js';

/** The .dsc's checksums of a stream: size, MD5, SHA-1, SHA-256. */
export class StreamSums {
  private readonly hashes: readonly Hash[] = [createHash('md5'), createHash('sha1'), createHash('sha256')];
  size = 0;

  update(chunk: Buffer): void {
    this.size += chunk.length;
    for (const h of this.hashes) h.update(chunk);
  }

  digest(): { size: number; md5: string; sha1: string; sha256: string } {
    const [md5, sha1, sha256] = this.hashes.map((h) => h.digest('hex')) as [string, string, string];
    return { size: this.size, md5, sha1, sha256 };
  }
}

/** Whether a stream equals a file's bytes, read back in step with the stream. */
export class FileMatch {
  private offset = 0;
  private differs = false;
  private scratch = Buffer.alloc(0);

  constructor(
    private readonly file: FileHandle,
    private readonly size: number,
  ) {}

  async update(chunk: Buffer): Promise<void> {
    if (this.differs) return;
    if (this.offset + chunk.length > this.size) {
      this.differs = true;
      return;
    }
    if (this.scratch.length < chunk.length) this.scratch = Buffer.alloc(Math.max(chunk.length, 64 * 1024));
    const view = this.scratch.subarray(0, chunk.length);
    let got = 0;
    while (got < view.length) {
      const { bytesRead } = await this.file.read(view, got, view.length - got, this.offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got !== chunk.length || !view.equals(chunk)) this.differs = true;
    this.offset += chunk.length;
  }

  /** The whole stream was fed: it matched the file exactly. */
  matches(): boolean {
    return !this.differs && this.offset === this.size;
  }
}

/** Thrown through firstDifference for a failure of the upload's stream (as opposed to ours). */
export class TheirStreamError extends Error {
  override readonly name = 'TheirStreamError';
}

export interface StreamDifference {
  /** The first byte at which the streams differ (one ends early counts), or undefined when they are equal. */
  readonly offset: number | undefined;
  /** The member at that offset, named from their stream's headers, else ours. */
  readonly member: string | undefined;
  readonly oursBytes: number;
  readonly theirsBytes: number;
}

interface Side {
  readonly it: AsyncIterator<Buffer>;
  readonly tracker: TarMemberTracker;
  chunk: Buffer;
  bytes: number;
  done: boolean;
}

/**
 * Compares two tar streams. An error of `theirs` is rethrown as
 * TheirStreamError; one of `ours` as it is. Both streams are read to their
 * end (to report their lengths), and closed early on an error.
 */
export async function firstDifference(ours: AsyncIterable<Buffer>, theirs: AsyncIterable<Buffer>): Promise<StreamDifference> {
  const a: Side = { it: ours[Symbol.asyncIterator](), tracker: new TarMemberTracker(), chunk: Buffer.alloc(0), bytes: 0, done: false };
  const b: Side = { it: theirs[Symbol.asyncIterator](), tracker: new TarMemberTracker(), chunk: Buffer.alloc(0), bytes: 0, done: false };
  let offset: number | undefined;
  // Members are tracked until the header of the one at the difference has been seen.
  const tracking = (s: Side): boolean => offset === undefined || s.bytes < offset + BLOCK;
  const pull = async (s: Side, mine: boolean): Promise<void> => {
    let r: IteratorResult<Buffer>;
    try {
      r = await s.it.next();
    } catch (e) {
      if (mine) throw e;
      throw new TheirStreamError((e as Error).message, { cause: e });
    }
    if (r.done) {
      s.done = true;
      return;
    }
    if (tracking(s)) s.tracker.feed(r.value);
    s.chunk = r.value;
    s.bytes += r.value.length;
  };
  let pos = 0;
  let finished = false;
  try {
    while (!(a.done && b.done)) {
      if (a.chunk.length === 0 && !a.done) await pull(a, true);
      if (b.chunk.length === 0 && !b.done) await pull(b, false);
      if (offset === undefined) {
        if (a.done || b.done) {
          if (a.chunk.length > 0 || b.chunk.length > 0 || !(a.done && b.done)) offset = pos;
        } else {
          const n = Math.min(a.chunk.length, b.chunk.length);
          const x = a.chunk.subarray(0, n);
          const y = b.chunk.subarray(0, n);
          if (!x.equals(y)) {
            let i = 0;
            while (x[i] === y[i]) i++;
            offset = pos + i;
          }
          pos += n;
          a.chunk = a.chunk.subarray(n);
          b.chunk = b.chunk.subarray(n);
          if (offset === undefined) {
            a.tracker.forgetBefore(pos);
            b.tracker.forgetBefore(pos);
          }
          continue;
        }
      }
      // A difference is known: the rest is only counted.
      a.chunk = Buffer.alloc(0);
      b.chunk = Buffer.alloc(0);
    }
    finished = true;
  } finally {
    if (!finished) await Promise.allSettled([a.it.return?.(), b.it.return?.()]);
  }
  const member = offset === undefined ? undefined : (b.tracker.at(offset) ?? a.tracker.at(offset));
  return { offset, member, oursBytes: a.bytes, theirsBytes: b.bytes };
}
