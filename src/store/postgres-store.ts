// The PostgreSQL store: one queue shared by `t2u-verify worker` processes on
// several machines. Claims use `SELECT … FOR UPDATE SKIP LOCKED` in a
// transaction (claimers skip each other's rows instead of waiting); leases are
// timestamps of the server's clock (`now()`), so workers' clocks never matter.
//
// Why not pg-boss 10 or graphile-worker 0.17: both are sound queues, but here
// the jobs table is also the record of verdicts that the API and dashboard
// filter (by source, version, verdict, time) and must behave the same in the
// SQLite store. A library queue would be a second table of truth beside ours,
// kept in step across two schemas, with its own retention deleting or
// archiving what we must keep. Its guarantees also differ from ours where it
// matters: graphile-worker treats a lock as stale only after a fixed 4 hours,
// far longer than a verification lease; pg-boss 10 gives a job an expiry
// deadline, not a lease a worker extends while a long build runs, and its
// "one active per key" needs a singleton queue policy. Our rules (dedupe by
// delivery key or by tag object, one running job per tag, a fresh lease token
// per claim, retries with backoff) take a few statements on one table, all
// enforced by indexes in the database, and the same statements port to SQLite.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import {
  alarmMessage,
  backoffMs,
  boundedLogText,
  listLimit,
  packageOf,
  resolveOptions,
  type Alarm,
  type AttemptLog,
  type AttemptLogEntry,
  type AttemptLogInput,
  type ClaimOptions,
  type ClaimedJob,
  type CompleteInput,
  type EnqueueRequest,
  type EnqueueResult,
  type FailInput,
  type FailResult,
  type Job,
  type JobFilter,
  type JobVerdict,
  type QueueDepth,
  type Store,
  type StoreOptions,
  type SummaryCount,
  type SummaryQuery,
  type TagSighting,
} from './store.js';
import { jobOfRow, type JobRow as GenericJobRow } from './job-row.js';

/** Serialises migrations of workers starting together (an arbitrary constant: "t2uv"). */
const MIGRATION_LOCK = 0x74327576;

const MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE jobs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        repo text NOT NULL,
        tag text NOT NULL,
        tag_object text,
        upload text,
        source text NOT NULL CHECK (source IN ('webhook', 'api', 'archive')),
        idempotency_key text,
        version text,
        status text NOT NULL CHECK (status IN ('queued', 'running', 'done')),
        attempts integer NOT NULL DEFAULT 0,
        max_attempts integer NOT NULL,
        run_at timestamptz NOT NULL DEFAULT now(),
        lease_owner text,
        lease_token text,
        lease_expires_at timestamptz,
        verdict text,
        report json,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz
      );
      CREATE UNIQUE INDEX jobs_idempotency_key ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
      CREATE UNIQUE INDEX jobs_tag_object ON jobs (repo, tag, tag_object, coalesce(upload, '')) WHERE tag_object IS NOT NULL;
      CREATE UNIQUE INDEX jobs_pending_by_name ON jobs (repo, tag, coalesce(upload, '')) WHERE tag_object IS NULL AND status <> 'done';
      CREATE UNIQUE INDEX jobs_running_tag ON jobs (repo, tag) WHERE status = 'running';
      CREATE INDEX jobs_claimable ON jobs (run_at, id) WHERE status = 'queued';
      CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE status = 'running';
      CREATE INDEX jobs_created ON jobs (created_at);
      CREATE TABLE ledger_tags (
        repo text NOT NULL,
        tag_name text NOT NULL,
        tag_object text NOT NULL,
        first_seen timestamptz NOT NULL DEFAULT now(),
        last_seen timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (repo, tag_name, tag_object)
      );
      CREATE INDEX ledger_tags_object ON ledger_tags (tag_object);
      CREATE TABLE ledger_upstream (
        upstream_commit text NOT NULL,
        upstream_tree text NOT NULL,
        repo text NOT NULL,
        tag_name text NOT NULL,
        first_seen timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (upstream_commit, upstream_tree)
      );
    `,
  },
  {
    version: 2,
    sql: 'CREATE INDEX jobs_by_tag_object ON jobs (tag_object) WHERE tag_object IS NOT NULL;',
  },
  {
    // The source package of each job, for listing by package; existing jobs take it from their reports.
    version: 3,
    sql: `
      ALTER TABLE jobs ADD COLUMN package text;
      UPDATE jobs SET package = report->'source'->>'package'
        WHERE json_typeof(report) = 'object' AND json_typeof(report->'source') = 'object'
          AND json_typeof(report->'source'->'package') = 'string'
          AND report->'source'->>'package' ~ '^[a-z0-9][a-z0-9+.-]{1,199}$';
      CREATE INDEX jobs_by_package ON jobs (package, created_at) WHERE package IS NOT NULL;
    `,
  },
  {
    // The summary counts done jobs per period and verdict by their finish time: an index range scan.
    version: 4,
    sql: 'CREATE INDEX jobs_finished ON jobs (status, finished_at, verdict);',
  },
  {
    // What each attempt printed (at most MAX_ATTEMPT_LOG_BYTES).
    version: 5,
    sql: `
      CREATE TABLE job_logs (
        job_id bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        attempt integer NOT NULL,
        log text NOT NULL,
        truncated boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_id, attempt)
      );
    `,
  },
];

type JobRow = GenericJobRow<string, Date, unknown>;

/** Postgres answers timestamptz as a Date and a json column parsed. */
const toJob = (row: JobRow): Job =>
  jobOfRow(
    row,
    (d) => d,
    (report) => report,
  );

const UNIQUE_VIOLATION = '23505';

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === UNIQUE_VIOLATION;
}

const CLEAR_LEASE = 'lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL';

export interface PostgresStoreLocation {
  /** A `postgres://` or `postgresql://` connection URL. */
  readonly url: string;
  /** Connections kept by this process (default 10). */
  readonly poolSize?: number;
}

/** The WHERE clause of a job filter, with its positional parameters. */
function whereOf(filter: JobFilter): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown): void => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.status !== undefined) add('status = ?', filter.status);
  if (filter.intake !== undefined) add('source = ?', filter.intake);
  if (filter.version !== undefined) add('version = ?', filter.version);
  if (filter.verdict !== undefined) add('verdict = ?', filter.verdict);
  if (filter.repo !== undefined) add('repo = ?', filter.repo);
  if (filter.package !== undefined) add('package = ?', filter.package);
  if (filter.tagObject !== undefined) add('tag_object = ?', filter.tagObject);
  if (filter.since !== undefined) add('created_at >= ?', filter.since);
  if (filter.until !== undefined) add('created_at < ?', filter.until);
  return { where: where.length > 0 ? `WHERE ${where.join(' AND ')}` : '', params };
}

export class PostgresStore implements Store {
  private readonly pool: pg.Pool;
  private readonly options: Required<StoreOptions>;

  private constructor(pool: pg.Pool, options: Required<StoreOptions>) {
    this.pool = pool;
    this.options = options;
  }

  /** Connects and applies pending migrations. */
  static async open(location: PostgresStoreLocation, options?: StoreOptions): Promise<PostgresStore> {
    const pool = new pg.Pool({ connectionString: location.url, max: location.poolSize ?? 10 });
    // An idle client's error (the server restarting) must not crash the process;
    // the next query on the pool reconnects or fails with the error.
    pool.on('error', () => undefined);
    const store = new PostgresStore(pool, resolveOptions(options));
    try {
      await store.migrate();
    } catch (error) {
      await pool.end();
      throw error;
    }
    return store;
  }

  private async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async migrate(): Promise<void> {
    await this.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await c.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const applied = new Set((await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
      for (const m of MIGRATIONS) {
        if (applied.has(m.version)) continue;
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version]);
      }
    });
  }

  async enqueue(request: EnqueueRequest): Promise<EnqueueResult> {
    const obj = request.tagObject ?? null;
    const upload = request.upload ?? null;
    // ON CONFLICT without a target covers every unique index; it waits for a
    // concurrent insert of the same key to commit, then does nothing. The
    // existing row is read in a later statement, which sees that commit. A
    // pending name-only job can finish in between: then insert again.
    for (let round = 0; round < 5; round++) {
      const inserted = await this.pool.query<{ id: string }>(
        `INSERT INTO jobs (repo, tag, tag_object, upload, source, idempotency_key, version, status, max_attempts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8) ON CONFLICT DO NOTHING RETURNING id`,
        [
          request.repo,
          request.tag,
          obj,
          upload,
          request.intake,
          request.idempotencyKey ?? null,
          request.version ?? null,
          this.options.maxAttempts,
        ],
      );
      const row = inserted.rows[0];
      if (row !== undefined) return { id: String(row.id), created: true };
      const existing = await this.pool.query<{ id: string }>(
        `SELECT id FROM jobs WHERE idempotency_key = $1
           OR (tag_object IS NOT NULL AND repo = $2 AND tag = $3 AND tag_object = $4 AND coalesce(upload, '') = $5)
           OR (tag_object IS NULL AND $4::text IS NULL AND repo = $2 AND tag = $3 AND coalesce(upload, '') = $5 AND status <> 'done')
         ORDER BY (idempotency_key IS NOT DISTINCT FROM $1) DESC, id LIMIT 1`,
        [request.idempotencyKey ?? null, request.repo, request.tag, obj, upload ?? ''],
      );
      const found = existing.rows[0];
      if (found !== undefined) return { id: String(found.id), created: false };
    }
    throw new Error('enqueue: the conflicting job vanished five times');
  }

  async claim(options: ClaimOptions): Promise<ClaimedJob[]> {
    if (options.limit <= 0) return [];
    // Another claimer may start a queued job of the same (repo, tag) after
    // this transaction's snapshot: the unique index on running jobs then
    // refuses the claim, and a new attempt sees that job running and skips it.
    for (let round = 0; ; round++) {
      try {
        return await this.transaction((c) => this.claimOnce(c, options));
      } catch (error) {
        if (!isUniqueViolation(error) || round === 4) throw error;
      }
    }
  }

  private async claimOnce(c: pg.PoolClient, options: ClaimOptions): Promise<ClaimedJob[]> {
    const leaseMs = options.leaseMs ?? this.options.leaseMs;
    // A job whose every attempt ended with its worker's lease expiring (a
    // build that kills the worker each time) fails for good.
    await c.query(
      `UPDATE jobs SET status = 'done', verdict = 'unverifiable', finished_at = now(),
         last_error = 'the worker stopped renewing its lease on the last attempt', ${CLEAR_LEASE}
       WHERE id IN (SELECT id FROM jobs WHERE status = 'running' AND lease_expires_at <= now()
                      AND attempts >= max_attempts FOR UPDATE SKIP LOCKED)`,
    );
    // Expired leases first, then queued jobs in run order, each read through
    // its partial index so a claim costs the same whatever the queue's length.
    // FOR UPDATE cannot be combined with GROUP BY, so take a few more rows
    // than needed and keep the first per (repo, tag) here.
    const candidates = await c.query<{ id: string; repo: string; tag: string }>(
      `WITH expired AS (
         SELECT id, repo, tag FROM jobs WHERE status = 'running' AND lease_expires_at <= now()
         ORDER BY lease_expires_at LIMIT $1 FOR UPDATE SKIP LOCKED
       ), ready AS (
         SELECT id, repo, tag FROM jobs j WHERE status = 'queued' AND run_at <= now()
           AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.status = 'running' AND r.repo = j.repo AND r.tag = j.tag)
         ORDER BY run_at, id LIMIT $1 FOR UPDATE SKIP LOCKED
       )
       SELECT * FROM expired UNION ALL SELECT * FROM ready`,
      [options.limit * 4],
    );
    const seen = new Set<string>();
    const chosen: string[] = [];
    for (const r of candidates.rows) {
      const key = JSON.stringify([r.repo, r.tag]);
      if (seen.has(key)) continue;
      seen.add(key);
      chosen.push(r.id);
      if (chosen.length === options.limit) break;
    }
    if (chosen.length === 0) return [];
    const claimed = await c.query<JobRow>(
      `UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = $1, lease_token = c.token,
         lease_expires_at = now() + $2::bigint * interval '1 millisecond', started_at = now()
       FROM unnest($3::bigint[], $4::text[]) AS c(id, token) WHERE jobs.id = c.id RETURNING jobs.*`,
      [options.workerId, leaseMs, chosen, chosen.map(() => randomUUID())],
    );
    return claimed.rows.map((row) => ({ ...toJob(row), leaseToken: row.lease_token ?? '' }));
  }

  async heartbeat(id: string, leaseToken: string, leaseMs?: number): Promise<boolean> {
    if (!/^[0-9]+$/.test(id)) return false;
    const r = await this.pool.query(
      `UPDATE jobs SET lease_expires_at = now() + $3::bigint * interval '1 millisecond'
       WHERE id = $1 AND lease_token = $2 AND status = 'running'`,
      [id, leaseToken, leaseMs ?? this.options.leaseMs],
    );
    return r.rowCount === 1;
  }

  async complete(id: string, leaseToken: string, input: CompleteInput): Promise<boolean> {
    if (!/^[0-9]+$/.test(id)) return false;
    // The row lock orders this against a concurrent reclaim: after a reclaim
    // commits, the token no longer matches and nothing is written.
    const r = await this.pool.query(
      `UPDATE jobs SET status = 'done', verdict = $3, report = $4::json, version = coalesce($5, version), package = coalesce($6, package), finished_at = now(),
         last_error = NULL, ${CLEAR_LEASE}
       WHERE id = $1 AND lease_token = $2 AND status = 'running'`,
      [id, leaseToken, input.verdict, JSON.stringify(input.report ?? null), input.version ?? null, packageOf(input.report)],
    );
    return r.rowCount === 1;
  }

  async handBack(id: string, leaseToken: string, why: string): Promise<boolean> {
    if (!/^[0-9]+$/.test(id)) return false;
    const r = await this.pool.query(
      `UPDATE jobs SET status = 'queued', run_at = now(), attempts = greatest(attempts - 1, 0), last_error = $3, ${CLEAR_LEASE}
       WHERE id = $1 AND lease_token = $2 AND status = 'running'`,
      [id, leaseToken, why],
    );
    return r.rowCount === 1;
  }

  async fail(id: string, leaseToken: string, input: FailInput): Promise<FailResult> {
    if (!/^[0-9]+$/.test(id)) return { outcome: 'lease-lost' };
    return this.transaction(async (c): Promise<FailResult> => {
      const r = await c.query<{ attempts: number; max_attempts: number }>(
        `SELECT attempts, max_attempts FROM jobs WHERE id = $1 AND lease_token = $2 AND status = 'running' FOR UPDATE`,
        [id, leaseToken],
      );
      const row = r.rows[0];
      if (row === undefined) return { outcome: 'lease-lost' };
      if (input.retryable && row.attempts < row.max_attempts) {
        const delay = backoffMs(row.attempts, this.options);
        const u = await c.query<{ run_at: Date }>(
          `UPDATE jobs SET status = 'queued', run_at = now() + $2::bigint * interval '1 millisecond', last_error = $3, ${CLEAR_LEASE}
           WHERE id = $1 RETURNING run_at`,
          [id, delay, input.error],
        );
        return { outcome: 'retry', runAt: u.rows[0]?.run_at ?? new Date(Date.now() + delay) };
      }
      await c.query(
        `UPDATE jobs SET status = 'done', verdict = 'unverifiable', report = $2::json, package = coalesce($4, package), last_error = $3, finished_at = now(), ${CLEAR_LEASE}
         WHERE id = $1`,
        [id, input.report === undefined ? null : JSON.stringify(input.report), input.error, packageOf(input.report)],
      );
      return { outcome: 'failed' };
    });
  }

  async get(id: string): Promise<Job | undefined> {
    if (!/^[0-9]+$/.test(id)) return undefined;
    const r = await this.pool.query<JobRow>('SELECT * FROM jobs WHERE id = $1', [id]);
    const row = r.rows[0];
    return row === undefined ? undefined : toJob(row);
  }

  async list(filter: JobFilter = {}): Promise<Job[]> {
    const { where, params } = whereOf(filter);
    params.push(listLimit(filter), Math.max(0, filter.offset ?? 0));
    const r = await this.pool.query<JobRow>(
      `SELECT * FROM jobs ${where} ORDER BY created_at DESC, id DESC LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    return r.rows.map(toJob);
  }

  async count(filter: JobFilter = {}): Promise<number> {
    const { where, params } = whereOf(filter);
    const r = await this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs ${where}`, params);
    return r.rows[0]?.n ?? 0;
  }

  async summary(query: SummaryQuery): Promise<SummaryCount[]> {
    // date_trunc on the UTC wall time: midnight, and ISO weeks from Monday,
    // as periodStart computes them.
    const r = await this.pool.query<{ start: Date; verdict: string; n: number }>(
      `SELECT date_trunc($1, finished_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS start, verdict, count(*)::int AS n FROM jobs
       WHERE status = 'done' AND finished_at >= $2 AND finished_at < $3 AND verdict IS NOT NULL
       GROUP BY 1, 2`,
      [query.period, query.since, query.until],
    );
    return r.rows.map((row) => ({ start: row.start, verdict: row.verdict as JobVerdict, count: row.n }));
  }

  async depth(): Promise<QueueDepth> {
    const r = await this.pool.query<{ ready: number; delayed: number; running: number }>(
      `SELECT count(*) FILTER (WHERE status = 'queued' AND run_at <= now())::int AS ready,
              count(*) FILTER (WHERE status = 'queued' AND run_at > now())::int AS delayed,
              count(*) FILTER (WHERE status = 'running')::int AS running
       FROM jobs WHERE status <> 'done'`,
    );
    const row = r.rows[0];
    return { ready: row?.ready ?? 0, delayed: row?.delayed ?? 0, running: row?.running ?? 0 };
  }

  async recordTagSeen(s: TagSighting): Promise<Alarm[]> {
    // Each insert commits before the reads that look for contradictions: of two
    // workers recording contradicting sightings at once, at least one reads
    // the other's committed row, so the alarm is never lost to the race.
    await this.pool.query(
      `INSERT INTO ledger_tags (repo, tag_name, tag_object) VALUES ($1, $2, $3)
       ON CONFLICT (repo, tag_name, tag_object) DO UPDATE SET last_seen = now()`,
      [s.repo, s.tagName, s.tagObject],
    );
    const withUpstream = s.upstreamCommit !== undefined && s.upstreamTree !== undefined;
    if (withUpstream) {
      await this.pool.query(
        `INSERT INTO ledger_upstream (upstream_commit, upstream_tree, repo, tag_name) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
        [s.upstreamCommit, s.upstreamTree, s.repo, s.tagName],
      );
    }
    const alarms: Alarm[] = [];
    const replays = await this.pool.query<{ repo: string; tag_name: string; first_seen: Date }>(
      'SELECT repo, tag_name, first_seen FROM ledger_tags WHERE tag_object = $1 AND repo <> $2 ORDER BY first_seen LIMIT 20',
      [s.tagObject, s.repo],
    );
    for (const r of replays.rows) {
      const previous = { repo: r.repo, tagName: r.tag_name, tagObject: s.tagObject, firstSeen: r.first_seen };
      alarms.push({ code: 'TAG_REPLAYED', message: alarmMessage('TAG_REPLAYED', s, previous), previous });
    }
    const moves = await this.pool.query<{ tag_object: string; first_seen: Date }>(
      'SELECT tag_object, first_seen FROM ledger_tags WHERE repo = $1 AND tag_name = $2 AND tag_object <> $3 ORDER BY first_seen LIMIT 20',
      [s.repo, s.tagName, s.tagObject],
    );
    for (const m of moves.rows) {
      const previous = { repo: s.repo, tagName: s.tagName, tagObject: m.tag_object, firstSeen: m.first_seen };
      alarms.push({ code: 'TAG_MOVED', message: alarmMessage('TAG_MOVED', s, previous), previous });
    }
    if (withUpstream) {
      const trees = await this.pool.query<{ upstream_tree: string; repo: string; tag_name: string; first_seen: Date }>(
        `SELECT upstream_tree, repo, tag_name, first_seen FROM ledger_upstream
         WHERE upstream_commit = $1 AND upstream_tree <> $2 ORDER BY first_seen LIMIT 20`,
        [s.upstreamCommit, s.upstreamTree],
      );
      for (const t of trees.rows) {
        const previous = {
          repo: t.repo,
          tagName: t.tag_name,
          upstreamCommit: s.upstreamCommit,
          upstreamTree: t.upstream_tree,
          firstSeen: t.first_seen,
        };
        alarms.push({ code: 'UPSTREAM_TREE_CHANGED', message: alarmMessage('UPSTREAM_TREE_CHANGED', s, previous), previous });
      }
    }
    return alarms;
  }

  async putAttemptLog(id: string, attempt: number, log: AttemptLogInput): Promise<void> {
    if (!/^[0-9]+$/.test(id)) throw new Error(`putAttemptLog: no job ${JSON.stringify(id)}`);
    // PostgreSQL text cannot hold NUL; the log is for reading, so it becomes U+FFFD.
    await this.pool.query(
      `INSERT INTO job_logs (job_id, attempt, log, truncated) VALUES ($1, $2, $3, $4)
       ON CONFLICT (job_id, attempt) DO UPDATE SET log = excluded.log, truncated = excluded.truncated, created_at = now()`,
      [id, attempt, boundedLogText(log.text).replaceAll('\0', '\uFFFD'), log.truncated],
    );
  }

  async getAttemptLog(id: string, attempt: number): Promise<AttemptLog | undefined> {
    if (!/^[0-9]+$/.test(id) || !Number.isSafeInteger(attempt)) return undefined;
    const r = await this.pool.query<{ log: string; truncated: boolean; created_at: Date }>(
      'SELECT log, truncated, created_at FROM job_logs WHERE job_id = $1 AND attempt = $2',
      [id, attempt],
    );
    const row = r.rows[0];
    return row === undefined ? undefined : { attempt, text: row.log, truncated: row.truncated, createdAt: row.created_at };
  }

  async attemptLogs(id: string): Promise<AttemptLogEntry[]> {
    if (!/^[0-9]+$/.test(id)) return [];
    const r = await this.pool.query<{ attempt: number; bytes: number; truncated: boolean; created_at: Date }>(
      'SELECT attempt, octet_length(log) AS bytes, truncated, created_at FROM job_logs WHERE job_id = $1 ORDER BY attempt',
      [id],
    );
    return r.rows.map((row) => ({ attempt: row.attempt, bytes: row.bytes, truncated: row.truncated, createdAt: row.created_at }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
