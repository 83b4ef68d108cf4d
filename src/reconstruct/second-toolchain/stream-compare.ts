// Compares what the second toolchain makes with the upload's files as both
// stream past, so that neither a made tarball nor an upload's file is ever
// held whole (an orig may be gigabytes): the compressed bytes are checked
// against the file on disk and hashed as the compressor writes them, and two
// tar streams are compared chunk by chunk, the member at their first
// difference named from the headers seen on the way.
import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { readInStep } from '../../tarball/lockstep.js';
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

/**
 * Compares two tar streams. An error of `theirs` is rethrown as
 * TheirStreamError; one of `ours` as it is. Both streams are read to their
 * end (to report their lengths), and closed early on an error.
 */
export async function firstDifference(ours: AsyncIterable<Buffer>, theirs: AsyncIterable<Buffer>): Promise<StreamDifference> {
  const trackers = [new TarMemberTracker(), new TarMemberTracker()] as const;
  const seen = [0, 0];
  let offset: number | undefined;
  const [oursBytes, theirsBytes] = await readInStep(ours, theirStream(theirs), {
    chunk: (side, chunk) => {
      // Members are tracked until the header of the one at the difference has been seen.
      if (offset === undefined || seen[side]! < offset + BLOCK)
        trackers[side].feed(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      seen[side]! += chunk.length;
    },
    piece: (x, y, at) => {
      if (Buffer.compare(x, y) === 0) {
        for (const t of trackers) t.forgetBefore(at + x.length);
        return true;
      }
      let i = 0;
      while (x[i] === y[i]) i++;
      offset = at + i;
      return false;
    },
  });
  // One stream ended first: they differ where it ends.
  if (offset === undefined && oursBytes !== theirsBytes) offset = Math.min(oursBytes, theirsBytes);
  const member = offset === undefined ? undefined : (trackers[1].at(offset) ?? trackers[0].at(offset));
  return { offset, member, oursBytes, theirsBytes };
}

async function* theirStream(theirs: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* theirs;
  } catch (e) {
    throw new TheirStreamError((e as Error).message, { cause: e });
  }
}
