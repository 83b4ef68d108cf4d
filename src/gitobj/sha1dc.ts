// SHA-1 with collision detection: a port of sha1dc by Marc Stevens and Dan Shumow
// (the SHA-1 git has used since 2.13, vendored in git's sha1dc/), so that every git
// object the verifier hashes is also checked for the SHAttered family of attacks.
//
// For each 64-byte block sha1dc compresses as usual, keeping the expanded message
// W[0..79] and the internal states before steps 58 and 65. ubcCheck() tests W
// against the unavoidable bit conditions of 32 disturbance vectors (DVs); for each
// DV that passes, the block is XORed with the DV's message difference and the
// compression is redone from the stored state, backwards to a chaining value and
// forwards to an output. If that output equals the real one, the block is one half
// of a near-collision pair: a collision attack. An attacker cannot avoid this,
// because every known practical attack on SHA-1 uses one of these DVs.
//
// Choices, all matching git (sha1dc_git.c and git's Makefile):
// - No "safe hash": git builds sha1dc with SHA1DC_INIT_SAFE_HASH_DEFAULT=0, so the
//   hash reported is always the plain SHA-1, and a detection only sets the
//   `collision` flag (git then dies: "SHA-1 appears to be part of a collision attack").
// - Unavoidable-bit-condition filtering on, reduced-round detection off, no callback
//   (SHA1DCInit's defaults).
// - The flag is sticky: once a block is detected, the digest of that input says so.
//
// The DV table and ubc_check (sha1dc-ubc.ts), and the unrolled compression and
// recompression function (sha1dc-compress.ts), are generated from sha1dc's C
// sources by sha1dc-generate.ts.
//
// Parts of this file are a translation of sha1dc/sha1.c, under this licence:
//
// MIT License
//
// Copyright (c) 2017:
//     Marc Stevens
//     Cryptology Group
//     Centrum Wiskunde & Informatica
//     P.O. Box 94079, 1090 GB Amsterdam, Netherlands
//     marc@marc-stevens.nl
//
//     Dan Shumow
//     Microsoft Research
//     danshu@microsoft.com
//
// Permission is hereby granted, free of charge, to any person obtaining a copy
// of this software and associated documentation files (the "Software"), to deal
// in the Software without restriction, including without limitation the rights
// to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
// copies of the Software, and to permit persons to whom the Software is
// furnished to do so, subject to the following conditions:
//
// The above copyright notice and this permission notice shall be included in all
// copies or substantial portions of the Software.
//
// THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
// IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
// FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
// AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
// LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
// OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
// SOFTWARE.

import { compress, recompress, STORED_STEPS } from './sha1dc-compress.js';
import { DV_COUNT, DV_DM, DV_TESTT, ubcCheck } from './sha1dc-ubc.js';

/** The result of hashing: the SHA-1 and whether a collision attack was detected in the input. */
export interface Sha1dcResult {
  /** The plain SHA-1 of the input, 40 lower-case hexadecimal digits. */
  readonly hash: string;
  /** True when some block of the input is half of a SHA-1 near-collision pair. */
  readonly collision: boolean;
}

/** The object types of git's object database. */
export type GitObjectType = 'blob' | 'tree' | 'commit' | 'tag';

const INITIAL_IHV: readonly number[] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];

/** Incremental SHA-1 with collision detection. */
export class Sha1dc {
  private readonly ihv = Int32Array.from(INITIAL_IHV);
  private readonly buffer = new Uint8Array(64);
  private readonly bufferView = new DataView(this.buffer.buffer);
  private readonly m1 = new Int32Array(80);
  private readonly m2 = new Int32Array(80);
  private readonly states = new Int32Array(5 * STORED_STEPS.length);
  private readonly ihvtmp = new Int32Array(5);
  /** Bytes hashed so far (exact up to 2^53). */
  private total = 0;
  private found = false;

  /** Adds bytes to the input. */
  update(data: Uint8Array): this {
    const len = data.length;
    let off = 0;
    let left = this.total % 64;
    this.total += len;
    if (left > 0) {
      const fill = Math.min(64 - left, len);
      for (let i = 0; i < fill; i++) this.buffer[left + i] = data[i]!;
      left += fill;
      off = fill;
      if (left < 64) return this;
      this.processBlock(this.bufferView, 0);
    }
    if (len - off >= 64) {
      // One view per call, not per block: the blocks are read in place.
      const view = new DataView(data.buffer, data.byteOffset, len);
      for (; len - off >= 64; off += 64) this.processBlock(view, off);
    }
    for (let i = 0; off + i < len; i++) this.buffer[i] = data[off + i]!;
    return this;
  }

  /** The SHA-1 of the input so far and whether a collision attack was detected; the hasher stays usable. */
  digest(): Sha1dcResult {
    return this.copy().finish();
  }

  /** Starts over with empty input (SHA1DCInit), keeping the allocated work arrays. */
  reset(): this {
    this.ihv.set(INITIAL_IHV);
    this.total = 0;
    this.found = false;
    return this;
  }

  /** Pads in place and returns the result; the hasher must be reset before reuse. */
  finish(): Sha1dcResult {
    this.pad();
    let hash = '';
    for (let i = 0; i < 5; i++) hash += (this.ihv[i]! >>> 0).toString(16).padStart(8, '0');
    return { hash, collision: this.found };
  }

  private copy(): Sha1dc {
    const other = new Sha1dc();
    other.ihv.set(this.ihv);
    other.buffer.set(this.buffer);
    other.total = this.total;
    other.found = this.found;
    return other;
  }

  /** SHA1DCFinal: 0x80, zeros to 56 mod 64, the bit length big-endian; the padding blocks are checked too. */
  private pad(): void {
    const left = this.total % 64;
    const buf = this.buffer;
    buf[left] = 0x80;
    buf.fill(0, left + 1);
    if (left >= 56) {
      this.processBlock(this.bufferView, 0);
      buf.fill(0);
    }
    const hi = Math.floor(this.total / 0x20000000) | 0;
    const lo = (this.total * 8) % 0x100000000;
    buf[56] = hi >>> 24;
    buf[57] = hi >>> 16;
    buf[58] = hi >>> 8;
    buf[59] = hi;
    buf[60] = lo >>> 24;
    buf[61] = lo >>> 16;
    buf[62] = lo >>> 8;
    buf[63] = lo;
    this.processBlock(this.bufferView, 0);
  }

  /** sha1_process: compress, then test the DVs whose unavoidable bit conditions hold. */
  private processBlock(block: DataView, offset: number): void {
    compress(this.ihv, block, offset, this.m1, this.states);
    const mask = ubcCheck(this.m1);
    if (mask !== 0) this.testDisturbanceVectors(mask);
  }

  private testDisturbanceVectors(mask: number): void {
    const { m1, m2, ihv, ihvtmp } = this;
    for (let i = 0; i < DV_COUNT; i++) {
      if ((mask & (1 << i)) === 0) continue;
      const dm = 80 * i;
      for (let j = 0; j < 80; j++) m2[j] = m1[j]! ^ DV_DM[dm + j]!;
      recompress(DV_TESTT[i]!, m2, this.states, ihvtmp);
      if (
        ((ihvtmp[0]! ^ ihv[0]!) | (ihvtmp[1]! ^ ihv[1]!) | (ihvtmp[2]! ^ ihv[2]!) | (ihvtmp[3]! ^ ihv[3]!) | (ihvtmp[4]! ^ ihv[4]!)) ===
        0
      ) {
        this.found = true;
        break;
      }
    }
  }
}

/** One hasher for the one-shot functions below: they run to completion synchronously, so sharing is safe. */
const shared = new Sha1dc();

/** SHA-1 with collision detection of one byte string. */
export function sha1dc(data: Uint8Array): Sha1dcResult {
  return shared.reset().update(data).finish();
}

/**
 * The id of a git object: the SHA-1 of "<type> <size>\0" followed by the content, as
 * git's hash_object_file() computes it, with sha1dc's collision detection.
 */
export function gitObjectId(type: GitObjectType, content: Uint8Array): Sha1dcResult {
  const header = new TextEncoder().encode(`${type} ${content.length}\0`);
  return shared.reset().update(header).update(content).finish();
}
