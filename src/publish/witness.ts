// A witness (c2sp.org/tlog-witness add-checkpoint, c2sp.org/tlog-cosignature):
// cosigns a configured log's checkpoint only when it is consistent with the
// latest one it cosigned for that origin. That latest checkpoint is written
// durably before the cosignature is returned, and checks and updates for one
// origin run one at a time, so the witness never cosigns two inconsistent
// checkpoints, also across restarts.
import { createHash } from 'node:crypto';
import { parseCheckpoint, type Checkpoint } from './checkpoint.js';
import { cosigner } from './cosignature.js';
import { DurableFiles } from './durable-files.js';
import type { Ed25519Key } from './ed25519.js';
import { HASH_SIZE, verifyConsistency } from './merkle.js';
import { ed25519NoteVerifier, NoteError, openNote, signNote, type NoteSigner, type NoteVerifier } from './signed-note.js';

export const MAX_ADD_CHECKPOINT_BYTES = 64 * 1024;

export interface WitnessResponse {
  readonly status: 200 | 400 | 403 | 404 | 409 | 422;
  readonly contentType: string;
  readonly body: string;
}

export interface WitnessOptions {
  readonly name: string;
  readonly key: Ed25519Key;
  readonly stateDir: string;
  readonly logs: readonly { readonly origin: string; readonly vkey: string }[];
  readonly now?: () => number;
}

interface LogState {
  readonly verifier: NoteVerifier;
  latest: Checkpoint | undefined;
  queue: Promise<unknown>;
}

const text = (status: WitnessResponse['status'], body: string): WitnessResponse => ({
  status,
  contentType: 'text/plain; charset=utf-8',
  body,
});

export class Witness {
  readonly name: string;
  readonly #signer: NoteSigner;
  readonly #files: DurableFiles;
  readonly #logs = new Map<string, LogState>();

  private constructor(opts: WitnessOptions) {
    this.name = opts.name;
    this.#signer = cosigner(opts.name, opts.key, opts.now);
    this.#files = new DurableFiles(opts.stateDir);
  }

  static async open(opts: WitnessOptions): Promise<Witness> {
    const w = new Witness(opts);
    for (const l of opts.logs) {
      const verifier = ed25519NoteVerifier(l.vkey);
      const saved = await w.#files.read(Witness.stateFile(l.origin));
      // The saved note was checked before it was saved; check it again (a changed key is a configuration error).
      const latest = saved === undefined ? undefined : parseCheckpoint(openNote(saved, [verifier]).text);
      w.#logs.set(l.origin, { verifier, latest, queue: Promise.resolve() });
    }
    return w;
  }

  private static stateFile(origin: string): string {
    return `${createHash('sha256').update(origin).digest('hex')}.checkpoint`;
  }

  /** The latest checkpoint size cosigned for `origin`, if any. */
  latestSize(origin: string): number | undefined {
    return this.#logs.get(origin)?.latest?.size;
  }

  /** Handles an add-checkpoint request body. */
  async addCheckpoint(body: Buffer): Promise<WitnessResponse> {
    if (body.length > MAX_ADD_CHECKPOINT_BYTES) return text(400, 'request too large\n');
    const all = body.toString('utf8');
    const blank = all.indexOf('\n\n');
    if (blank < 0) return text(400, 'no blank line before the checkpoint\n');
    const head = all.slice(0, blank).split('\n');
    const note = all.slice(blank + 2);
    const oldMatch = /^old (0|[1-9][0-9]{0,15})$/.exec(head[0] ?? '');
    if (oldMatch === null) return text(400, 'the first line is not "old N"\n');
    const old = Number(oldMatch[1]);
    const proofLines = head.slice(1);
    if (proofLines.length > 63) return text(400, 'too many consistency proof lines\n');
    const proof: Buffer[] = [];
    for (const line of proofLines) {
      const h = Buffer.from(line, 'base64');
      if (h.length !== HASH_SIZE || h.toString('base64') !== line) return text(400, 'a proof line is not a base64 hash\n');
      proof.push(h);
    }
    const origin = note.slice(0, note.indexOf('\n'));
    const state = this.#logs.get(origin);
    if (state === undefined) return text(404, 'unknown log\n');
    let cp: Checkpoint;
    let noteText: string;
    try {
      noteText = openNote(note, [state.verifier]).text;
      cp = parseCheckpoint(noteText);
    } catch (e) {
      if (e instanceof NoteError && e.kind === 'malformed') return text(400, `${e.message}\n`);
      return text(403, 'the checkpoint is not signed by the log\n');
    }
    if (old > cp.size) return text(400, 'the old size is larger than the checkpoint\n');
    if (old === 0 && proof.length > 0) return text(400, 'a proof from size 0 is empty\n');
    // One request per origin at a time: check and update atomically.
    const run = state.queue.then(async () => {
      const latestSize = state.latest?.size ?? 0;
      if (old !== latestSize) return { status: 409, contentType: 'text/x.tlog.size', body: `${latestSize}\n` } as const;
      if (old === cp.size) {
        if (state.latest !== undefined && !state.latest.root.equals(cp.root)) return text(409, 'the same size with another root\n');
      } else if (old > 0 && state.latest !== undefined && !verifyConsistency(old, cp.size, state.latest.root, cp.root, proof)) {
        return text(422, 'the consistency proof does not verify\n');
      }
      await this.#files.write(Witness.stateFile(origin), note);
      state.latest = cp;
      const cosigned = signNote(noteText, [this.#signer]);
      return { status: 200, contentType: 'text/plain; charset=utf-8', body: cosigned.slice(noteText.length + 1) } as const;
    });
    state.queue = run.catch(() => undefined);
    return run;
  }
}
