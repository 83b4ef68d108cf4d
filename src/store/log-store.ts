// The transparency log's leaf order (docs/transparency.md): each leaf is an
// attestation envelope at a fixed index. The order is committed here, in the
// store, before any tile is written, so the tiles and checkpoints built from
// it are a function of this table: a process killed at any point rebuilds the
// same tiles on restart and never forks its log. `appendLeaves` only extends
// the table contiguously (start must be the current count), in one durable
// commit, so two sequencers racing cannot both succeed. Indexes are
// contiguous from 0, so the count is the greatest index plus one.
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

export class LogOrderError extends Error {
  override readonly name = 'LogOrderError';
}

export interface LogStore {
  /**
   * Stores `leaves` at indexes start, start + 1, … in one durable commit.
   * Throws LogOrderError (nothing stored) unless `start` is the current count.
   */
  appendLeaves(start: number, leaves: readonly LogLeaf[]): Promise<void>;
  leafCount(): Promise<number>;
  /** The entries at indexes [from, to). */
  leaves(from: number, to: number): Promise<Buffer[]>;
  /** Indexes of the leaves about this .dsc, oldest first, at most `limit`. */
  indexesForDsc(sha256: string, limit: number): Promise<number[]>;
  /** Which of these jobs have an attestation in the log. */
  jobsLogged(jobIds: readonly string[]): Promise<Set<string>>;
  close(): Promise<void>;
}
