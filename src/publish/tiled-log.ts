// The service's transparency log: one sequencer appending attestation
// envelopes in batches, tiles as plain files under the data directory
// (c2sp.org/tlog-tiles layout, servable by any static web server), and a
// signed checkpoint (c2sp.org/tlog-checkpoint) written last.
//
// Durability, in order, for each batch:
// 1. the leaves are committed to the store at the next indexes (the order is
//    the store's: see src/store/log-store.ts);
// 2. every tile and entry bundle of the new size is written durably;
// 3. the checkpoint is written durably; only then are the appends answered.
// A process killed anywhere re-reads its checkpoint, checks that its tiles
// rebuild the checkpoint's root, and integrates whatever leaves the store has
// beyond it, which gives the same tiles the batch would have: the published
// log only ever grows by the store's order, so it never forks.
//
// Partial entry bundles are kept only for the latest size (older widths are
// served by cutting the newest bundle, which begins with the same entries);
// partial hash tiles are kept for every checkpointed size.
import { formatCheckpoint, parseCheckpoint } from './checkpoint.js';
import { DurableFiles } from './durable-files.js';
import { consistencyProof, inclusionProof, treeHash, type Hash } from './merkle.js';
import { openNote, signNote, type NoteSigner, type NoteVerifier } from './signed-note.js';
import { appendEntries, EMPTY_EDGE, edgeRoot, tileHashes, type TreeEdge } from './tile-builder.js';
import { decodeBundle, encodeBundle, MAX_ENTRY_BYTES, TILE_WIDTH, tilePath, tileSubtreeReader, type TileCoord } from './tiles.js';
import type { LogLeaf, LogStore } from '../store/log-store.js';

export interface TiledLogOptions {
  /** The directory holding `checkpoint` and `tile/`. */
  readonly dir: string;
  readonly store: LogStore;
  readonly origin: string;
  readonly signer: NoteSigner;
  /** The verifier of the log's own key: the checkpoint found on start must verify with it. */
  readonly verifier: NoteVerifier;
  /** Most leaves in one batch. */
  readonly maxBatch?: number;
  /**
   * Asked for cosignature lines for each new checkpoint (witnesses); a
   * failure leaves the checkpoint without them.
   */
  readonly cosign?: (checkpoint: string, previousSize: number) => Promise<string[]>;
}

export interface CurrentCheckpoint {
  readonly size: number;
  readonly root: Hash;
  /** The signed note, as served at /log/checkpoint. */
  readonly note: string;
}

export class LogCorruptError extends Error {
  override readonly name = 'LogCorruptError';
}

interface Pending {
  readonly leaf: LogLeaf;
  readonly resolve: (index: number) => void;
  readonly reject: (error: Error) => void;
}

export class TiledLog {
  readonly #files: DurableFiles;
  readonly #opts: TiledLogOptions;
  #edge: TreeEdge = EMPTY_EDGE;
  #current: CurrentCheckpoint;
  #pending: Pending[] = [];
  #flushing: Promise<void> | undefined;
  #broken: Error | undefined;

  private constructor(opts: TiledLogOptions, current: CurrentCheckpoint) {
    this.#opts = opts;
    this.#files = new DurableFiles(opts.dir);
    this.#current = current;
  }

  /** Opens the log, checking its files against its checkpoint and integrating leaves a crash left behind. */
  static async open(opts: TiledLogOptions): Promise<TiledLog> {
    const files = new DurableFiles(opts.dir);
    const note = await files.read('checkpoint');
    const log = new TiledLog(opts, { size: 0, root: edgeRoot(EMPTY_EDGE), note: '' });
    if (note !== undefined) {
      let size: number;
      let root: Hash;
      try {
        const cp = parseCheckpoint(openNote(note, [opts.verifier]).text);
        if (cp.origin !== opts.origin) throw new LogCorruptError(`the checkpoint's origin is ${cp.origin}, not ${opts.origin}`);
        ({ size, root } = cp);
      } catch (e) {
        throw new LogCorruptError(`${opts.dir}/checkpoint: ${(e as Error).message} (a changed key or origin needs a new log directory)`);
      }
      log.#edge = await log.loadEdge(size);
      if (!edgeRoot(log.#edge).equals(root)) throw new LogCorruptError(`the tiles under ${opts.dir} do not rebuild the checkpoint's root`);
      log.#current = { size, root, note: note.toString('utf8') };
    }
    const count = await opts.store.leafCount();
    if (count < log.#current.size) {
      throw new LogCorruptError(`the store has ${count} log leaves but the checkpoint commits to ${log.#current.size}: refusing to fork the log`);
    }
    if (count > log.#current.size || note === undefined) {
      const entries = await opts.store.leaves(log.#current.size, count);
      await log.integrate(entries);
    }
    return log;
  }

  get current(): CurrentCheckpoint {
    return this.#current;
  }

  get origin(): string {
    return this.#opts.origin;
  }

  /** Reads the right edge of the tree of `size` from the tile files. */
  private async loadEdge(size: number): Promise<TreeEdge> {
    const partial: Buffer[][] = [];
    for (let level = 0; Math.floor(size / TILE_WIDTH ** level) > 0; level++) {
      const width = Math.floor(size / TILE_WIDTH ** level) % TILE_WIDTH;
      if (width === 0) {
        partial.push([]);
        continue;
      }
      const data = await this.readTile({ level, n: Math.floor(size / TILE_WIDTH ** (level + 1)), width });
      if (data === undefined) throw new LogCorruptError(`tile level ${level} of size ${size} is missing`);
      partial.push(tileHashes(data));
    }
    while (partial.length > 0 && (partial.at(-1) ?? []).length === 0) partial.pop();
    let partialEntries: Buffer[] = [];
    if (size % TILE_WIDTH > 0) {
      const bundle = await this.readTile({ level: 'entries', n: Math.floor(size / TILE_WIDTH), width: size % TILE_WIDTH });
      if (bundle === undefined) throw new LogCorruptError(`the entry bundle of size ${size} is missing`);
      partialEntries = decodeBundle(bundle).map((e) => Buffer.from(e));
    }
    return { size, partial, partialEntries };
  }

  /**
   * A tile or entry bundle as served: the file itself, or, for a partial
   * width whose file is gone, the first `width` hashes or entries of a wider
   * one. Undefined when the log has no such tile.
   */
  async readTile(coord: TileCoord): Promise<Buffer | undefined> {
    const exact = await this.#files.read(tilePath(coord));
    if (exact !== undefined) return exact;
    if (coord.width === TILE_WIDTH) return undefined;
    let wider = await this.#files.read(tilePath({ ...coord, width: TILE_WIDTH }));
    if (wider === undefined) {
      const dir = `${tilePath({ ...coord, width: TILE_WIDTH })}.p`;
      const widths = (await this.#files.list(dir)).filter((w) => /^[0-9]{1,3}$/.test(w)).map(Number).filter((w) => w > coord.width);
      if (widths.length === 0) return undefined;
      wider = await this.#files.read(`${dir}/${Math.max(...widths)}`);
      if (wider === undefined) return undefined;
    }
    if (coord.level === 'entries') return encodeBundle(decodeBundle(wider).slice(0, coord.width));
    return wider.subarray(0, coord.width * 32);
  }

  /** Appends one entry; resolves with its index once a checkpoint that includes it is durable. */
  append(leaf: LogLeaf): Promise<number> {
    if (this.#broken !== undefined) return Promise.reject(this.#broken);
    if (leaf.entry.length > MAX_ENTRY_BYTES) return Promise.reject(new RangeError(`a log entry is at most ${MAX_ENTRY_BYTES} bytes`));
    return new Promise((resolve, reject) => {
      this.#pending.push({ leaf, resolve, reject });
      this.#flushing ??= this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    // Let appends made in the same turn join the first batch.
    await new Promise((r) => setImmediate(r));
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#opts.maxBatch ?? 1024);
      const start = this.#edge.size;
      try {
        if (this.#broken !== undefined) throw this.#broken;
        await this.#opts.store.appendLeaves(start, batch.map((p) => p.leaf));
        try {
          await this.integrate(batch.map((p) => p.leaf.entry));
        } catch (e) {
          // The leaves are in the store but not in the tiles: stop appending;
          // a restart integrates them.
          this.#broken = new Error(`the log stopped after a failed write (restart to recover): ${(e as Error).message}`);
          throw e;
        }
        batch.forEach((p, i) => p.resolve(start + i));
      } catch (e) {
        if ((e as Error).name === 'LogOrderError') this.#broken = e as Error;
        for (const p of batch) p.reject(e as Error);
      }
    }
    this.#flushing = undefined;
  }

  private async integrate(entries: readonly Buffer[]): Promise<void> {
    const previous = this.#edge;
    const { edge, tiles } = appendEntries(previous, entries);
    await Promise.all(tiles.map((t) => this.#files.write(t.path, t.data)));
    const root = edgeRoot(edge);
    const text = formatCheckpoint({ origin: this.#opts.origin, size: edge.size, root, extensions: [] });
    let note = signNote(text, [this.#opts.signer]);
    if (this.#opts.cosign !== undefined) {
      const lines = await this.#opts.cosign(note, this.#current.size).catch(() => []);
      if (lines.length > 0) note = signNote(text, [this.#opts.signer], lines);
    }
    await this.#files.write('checkpoint', note);
    this.#edge = edge;
    this.#current = { size: edge.size, root, note };
    // The previous partial entry bundle is superseded by the new one (or by the full bundle).
    const oldWidth = previous.partialEntries.length;
    const oldN = Math.floor(previous.size / TILE_WIDTH);
    const newN = Math.floor(edge.size / TILE_WIDTH);
    if (oldWidth > 0 && (oldN !== newN || edge.partialEntries.length !== oldWidth)) {
      await this.#files.remove(tilePath({ level: 'entries', n: oldN, width: oldWidth }));
    }
  }

  /** Waits for appends under way. */
  async drain(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
  }

  private reader(size: number) {
    return tileSubtreeReader(size, async (coord) => {
      const data = await this.readTile(coord);
      if (data === undefined) throw new LogCorruptError(`${tilePath(coord)} is missing`);
      return data;
    });
  }

  async inclusionProof(index: number, size: number): Promise<Hash[]> {
    return inclusionProof(index, size, this.reader(size));
  }

  async consistencyProof(from: number, to: number): Promise<Hash[]> {
    return consistencyProof(from, to, this.reader(to));
  }

  async rootAt(size: number): Promise<Hash> {
    return treeHash(size, this.reader(size));
  }
}
