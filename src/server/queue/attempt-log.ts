// One attempt's log as the worker collects it: what the verification printed
// (its progress lines, each sandboxed command's stderr, the build's own log;
// src/sandbox/output-tap.ts) and how the attempt ended. rebuilderd keeps at
// most 10 MiB of a build log; so does this, and memory stays within that
// whatever the verification prints: the first part is kept, then only the
// last TAIL_BYTES, and a line in the text says how much was dropped between
// (a failed build's cause is at its end).
import { MAX_ATTEMPT_LOG_BYTES, type AttemptLogInput } from '../../store/store.js';

/** What is kept of the end once the log is over its cap. */
export const TAIL_BYTES = 256 * 1024;

/** Room for the truncation line, and for the replacement characters of two cuts inside a character. */
const MARKER_ROOM = 512;

export class AttemptLogBuffer {
  readonly #headLimit: number;
  readonly #tailLimit: number;
  readonly #head: Buffer[] = [];
  #headBytes = 0;
  #tail: Buffer[] = [];
  #tailBytes = 0;
  #dropped = 0;

  constructor(limit: number = MAX_ATTEMPT_LOG_BYTES, tail: number = Math.min(TAIL_BYTES, Math.floor(limit / 4))) {
    this.#tailLimit = tail;
    this.#headLimit = Math.max(0, limit - tail - MARKER_ROOM);
  }

  /** Bytes written in all, kept or not. */
  get written(): number {
    return this.#headBytes + this.#tailBytes + this.#dropped;
  }

  get truncated(): boolean {
    return this.#dropped > 0;
  }

  append(text: string): void {
    if (text === '') return;
    let bytes = Buffer.from(text, 'utf8');
    const room = this.#headLimit - this.#headBytes;
    if (room > 0) {
      const kept = bytes.subarray(0, room);
      this.#head.push(kept.length === bytes.length ? bytes : Buffer.from(kept));
      this.#headBytes += kept.length;
      if (kept.length === bytes.length) return;
      bytes = bytes.subarray(room);
    }
    this.#tail.push(bytes);
    this.#tailBytes += bytes.length;
    this.#trimTail();
  }

  /** Drops the oldest bytes of the tail beyond its limit (copying a cut chunk, so the rest of it is freed). */
  #trimTail(): void {
    let over = this.#tailBytes - this.#tailLimit;
    if (over <= 0) return;
    this.#dropped += over;
    this.#tailBytes -= over;
    let i = 0;
    while (over > 0) {
      const chunk = this.#tail[i]!;
      if (chunk.length <= over) {
        over -= chunk.length;
        i++;
      } else {
        this.#tail[i] = Buffer.from(chunk.subarray(over));
        over = 0;
      }
    }
    this.#tail = this.#tail.slice(i);
  }

  /** The log as stored: the head, the truncation line if output was dropped, the tail. */
  finish(): AttemptLogInput {
    const head = Buffer.concat(this.#head).toString('utf8');
    const tail = Buffer.concat(this.#tail).toString('utf8');
    if (!this.truncated) return { text: head + tail, truncated: false };
    const marker =
      `${head.endsWith('\n') ? '' : '\n'}[t2u-verify: log truncated: ${this.#dropped} bytes dropped here, of ${this.written} written; ` +
      `kept are the first ${this.#headBytes} and the last ${this.#tailBytes}]\n`;
    return { text: head + marker + tail, truncated: true };
  }
}
