// The transparency log's leaf order (docs/transparency.md): each leaf is an
// attestation envelope at a fixed index. The order is committed here, in the
// store, before any tile is written, so the tiles and checkpoints built from
// it are a function of this table: a process killed at any point rebuilds the
// same tiles on restart and never forks its log.
//
// Any number of writers (processes, connections) append: the store gives each
// batch the next indexes in one durable commit, appends being serialised by
// the database, so indexes are contiguous from 0 and a reader never sees a
// gap (the count is the greatest index plus one). Turning the table into
// tiles and a checkpoint is done by one writer at a time, under the
// sequencer lock, which the database releases when its holder dies.
//
// A table of its own (created if absent), beside the job queue and with its
// own connection, in the same SQLite file or PostgreSQL database.
export interface LogLeaf {
  /** The entry bytes (an attestation's DSSE envelope JSON). */
  readonly entry: Buffer;
  /** The .dsc the attestation is about, to find it again (lower-case hex). */
  readonly dscSha256: string | null;
  /** The job whose verdict it attests, when there is one. */
  readonly jobId?: string | null;
}

export interface LogStore {
  /** Stores `leaves` at the next indexes in one durable commit; resolves with the first one's index. */
  appendLeaves(leaves: readonly LogLeaf[]): Promise<number>;
  leafCount(): Promise<number>;
  /** The entries at indexes [from, to). */
  leaves(from: number, to: number): Promise<Buffer[]>;
  /** Indexes of the leaves about this .dsc, oldest first, at most `limit`. */
  indexesForDsc(sha256: string, limit: number): Promise<number[]>;
  /** Which of these jobs have an attestation in the log. */
  jobsLogged(jobIds: readonly string[]): Promise<Set<string>>;
  /**
   * Runs `fn` holding the sequencer lock: one holder at a time across every
   * process and connection of this store, released when `fn` settles or its
   * holder's process dies.
   */
  withSequencer<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
