// A client of a verifier's transparency log, over HTTP and the open formats
// only: fetch the checkpoint and check its signature (and the cosignatures
// required of it), rebuild its root from the tiles, check that it extends the
// checkpoint last seen from that log (kept in a state directory), and check
// attestations with their inclusion proofs. Every failure is a reason code
// (src/report/reasons.ts); an inconsistent log carries both signed
// checkpoints as evidence.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReasonCode } from '../report/reasons.js';
import { openAttestation } from './attestation.js';
import { parseCheckpoint, type Checkpoint } from './checkpoint.js';
import { cosignatureVerifier } from './cosignature.js';
import { consistencyProof, leafHash, treeHash, verifyConsistency, verifyInclusion, type Hash } from './merkle.js';
import { ed25519NoteVerifier, NoteError, openNote, type NoteVerifier } from './signed-note.js';
import type { Statement } from './statement.js';
import {
  decodeBundle,
  encodeBundle,
  MAX_ENTRY_BYTES,
  tilePath,
  tileSubtreeReader,
  tileWidthAt,
  TILE_WIDTH,
  type TileCoord,
} from './tiles.js';
import { trimEnd } from '../text/scan.js';

const MAX_CHECKPOINT_BYTES = 64 * 1024;
const MAX_TILE_BYTES = TILE_WIDTH * 32;
const MAX_BUNDLE_BYTES = TILE_WIDTH * (2 + MAX_ENTRY_BYTES);
const MAX_ATTESTATIONS_BYTES = 16 << 20;
const TIMEOUT_MS = 30_000;

export class LogProblem extends Error {
  constructor(
    readonly code: ReasonCode,
    message: string,
    /** For LOG_INCONSISTENT: the checkpoint seen before and the one seen now, as signed. */
    readonly evidence?: { readonly previous: string; readonly current: string },
  ) {
    super(message);
    this.name = 'LogProblem';
  }
}

export interface SeenCheckpoint {
  readonly note: string;
  readonly checkpoint: Checkpoint;
}

export { defaultStateDir } from './state-dir.js';

/** The body of a GET, bounded; 'not found' for an HTTP 404. */
async function fetchBody(url: string, maxBytes: number): Promise<Buffer | 'not found'> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' });
  } catch (e) {
    throw new LogProblem('LOG_UNREACHABLE', `${url}: ${(e as Error).message}`);
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    if (res.status === 404) return 'not found';
    throw new LogProblem('LOG_UNREACHABLE', `${url}: HTTP ${res.status}`);
  }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of res.body ?? []) {
    n += (chunk as Uint8Array).length;
    if (n > maxBytes) throw new LogProblem('LOG_UNREACHABLE', `${url}: more than ${maxBytes} bytes`);
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}

async function get(url: string, maxBytes: number): Promise<Buffer> {
  const body = await fetchBody(url, maxBytes);
  if (body === 'not found') throw new LogProblem('LOG_UNREACHABLE', `${url}: HTTP 404`);
  return body;
}

export interface AttestationFound {
  readonly index: number;
  readonly statement: Statement;
  readonly envelope: string;
}

export interface AttestationRejected {
  readonly index: number;
  readonly code: ReasonCode;
  readonly why: string;
}

export class LogClient {
  readonly base: string;
  readonly vkey: string;
  readonly #verifier: NoteVerifier;
  readonly #witnesses: NoteVerifier[];

  constructor(baseUrl: string, vkey: string, witnessVkeys: readonly string[] = []) {
    this.base = trimEnd(baseUrl, '/');
    this.vkey = vkey;
    this.#verifier = ed25519NoteVerifier(vkey);
    this.#witnesses = witnessVkeys.map((w) => cosignatureVerifier(w));
  }

  /** Checks a signed checkpoint: the log's signature, each required cosignature, the format and origin. */
  open(note: string | Buffer): SeenCheckpoint {
    let opened;
    try {
      opened = openNote(note, [this.#verifier, ...this.#witnesses]);
    } catch (e) {
      throw new LogProblem('LOG_SIGNATURE_INVALID', `the checkpoint: ${(e as Error).message}`);
    }
    const signers = new Set(opened.verified.map((s) => `${s.name}\n${s.keyHash}`));
    if (!signers.has(`${this.#verifier.name}\n${this.#verifier.keyHash}`))
      throw new LogProblem('LOG_SIGNATURE_INVALID', 'the checkpoint is not signed by the log key');
    for (const w of this.#witnesses) {
      if (!signers.has(`${w.name}\n${w.keyHash}`))
        throw new LogProblem('LOG_COSIGNATURE_MISSING', `no cosignature by the witness ${w.name}`);
    }
    let checkpoint: Checkpoint;
    try {
      checkpoint = parseCheckpoint(opened.text);
    } catch (e) {
      throw new LogProblem('LOG_SIGNATURE_INVALID', `the signed note is not a checkpoint: ${(e as Error).message}`);
    }
    if (checkpoint.origin !== this.#verifier.name)
      throw new LogProblem(
        'LOG_SIGNATURE_INVALID',
        `the checkpoint's origin ${checkpoint.origin} is not the key's name ${this.#verifier.name}`,
      );
    return { note: typeof note === 'string' ? note : note.toString('utf8'), checkpoint };
  }

  async fetchCheckpoint(): Promise<SeenCheckpoint> {
    return this.open(await get(`${this.base}/log/checkpoint`, MAX_CHECKPOINT_BYTES));
  }

  /**
   * A tile or entry bundle; a partial one the log no longer serves (deleted
   * once its full tile exists, as c2sp.org/tlog-tiles allows) is cut from the
   * full one, which begins with the same hashes or entries.
   */
  private async tile(coord: TileCoord): Promise<Buffer> {
    const max = coord.level === 'entries' ? MAX_BUNDLE_BYTES : MAX_TILE_BYTES;
    const url = `${this.base}/log/${tilePath(coord)}`;
    const body = await fetchBody(url, max);
    if (body !== 'not found') return body;
    if (coord.width === TILE_WIDTH) throw new LogProblem('LOG_UNREACHABLE', `${url}: HTTP 404`);
    const where = tilePath({ ...coord, width: TILE_WIDTH });
    const full = await get(`${this.base}/log/${where}`, max);
    if (coord.level !== 'entries') return full.subarray(0, coord.width * 32);
    try {
      return encodeBundle(decodeBundle(full).slice(0, coord.width));
    } catch (e) {
      throw new LogProblem('LOG_TILES_INVALID', `${where}: ${(e as Error).message}`);
    }
  }

  private reader(size: number) {
    return tileSubtreeReader(size, (coord) => this.tile(coord));
  }

  /** Rebuilds the checkpoint's root from the tiles. */
  async checkTiles(seen: SeenCheckpoint): Promise<void> {
    let root: Hash;
    try {
      root = await treeHash(seen.checkpoint.size, this.reader(seen.checkpoint.size));
    } catch (e) {
      if (e instanceof LogProblem) throw e;
      throw new LogProblem('LOG_TILES_INVALID', `the tiles: ${(e as Error).message}`);
    }
    if (!root.equals(seen.checkpoint.root))
      throw new LogProblem(
        'LOG_TILES_INVALID',
        `the tiles rebuild root ${root.toString('base64')}, not the checkpoint's ${seen.checkpoint.root.toString('base64')}`,
      );
  }

  /**
   * Re-hashes every entry bundle of the checkpoint's tree against the leaf
   * hashes of its level-0 tiles (which checkTiles ties to the root): the
   * bundles are what a reader of the log reads, and nothing else binds them.
   */
  async checkEntries(seen: SeenCheckpoint): Promise<void> {
    const size = seen.checkpoint.size;
    for (let n = 0; n * TILE_WIDTH < size; n++) {
      const width = tileWidthAt(0, n, size);
      const [bundle, tile] = await Promise.all([this.tile({ level: 'entries', n, width }), this.tile({ level: 0, n, width })]);
      const where = tilePath({ level: 'entries', n, width });
      let entries: Buffer[];
      try {
        entries = decodeBundle(bundle);
      } catch (e) {
        throw new LogProblem('LOG_TILES_INVALID', `${where}: ${(e as Error).message}`);
      }
      if (entries.length !== width) throw new LogProblem('LOG_TILES_INVALID', `${where} holds ${entries.length} entries, not ${width}`);
      if (tile.length !== width * 32)
        throw new LogProblem('LOG_TILES_INVALID', `${tilePath({ level: 0, n, width })} is ${tile.length} bytes, not ${width * 32}`);
      for (const [i, entry] of entries.entries()) {
        if (!leafHash(entry).equals(tile.subarray(i * 32, i * 32 + 32))) {
          throw new LogProblem('LOG_TILES_INVALID', `entry ${n * TILE_WIDTH + i} in ${where} does not hash to its leaf hash in the tiles`);
        }
      }
    }
  }

  /** Checks that `current` extends `previous` (same log), with a proof computed from the current tiles. */
  async checkConsistency(previous: SeenCheckpoint, current: SeenCheckpoint): Promise<void> {
    const old = previous.checkpoint;
    const now = current.checkpoint;
    const evidence = { previous: previous.note, current: current.note };
    if (old.size > now.size) throw new LogProblem('LOG_INCONSISTENT', `the log shrank from ${old.size} to ${now.size} entries`, evidence);
    if (old.size === now.size) {
      if (!old.root.equals(now.root))
        throw new LogProblem('LOG_INCONSISTENT', `two checkpoints of size ${old.size} with different roots`, evidence);
      return;
    }
    let proof: Hash[];
    try {
      proof = await consistencyProof(old.size, now.size, this.reader(now.size));
    } catch (e) {
      if (e instanceof LogProblem) throw e;
      throw new LogProblem('LOG_TILES_INVALID', `the tiles: ${(e as Error).message}`);
    }
    if (!verifyConsistency(old.size, now.size, old.root, now.root, proof)) {
      throw new LogProblem(
        'LOG_INCONSISTENT',
        `the checkpoint of size ${now.size} does not extend the one of size ${old.size} seen before`,
        evidence,
      );
    }
  }

  /**
   * The attestations the verifier serves for a .dsc, each checked: its
   * signature (with one of `attestationVkeys`, default the log key), that it is about
   * this .dsc, and its inclusion in `seen` (the proof is against the checkpoint
   * served with it, which must be `seen`'s or consistent with it).
   */
  async attestations(
    dscSha256: string,
    seen: SeenCheckpoint,
    attestationVkeys: string | readonly string[] = this.vkey,
  ): Promise<{ found: AttestationFound[]; rejected: AttestationRejected[] }> {
    const body = await get(`${this.base}/api/v1/attestations?dsc-sha256=${dscSha256}`, MAX_ATTESTATIONS_BYTES);
    let parsed: { checkpoint?: unknown; attestations?: unknown };
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch {
      throw new LogProblem('LOG_UNREACHABLE', 'the attestations answer is not JSON');
    }
    if (typeof parsed.checkpoint !== 'string' || !Array.isArray(parsed.attestations))
      throw new LogProblem('LOG_UNREACHABLE', 'the attestations answer lacks checkpoint or attestations');
    const served = this.open(parsed.checkpoint);
    // The proofs are against the served checkpoint; it must be the log the client checked.
    if (served.checkpoint.size >= seen.checkpoint.size) await this.checkConsistency(seen, served);
    else await this.checkConsistency(served, seen);
    const found: AttestationFound[] = [];
    const rejected: AttestationRejected[] = [];
    for (const item of parsed.attestations as unknown[]) {
      const a = (typeof item === 'object' && item !== null ? item : {}) as {
        index?: unknown;
        envelope?: unknown;
        inclusionProof?: unknown;
      };
      const index = typeof a.index === 'number' && Number.isSafeInteger(a.index) ? a.index : -1;
      if (typeof a.envelope !== 'string' || !Array.isArray(a.inclusionProof) || a.inclusionProof.some((p) => typeof p !== 'string')) {
        rejected.push({ index, code: 'ATTESTATION_NOT_IN_LOG', why: 'no envelope or inclusion proof' });
        continue;
      }
      const proof = (a.inclusionProof as string[]).map((p) => Buffer.from(p, 'base64'));
      if (!verifyInclusion(index, served.checkpoint.size, leafHash(Buffer.from(a.envelope, 'utf8')), proof, served.checkpoint.root)) {
        rejected.push({
          index,
          code: 'ATTESTATION_NOT_IN_LOG',
          why: `the inclusion proof of leaf ${index} does not verify against the checkpoint`,
        });
        continue;
      }
      const opened = openAttestation(a.envelope, attestationVkeys);
      if (!opened.ok) {
        rejected.push({ index, code: 'ATTESTATION_SIGNATURE_INVALID', why: opened.why });
        continue;
      }
      const dsc = opened.statement.subject[0];
      if (opened.statement.predicate.upload?.sha256 !== dscSha256 || dsc?.digest['sha256'] !== dscSha256) {
        rejected.push({ index, code: 'ATTESTATION_SIGNATURE_INVALID', why: 'the attestation is about another .dsc' });
        continue;
      }
      found.push({ index, statement: opened.statement, envelope: a.envelope });
    }
    return { found, rejected };
  }
}

/** The checkpoints last seen, one file per log key. */
export class SeenStore {
  constructor(readonly dir: string) {}

  private file(vkey: string): string {
    return join(this.dir, `${createHash('sha256').update(vkey.trim()).digest('hex').slice(0, 32)}.checkpoint`);
  }

  async load(client: LogClient): Promise<SeenCheckpoint | undefined> {
    let note: Buffer;
    try {
      note = await readFile(this.file(client.vkey));
    } catch {
      return undefined;
    }
    try {
      return client.open(note);
    } catch (e) {
      if (e instanceof LogProblem || e instanceof NoteError) return undefined;
      throw e;
    }
  }

  async save(client: LogClient, seen: SeenCheckpoint): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const target = this.file(client.vkey);
    await writeFile(`${target}.tmp`, seen.note);
    await rename(`${target}.tmp`, target);
  }
}

/**
 * A full check of one log: the checkpoint, its tiles, with `entries` every
 * entry bundle re-hashed, and consistency with the checkpoint last seen
 * (which it then replaces). Throws LogProblem.
 */
export async function auditLog(
  client: LogClient,
  state: SeenStore | undefined,
  options: { readonly entries?: boolean } = {},
): Promise<{ current: SeenCheckpoint; previous?: SeenCheckpoint }> {
  const current = await client.fetchCheckpoint();
  await client.checkTiles(current);
  if (options.entries === true) await client.checkEntries(current);
  const previous = await state?.load(client);
  if (previous !== undefined) await client.checkConsistency(previous, current);
  if (state !== undefined && (previous === undefined || current.checkpoint.size >= previous.checkpoint.size))
    await state.save(client, current);
  return { current, ...(previous !== undefined && { previous }) };
}
