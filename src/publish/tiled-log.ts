// The service's transparency log: attestation envelopes appended in batches,
// tiles as plain files under the data directory (c2sp.org/tlog-tiles layout,
// servable by any static web server), and a signed checkpoint
// (c2sp.org/tlog-checkpoint) written last.
//
// Durability, in order, for each batch:
// 1. the batch's leaves are committed to the store, which gives them the next
//    indexes, in one commit (the order is the store's: src/store/log-store.ts);
// 2. under the store's sequencer lock, every leaf the store holds beyond the
//    published checkpoint is turned into tiles and entry bundles, written
//    durably;
// 3. then the checkpoint, durably; only then are the appends answered.
// Several processes sharing the store and the log directory may append: each
// commits its own leaves (step 1, serialised by the database), and whoever
// holds the lock publishes everyone's (steps 2 and 3), first re-reading the
// checkpoint another holder may have written. Step 1 of the next batch runs
// while steps 2 and 3 of the previous one do.
// A process killed anywhere re-reads its checkpoint, checks that its tiles
// rebuild the checkpoint's root, and integrates whatever leaves the store has
// beyond it, which gives the same tiles the batch would have: the published
// log only ever grows by the store's order, so it never forks.
//
// A partial tile or entry bundle is deleted once the full one is durable and
// a checkpoint names it, as c2sp.org/tlog-tiles allows: without that, a log
// appended one entry per checkpoint would keep 255 partial bundles for each
// full one (each up to 255 entries), quadratic in the bundle's size. The
// service still answers a partial path a client of an older checkpoint asks
// for, by cutting the full tile or a wider partial one, which begins with the
// same hashes or entries; a static copy of the directory answers 404, and a
// client then reads the full tile (src/publish/log-client.ts does).
import { dirname } from 'node:path';
import { formatCheckpoint, parseCheckpoint } from './checkpoint.js';
import { DurableFiles, type Staged } from './durable-files.js';
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
  /** Most leaves committed to the store in one batch. */
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

/** A leaf committed to the store, waiting for a checkpoint that includes it. */
interface Sequenced {
  readonly index: number;
  readonly resolve: (index: number) => void;
  readonly reject: (error: Error) => void;
}

/** Where the time of the appends went, cumulated (bench/transparency.bench.ts prints it). */
export interface LogStats {
  /** Store commits (one per batch of appends) and the leaves they held. */
  commits: number;
  committedLeaves: number;
  commitMs: number;
  /** Checkpoints published, the leaves they added, and the time to publish them (tiles, then the checkpoint). */
  checkpoints: number;
  publishedLeaves: number;
  tilesMs: number;
  checkpointMs: number;
  /** fsync calls: one per file written (tiles, bundles, checkpoint) and one per directory they were renamed in. */
  fsyncs: number;
  /** Waiting for the sequencer lock. */
  lockMs: number;
}

/** Complete-subtree hashes kept for proofs (32 bytes each, plus the key). */
const MAX_CACHED_SUBTREES = 100_000;

/** Bytes of full tiles and bundles kept in memory for serving (fullTile). */
const MAX_CACHED_TILE_BYTES = 32 << 20;

/** Most leaves turned into tiles under one checkpoint (bounds memory when catching up). */
const MAX_INTEGRATE = 16_384;

export class TiledLog {
  readonly #files: DurableFiles;
  readonly #opts: TiledLogOptions;
  #edge: TreeEdge = EMPTY_EDGE;
  #current: CurrentCheckpoint;
  #pending: Pending[] = [];
  #sequenced: Sequenced[] = [];
  /** Entries this process committed and has not yet seen published, by index (saves reading them back). */
  readonly #local = new Map<number, Buffer>();
  /** Complete-subtree hashes already computed, by `level/n` (see reader). */
  readonly #subtrees = new Map<string, Hash>();
  /** Full tiles and bundles read, by path, least recently used first (fullTile). */
  readonly #tiles = new Map<string, Buffer>();
  #tileBytes = 0;
  #committing: Promise<void> | undefined;
  #publishing: Promise<void> | undefined;
  #broken: Error | undefined;
  readonly stats: LogStats = {
    commits: 0,
    committedLeaves: 0,
    commitMs: 0,
    checkpoints: 0,
    publishedLeaves: 0,
    tilesMs: 0,
    checkpointMs: 0,
    fsyncs: 0,
    lockMs: 0,
  };

  private constructor(opts: TiledLogOptions) {
    this.#opts = opts;
    this.#files = new DurableFiles(opts.dir);
    this.#current = { size: 0, root: edgeRoot(EMPTY_EDGE), note: '' };
  }

  /** Opens the log, checking its files against its checkpoint and integrating leaves a crash left behind. */
  static async open(opts: TiledLogOptions): Promise<TiledLog> {
    const log = new TiledLog(opts);
    await opts.store.withSequencer(async () => {
      const found = await log.syncFromDisk();
      await log.catchUp(!found);
    });
    return log;
  }

  /**
   * Adopts the checkpoint on disk when it is not the one this process last
   * published (another process sharing the store published since, or this
   * one just started): checks its signature and origin, that it does not go
   * back, and that the tiles rebuild its root. Returns whether there is one.
   */
  private async syncFromDisk(): Promise<boolean> {
    const note = await this.#files.read('checkpoint');
    if (note === undefined) {
      if (this.#current.size > 0) throw new LogCorruptError(`${this.#opts.dir}/checkpoint is gone`);
      return false;
    }
    const text = note.toString('utf8');
    if (text === this.#current.note) return true;
    let size: number;
    let root: Hash;
    try {
      const cp = parseCheckpoint(openNote(note, [this.#opts.verifier]).text);
      if (cp.origin !== this.#opts.origin) throw new LogCorruptError(`the checkpoint's origin is ${cp.origin}, not ${this.#opts.origin}`);
      ({ size, root } = cp);
    } catch (e) {
      throw new LogCorruptError(
        `${this.#opts.dir}/checkpoint: ${(e as Error).message} (a changed key or origin needs a new log directory)`,
      );
    }
    if (size < this.#current.size)
      throw new LogCorruptError(`${this.#opts.dir}/checkpoint went back from size ${this.#current.size} to ${size}`);
    const edge = await this.loadEdge(size);
    if (!edgeRoot(edge).equals(root)) throw new LogCorruptError(`the tiles under ${this.#opts.dir} do not rebuild the checkpoint's root`);
    this.#edge = edge;
    this.#current = { size, root, note: text };
    for (const i of this.#local.keys()) if (i < size) this.#local.delete(i);
    return true;
  }

  /**
   * Publishes every leaf the store holds beyond the current checkpoint (under
   * the sequencer lock). `always`: publish a checkpoint even with no new leaf
   * (a new, empty log).
   */
  private async catchUp(always = false): Promise<void> {
    const count = await this.#opts.store.leafCount();
    if (count < this.#edge.size) {
      throw new LogCorruptError(
        `the store has ${count} log leaves but the checkpoint commits to ${this.#edge.size}: refusing to fork the log`,
      );
    }
    if (count === this.#edge.size && always) await this.integrate([]);
    while (this.#edge.size < count) {
      const from = this.#edge.size;
      const to = Math.min(count, from + MAX_INTEGRATE);
      let entries: Buffer[] = [];
      for (let i = from; i < to; i++) {
        const mine = this.#local.get(i);
        if (mine === undefined) break;
        entries.push(mine);
      }
      if (entries.length < to - from) entries = await this.#opts.store.leaves(from, to);
      if (entries.length !== to - from) throw new LogCorruptError(`the store returned ${entries.length} leaves for [${from}, ${to})`);
      await this.integrate(entries);
      for (let i = from; i < to; i++) this.#local.delete(i);
    }
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
    if (coord.width === TILE_WIDTH) return this.fullTile(coord);
    const exact = await this.#files.read(tilePath(coord));
    if (exact !== undefined) return exact;
    let wider = await this.fullTile({ ...coord, width: TILE_WIDTH });
    if (wider === undefined) {
      const dir = `${tilePath({ ...coord, width: TILE_WIDTH })}.p`;
      const widths = (await this.#files.list(dir))
        .filter((w) => /^[0-9]{1,3}$/.test(w))
        .map(Number)
        .filter((w) => w > coord.width);
      if (widths.length === 0) return undefined;
      wider = await this.#files.read(`${dir}/${Math.max(...widths)}`);
      if (wider === undefined) return undefined;
    }
    if (coord.level === 'entries') return encodeBundle(decodeBundle(wider).slice(0, coord.width));
    return wider.subarray(0, coord.width * 32);
  }

  /**
   * A full tile or bundle. Full ones never change once written, so the most
   * recently read are kept in memory, up to MAX_CACHED_TILE_BYTES: serving
   * one then costs no file read (a bundle can be hundreds of kilobytes).
   */
  private async fullTile(coord: TileCoord): Promise<Buffer | undefined> {
    const path = tilePath(coord);
    const known = this.#tiles.get(path);
    if (known !== undefined) {
      this.#tiles.delete(path);
      this.#tiles.set(path, known);
      return known;
    }
    const data = await this.#files.read(path);
    if (data === undefined || data.length > MAX_CACHED_TILE_BYTES) return data;
    this.#tiles.set(path, data);
    this.#tileBytes += data.length;
    for (const [oldest, old] of this.#tiles) {
      if (this.#tileBytes <= MAX_CACHED_TILE_BYTES) break;
      this.#tiles.delete(oldest);
      this.#tileBytes -= old.length;
    }
    return data;
  }

  /** Appends one entry; resolves with its index once a checkpoint that includes it is durable. */
  append(leaf: LogLeaf): Promise<number> {
    if (this.#broken !== undefined) return Promise.reject(this.#broken);
    if (leaf.entry.length > MAX_ENTRY_BYTES) return Promise.reject(new RangeError(`a log entry is at most ${MAX_ENTRY_BYTES} bytes`));
    return new Promise((resolve, reject) => {
      this.#pending.push({ leaf, resolve, reject });
      this.#committing ??= this.commitLoop();
    });
  }

  /** Step 1: commits what was appended meanwhile, one store commit per batch. */
  private async commitLoop(): Promise<void> {
    // Let appends made in the same turn join the first batch.
    await new Promise((r) => setImmediate(r));
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#opts.maxBatch ?? 1024);
      try {
        if (this.#broken !== undefined) throw this.#broken;
        const t0 = performance.now();
        const start = await this.#opts.store.appendLeaves(batch.map((p) => p.leaf));
        this.stats.commits += 1;
        this.stats.committedLeaves += batch.length;
        this.stats.commitMs += performance.now() - t0;
        batch.forEach((p, i) => {
          this.#local.set(start + i, p.leaf.entry);
          this.#sequenced.push({ index: start + i, resolve: p.resolve, reject: p.reject });
        });
        this.#publishing ??= this.publishLoop();
      } catch (e) {
        for (const p of batch) p.reject(e as Error);
      }
    }
    this.#committing = undefined;
  }

  /** Steps 2 and 3: publishes checkpoints until every committed append of this process is in one. */
  private async publishLoop(): Promise<void> {
    while (this.#sequenced.length > 0) {
      try {
        const t0 = performance.now();
        await this.#opts.store.withSequencer(async () => {
          this.stats.lockMs += performance.now() - t0;
          await this.syncFromDisk();
          await this.catchUp();
        });
      } catch (e) {
        // Leaves are in the store but maybe not in the tiles: stop appending; a restart integrates them.
        this.#broken = new Error(`the log stopped after a failed write (restart to recover): ${(e as Error).message}`);
        for (const s of this.#sequenced.splice(0)) s.reject(e as Error);
        for (const p of this.#pending.splice(0)) p.reject(this.#broken);
        break;
      }
      const size = this.#current.size;
      const waiting: Sequenced[] = [];
      for (const s of this.#sequenced) {
        if (s.index < size) s.resolve(s.index);
        else waiting.push(s);
      }
      this.#sequenced = waiting;
    }
    this.#publishing = undefined;
  }

  private async integrate(entries: readonly Buffer[]): Promise<void> {
    const t0 = performance.now();
    const { edge, tiles } = appendEntries(this.#edge, entries);
    const root = edgeRoot(edge);
    const text = formatCheckpoint({ origin: this.#opts.origin, size: edge.size, root, extensions: [] });
    let note = signNote(text, [this.#opts.signer]);
    let staged: Staged | undefined;
    if (this.#opts.cosign === undefined) {
      // The checkpoint's bytes are known: write and fsync them beside the tiles, publish them after.
      [staged] = await Promise.all([this.#files.stage('checkpoint', note), this.#files.writeAll(tiles)]);
    } else {
      await this.#files.writeAll(tiles);
      // Witnesses check a consistency proof read from the tiles just written.
      const lines = await this.#opts.cosign(note, this.#current.size).catch(() => []);
      if (lines.length > 0) note = signNote(text, [this.#opts.signer], lines);
    }
    const t1 = performance.now();
    if (staged !== undefined) await staged.commit();
    else await this.#files.write('checkpoint', note);
    // The full tiles are durable and named by the checkpoint: their partial ones can go.
    await Promise.all(tiles.filter((t) => !t.path.includes('.p/')).map((t) => this.#files.removeTree(`${t.path}.p`)));
    this.#edge = edge;
    this.#current = { size: edge.size, root, note };
    this.stats.checkpoints += 1;
    this.stats.publishedLeaves += entries.length;
    this.stats.fsyncs += tiles.length + 1 + new Set(['.', ...tiles.map((t) => dirname(t.path))]).size;
    this.stats.tilesMs += t1 - t0;
    this.stats.checkpointMs += performance.now() - t1;
  }

  /** Waits for appends under way. */
  async drain(): Promise<void> {
    while (this.#committing !== undefined || this.#publishing !== undefined) {
      await this.#committing;
      await this.#publishing;
    }
  }

  /**
   * Reads complete-subtree hashes for proofs in a tree of `size`. The hash of
   * a complete subtree never changes as the log grows, so the ones computed
   * are kept (the most recent MAX_CACHED_SUBTREES): a proof then costs a few
   * lookups instead of tile reads and up to 255 hashes per subtree.
   */
  private reader(size: number) {
    const read = tileSubtreeReader(size, async (coord) => {
      const data = await this.readTile(coord);
      if (data === undefined) throw new LogCorruptError(`${tilePath(coord)} is missing`);
      return data;
    });
    return async (level: number, n: number): Promise<Hash> => {
      const key = `${level}/${n}`;
      const known = this.#subtrees.get(key);
      if (known !== undefined) return known;
      const hash = await read(level, n);
      if (this.#subtrees.size >= MAX_CACHED_SUBTREES) this.#subtrees.delete(this.#subtrees.keys().next().value as string);
      this.#subtrees.set(key, hash);
      return hash;
    };
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
