// The log's leaf order in PostgreSQL (log-store.ts): appends hold an
// exclusive lock on the table for their transaction, so the count they read
// is the count they extend. The sequencer lock is a session advisory lock,
// held on a connection of its own and dropped by the server when that
// connection ends (its process died).
import pg from 'pg';
import type { LogLeaf, LogStore } from './log-store.js';

/** The advisory lock's key: 't2uv' 'seq1' as a 64-bit integer. */
const SEQUENCER_LOCK_KEY = '8372883808837792049';
const MAX_WAIT_MS = 25;

export class PostgresLogStore implements LogStore {
  private constructor(private readonly pool: pg.Pool) {}

  static async open(url: string): Promise<PostgresLogStore> {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    pool.on('error', () => undefined);
    try {
      await pool.query(`
        CREATE TABLE IF NOT EXISTS log_leaves (
          idx bigint PRIMARY KEY,
          entry bytea NOT NULL,
          dsc_sha256 text,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX IF NOT EXISTS log_leaves_dsc ON log_leaves (dsc_sha256) WHERE dsc_sha256 IS NOT NULL;
        ALTER TABLE log_leaves ADD COLUMN IF NOT EXISTS job_id text;
        CREATE INDEX IF NOT EXISTS log_leaves_job ON log_leaves (job_id) WHERE job_id IS NOT NULL;
      `);
    } catch (error) {
      // Two processes creating the table at once: one wins, the other finds it.
      if ((error as { code?: string }).code !== '23505' && (error as { code?: string }).code !== '42P07') {
        await pool.end();
        throw error;
      }
    }
    return new PostgresLogStore(pool);
  }

  async appendLeaves(leaves: readonly LogLeaf[]): Promise<number> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('LOCK TABLE log_leaves IN EXCLUSIVE MODE');
      const count = Number((await c.query<{ n: string }>('SELECT coalesce(max(idx) + 1, 0) AS n FROM log_leaves')).rows[0]?.n ?? 0);
      const start = count;
      await c.query(
        'INSERT INTO log_leaves (idx, entry, dsc_sha256, job_id) SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::text[], $4::text[])',
        [leaves.map((_, i) => start + i), leaves.map((l) => l.entry), leaves.map((l) => l.dscSha256), leaves.map((l) => l.jobId ?? null)],
      );
      await c.query('COMMIT');
      return start;
    } catch (error) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      c.release();
    }
  }

  async leafCount(): Promise<number> {
    return Number((await this.pool.query<{ n: string }>('SELECT coalesce(max(idx) + 1, 0) AS n FROM log_leaves')).rows[0]?.n ?? 0);
  }

  async leaves(from: number, to: number): Promise<Buffer[]> {
    const r = await this.pool.query<{ entry: Buffer }>('SELECT entry FROM log_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx', [
      from,
      to,
    ]);
    return r.rows.map((row) => row.entry);
  }

  async indexesForDsc(sha256: string, limit: number): Promise<number[]> {
    const r = await this.pool.query<{ idx: string }>('SELECT idx FROM log_leaves WHERE dsc_sha256 = $1 ORDER BY idx LIMIT $2', [
      sha256,
      limit,
    ]);
    return r.rows.map((row) => Number(row.idx));
  }

  async jobsLogged(jobIds: readonly string[]): Promise<Set<string>> {
    const r = await this.pool.query<{ job_id: string }>('SELECT DISTINCT job_id FROM log_leaves WHERE job_id = ANY($1::text[])', [jobIds]);
    return new Set(r.rows.map((row) => row.job_id));
  }

  async withSequencer<T>(fn: () => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    let held = false;
    let stuck = false;
    try {
      for (let wait = 1; ; wait = Math.min(MAX_WAIT_MS, wait * 2)) {
        held = (await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [SEQUENCER_LOCK_KEY])).rows[0]?.ok === true;
        if (held) break;
        await new Promise((r) => setTimeout(r, wait));
      }
      return await fn();
    } finally {
      // A connection whose unlock failed is closed, not pooled: the server then drops its lock.
      if (held) await c.query('SELECT pg_advisory_unlock($1::bigint)', [SEQUENCER_LOCK_KEY]).catch(() => (stuck = true));
      c.release(stuck);
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
