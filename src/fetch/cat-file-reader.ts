// Reads git objects through one long-running `git cat-file --batch` in the
// sandbox. Memory stays bounded by the largest object read, not by the pack:
// isomorphic-git's reader loads whole packfiles into memory.
import { spawnSandboxed, type SandboxProcess, type SandboxSpec } from '../sandbox/launcher.js';
import { VerificationError } from '../report/verification-error.js';

export type GitObjectType = 'commit' | 'tree' | 'blob' | 'tag';

export interface GitObject {
  readonly oid: string;
  readonly type: GitObjectType;
  readonly content: Buffer;
}

export interface ReadOptions {
  /**
   * A size cap for this one object, below the reader's own: a larger object
   * is never held (its bytes are skipped as they arrive) and the read fails
   * with ObjectTooLargeError, leaving the reader usable.
   */
  readonly maxBytes?: number;
}

/** What the stages need from a repository's object database. */
export interface ObjectReader {
  /** The object, or undefined when the repository does not have it. */
  read(oid: string, options?: ReadOptions): Promise<GitObject | undefined>;
  close(): Promise<void>;
}

/** An object larger than the cap its reader asked for. */
export class ObjectTooLargeError extends Error {
  override readonly name = 'ObjectTooLargeError';
  constructor(
    readonly oid: string,
    readonly type: GitObjectType,
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(`${type} ${oid} is ${size} bytes, above the cap of ${maxBytes}`);
  }
}

interface Pending {
  oid: string;
  maxBytes?: number;
  resolve: (o: GitObject | undefined) => void;
  reject: (e: Error) => void;
}

const OID = /^[0-9a-f]{40}$/;

export class CatFileReader implements ObjectReader {
  private readonly proc: SandboxProcess;
  private buf: Buffer = Buffer.alloc(0);
  private readonly queue: Pending[] = [];
  private failure: Error | undefined;
  private closed = false;

  constructor(
    spec: Omit<SandboxSpec, 'argv'>,
    private readonly maxObjectBytes: number,
  ) {
    this.proc = spawnSandboxed({ ...spec, argv: ['git', 'cat-file', '--batch'] });
    this.proc.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    void this.proc.result.then(
      (r) => {
        if (!this.closed)
          this.fail(
            new VerificationError(
              'SANDBOX_FAILED',
              `git cat-file exited early (${r.exitCode ?? r.signal}): ${r.stderr.toString('utf8').trim()}`,
            ),
          );
      },
      (err: unknown) => this.fail(err instanceof Error ? err : new Error(String(err))),
    );
  }

  read(oid: string, options: ReadOptions = {}): Promise<GitObject | undefined> {
    if (!OID.test(oid)) return Promise.reject(new VerificationError('OBJECT_MISSING', `not an object id: ${JSON.stringify(oid)}`));
    if (this.failure) return Promise.reject(this.failure);
    // Its input has ended: a read would wait for ever.
    if (this.closed) return Promise.reject(new Error('the object reader was closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ oid, ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }), resolve, reject });
      this.proc.stdin.write(`${oid}\n`);
    });
  }

  /** Whether its process has ended or is ending (closed, failed, or killed at its time limit): a new reader is needed to read on. */
  get ended(): boolean {
    return this.closed || this.failure !== undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.proc.stdin.end();
    try {
      await this.proc.result;
    } catch {
      // Already reported to the pending reads, if any.
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.queue.splice(0)) p.reject(this.failure);
  }

  /** The object whose content is arriving: filled in place, so a large blob is copied once. */
  private current: { oid: string; type: GitObjectType; content: Buffer; filled: number } | undefined;
  /** Bytes of an object over its read's cap still to skip (its content and the newline after it). */
  private skipping = 0;

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.skipping > 0) {
        const drop = Math.min(this.skipping, this.buf.length);
        this.skipping -= drop;
        this.buf = this.buf.subarray(drop);
        if (this.skipping > 0) return;
        continue;
      }
      const cur = this.current;
      if (cur) {
        const take = Math.min(cur.content.length - cur.filled, this.buf.length);
        this.buf.copy(cur.content, cur.filled, 0, take);
        cur.filled += take;
        this.buf = this.buf.subarray(take);
        // The content is followed by one newline.
        if (cur.filled < cur.content.length || this.buf.length < 1) return;
        this.buf = this.buf.subarray(1);
        this.current = undefined;
        this.queue.shift()?.resolve({ oid: cur.oid, type: cur.type, content: cur.content });
        continue;
      }
      if (this.queue.length === 0) return;
      const nl = this.buf.indexOf(0x0a);
      if (nl === -1) return;
      const header = this.buf.subarray(0, nl).toString('latin1');
      this.buf = this.buf.subarray(nl + 1);
      const head = this.queue[0]!;
      const parts = header.split(' ');
      if (parts.length === 2 && parts[0] === head.oid && parts[1] === 'missing') {
        this.queue.shift()!.resolve(undefined);
        continue;
      }
      const [oid, type, sizeText] = parts;
      const size = Number(sizeText);
      if (parts.length !== 3 || oid !== head.oid || !/^(commit|tree|blob|tag)$/.test(type ?? '') || !Number.isSafeInteger(size)) {
        this.fail(new VerificationError('SANDBOX_FAILED', `unexpected git cat-file output ${JSON.stringify(header)}`));
        return;
      }
      if (size > this.maxObjectBytes) {
        this.fail(
          new VerificationError('PACK_TOO_LARGE', `object ${oid} is ${size} bytes, above the maximum object size ${this.maxObjectBytes}`),
        );
        void this.proc.kill();
        return;
      }
      if (head.maxBytes !== undefined && size > head.maxBytes) {
        this.skipping = size + 1;
        this.queue.shift()!.reject(new ObjectTooLargeError(oid, type as GitObjectType, size, head.maxBytes));
        continue;
      }
      this.current = { oid, type: type as GitObjectType, content: Buffer.allocUnsafe(size), filled: 0 };
    }
  }
}
