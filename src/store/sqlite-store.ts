// The SQLite store: one file under the data directory, zero set-up, the
// default. WAL mode lets readers (the dashboard) run beside the one writer;
// every write is a `BEGIN IMMEDIATE` transaction, so several processes on one
// machine may share the file (SQLite serialises writers, busy_timeout makes
// them wait instead of failing). Times are the local clock in ms since the
// epoch: all users of the file are on one machine. For several machines use
// the PostgreSQL store.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  alarmMessage,
  backoffMs,
  FIRST_MONDAY_MS,
  PERIOD_MS,
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
  type EnqueueOutcome,
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
import { hasTable, migrateOnce, openSqlite, type WalCheckpoints } from './sqlite-connection.js';

export const SQLITE_FILE_NAME = 't2u-verify.sqlite';

/** Versioned migrations: applied in order, each once, recorded in schema_migrations. */
const MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        repo TEXT NOT NULL,
        tag TEXT NOT NULL,
        tag_object TEXT,
        upload TEXT,
        source TEXT NOT NULL CHECK (source IN ('webhook', 'api', 'archive')),
        idempotency_key TEXT,
        version TEXT,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done')),
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        run_at INTEGER NOT NULL,
        lease_owner TEXT,
        lease_token TEXT,
        lease_expires_at INTEGER,
        verdict TEXT,
        report TEXT,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER
      );
      CREATE UNIQUE INDEX jobs_idempotency_key ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
      CREATE UNIQUE INDEX jobs_tag_object ON jobs (repo, tag, tag_object, coalesce(upload, '')) WHERE tag_object IS NOT NULL;
      CREATE UNIQUE INDEX jobs_pending_by_name ON jobs (repo, tag, coalesce(upload, '')) WHERE tag_object IS NULL AND status <> 'done';
      CREATE UNIQUE INDEX jobs_running_tag ON jobs (repo, tag) WHERE status = 'running';
      CREATE INDEX jobs_claimable ON jobs (status, run_at);
      CREATE INDEX jobs_created ON jobs (created_at);
      CREATE TABLE ledger_tags (
        repo TEXT NOT NULL,
        tag_name TEXT NOT NULL,
        tag_object TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        PRIMARY KEY (repo, tag_name, tag_object)
      );
      CREATE INDEX ledger_tags_object ON ledger_tags (tag_object);
      CREATE TABLE ledger_upstream (
        upstream_commit TEXT NOT NULL,
        upstream_tree TEXT NOT NULL,
        repo TEXT NOT NULL,
        tag_name TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
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
      ALTER TABLE jobs ADD COLUMN package TEXT;
      UPDATE jobs SET package = json_extract(report, '$.source.package')
        WHERE json_valid(report) AND json_type(report, '$.source.package') = 'text'
          AND json_extract(report, '$.source.package') GLOB '[a-z0-9][a-z0-9+.-]*'
          AND NOT json_extract(report, '$.source.package') GLOB '*[^a-z0-9+.-]*'
          AND length(json_extract(report, '$.source.package')) BETWEEN 2 AND 200;
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
        job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        attempt INTEGER NOT NULL,
        log TEXT NOT NULL,
        truncated INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (job_id, attempt)
      );
    `,
  },
];

type JobRow = GenericJobRow<number, number, string | null>;

/** SQLite keeps times as milliseconds since the epoch and the report as JSON text. */
const toJob = (row: JobRow): Job =>
  jobOfRow(
    row,
    (ms) => new Date(ms),
    (report) => (report === null ? null : (JSON.parse(report) as unknown)),
  );

export interface SqliteStoreLocation {
  /** The data directory; the database is `t2u-verify.sqlite` in it. */
  readonly dataDir?: string;
  /** An explicit database file (overrides dataDir). */
  readonly file?: string;
  /** Who checkpoints the WAL (sqlite-connection.ts); default: `on-commit`. */
  readonly walCheckpoints?: WalCheckpoints;
}

/** The WHERE clause of a job filter, with its named parameters. */
function whereOf(filter: JobFilter): { where: string; params: Record<string, string | number> } {
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  const eq = (column: string, value: string | undefined): void => {
    if (value === undefined) return;
    where.push(`${column} = @${column}`);
    params[column] = value;
  };
  eq('status', filter.status);
  eq('source', filter.intake);
  eq('version', filter.version);
  eq('verdict', filter.verdict);
  eq('repo', filter.repo);
  eq('package', filter.package);
  eq('tag_object', filter.tagObject);
  if (filter.since !== undefined) {
    where.push('created_at >= @since');
    params.since = filter.since.getTime();
  }
  if (filter.until !== undefined) {
    where.push('created_at < @until');
    params.until = filter.until.getTime();
  }
  return { where: where.length > 0 ? `WHERE ${where.join(' AND ')}` : '', params };
}

export class SqliteStore implements Store {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly options: Required<StoreOptions>;
  /** Each statement prepared once (the SQL texts are this module's, a bounded set): preparing again each time took 5% of the store thread's time under a webhook flood. */
  readonly #statements = new Map<string, Database.Statement>();

  constructor(location: SqliteStoreLocation, options?: StoreOptions) {
    if (location.file === undefined && location.dataDir === undefined) throw new Error('SqliteStore: dataDir or file is required');
    if (location.file === undefined && location.dataDir !== undefined) mkdirSync(location.dataDir, { recursive: true, mode: 0o700 });
    this.file = location.file ?? join(location.dataDir ?? '.', SQLITE_FILE_NAME);
    this.options = resolveOptions(options);
    // WAL with synchronous=NORMAL can lose the last transactions on power loss
    // (not on a process crash); a webhook is acknowledged only after its job
    // is persisted, so keep FULL.
    this.db = openSqlite(this.file, 'FULL', location.walCheckpoints);
    this.migrate();
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  private migrate(): void {
    const applied = (): Set<number> =>
      new Set((this.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
    migrateOnce(
      this.db,
      () => {
        if (!hasTable(this.db, 'schema_migrations')) return false;
        const done = applied();
        return MIGRATIONS.every((m) => done.has(m.version));
      },
      () => {
        this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
        const done = applied();
        for (const m of MIGRATIONS) {
          if (done.has(m.version)) continue;
          this.db.exec(m.sql);
          this.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, Date.now());
        }
      },
    );
  }

  /** One request, inside the caller's transaction. */
  private enqueueOne(request: EnqueueRequest): EnqueueResult {
    const now = Date.now();
    const info = this.prepare(
      `INSERT INTO jobs (repo, tag, tag_object, upload, source, idempotency_key, version, status, max_attempts, run_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?) ON CONFLICT DO NOTHING`,
    ).run(
      request.repo,
      request.tag,
      request.tagObject ?? null,
      request.upload ?? null,
      request.intake,
      request.idempotencyKey ?? null,
      request.version ?? null,
      this.options.maxAttempts,
      now,
      now,
    );
    if (info.changes === 1) return { id: String(info.lastInsertRowid), created: true };
    const existing = this.prepare(
      `SELECT id FROM jobs WHERE idempotency_key = @key
           OR (tag_object IS NOT NULL AND repo = @repo AND tag = @tag AND tag_object = @obj AND coalesce(upload, '') = @upload)
           OR (tag_object IS NULL AND @obj IS NULL AND repo = @repo AND tag = @tag AND coalesce(upload, '') = @upload AND status <> 'done')
         ORDER BY (idempotency_key IS NOT @key), id LIMIT 1`,
    ).get({
      key: request.idempotencyKey ?? null,
      repo: request.repo,
      tag: request.tag,
      obj: request.tagObject ?? null,
      upload: request.upload ?? '',
    }) as { id: number } | undefined;
    if (existing === undefined) throw new Error('enqueue: conflicting job not found');
    return { id: String(existing.id), created: false };
  }

  enqueue(request: EnqueueRequest): Promise<EnqueueResult> {
    return Promise.resolve(this.db.transaction(() => this.enqueueOne(request)).immediate());
  }

  enqueueMany(requests: readonly EnqueueRequest[]): Promise<EnqueueOutcome[]> {
    // One BEGIN IMMEDIATE … COMMIT, so one fsync under synchronous=FULL; each
    // request in its own savepoint (better-sqlite3 nests transactions so), so
    // one failure rolls back only its own request.
    const one = this.db.transaction((request: EnqueueRequest) => this.enqueueOne(request));
    return Promise.resolve(
      this.db
        .transaction((): EnqueueOutcome[] =>
          requests.map((request) => {
            try {
              return { ok: true, result: one(request) };
            } catch (err) {
              return { ok: false, error: err instanceof Error ? err : new Error(String(err)) };
            }
          }),
        )
        .immediate(),
    );
  }

  claim(options: ClaimOptions): Promise<ClaimedJob[]> {
    const leaseMs = options.leaseMs ?? this.options.leaseMs;
    return Promise.resolve(
      this.db
        .transaction((): ClaimedJob[] => {
          const now = Date.now();
          // A job whose every attempt ended with its worker's lease expiring
          // (a build that kills the worker each time) fails for good.
          this.prepare(
            `UPDATE jobs SET status = 'done', verdict = 'unverifiable', finished_at = @now,
                 last_error = 'the worker stopped renewing its lease on the last attempt',
                 lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
               WHERE status = 'running' AND lease_expires_at <= @now AND attempts >= max_attempts`,
          ).run({ now });
          // One job per (repo, tag): the oldest claimable one, and none for a
          // (repo, tag) that is running under a live or other lease.
          const ids = this.prepare(
            `SELECT min(id) AS id FROM jobs j
               WHERE ((status = 'queued' AND run_at <= @now) OR (status = 'running' AND lease_expires_at <= @now))
                 AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.status = 'running' AND r.repo = j.repo AND r.tag = j.tag AND r.id <> j.id)
               GROUP BY repo, tag ORDER BY min(run_at), min(id) LIMIT @limit`,
          ).all({ now, limit: Math.max(0, options.limit) }) as { id: number }[];
          const update = this.prepare(
            `UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = @owner, lease_token = @token,
               lease_expires_at = @expires, started_at = @now
             WHERE id = @id RETURNING *`,
          );
          return ids.map(({ id }) => {
            const token = randomUUID();
            const row = update.get({ id, owner: options.workerId, token, expires: now + leaseMs, now }) as JobRow;
            return { ...toJob(row), leaseToken: token };
          });
        })
        .immediate(),
    );
  }

  heartbeat(id: string, leaseToken: string, leaseMs?: number): Promise<boolean> {
    const info = this.prepare(`UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND lease_token = ? AND status = 'running'`).run(
      Date.now() + (leaseMs ?? this.options.leaseMs),
      Number(id),
      leaseToken,
    );
    return Promise.resolve(info.changes === 1);
  }

  complete(id: string, leaseToken: string, input: CompleteInput): Promise<boolean> {
    const info = this.prepare(
      `UPDATE jobs SET status = 'done', verdict = ?, report = ?, version = coalesce(?, version), package = coalesce(?, package), finished_at = ?,
           last_error = NULL, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
         WHERE id = ? AND lease_token = ? AND status = 'running'`,
    ).run(
      input.verdict,
      JSON.stringify(input.report ?? null),
      input.version ?? null,
      packageOf(input.report),
      Date.now(),
      Number(id),
      leaseToken,
    );
    return Promise.resolve(info.changes === 1);
  }

  handBack(id: string, leaseToken: string, why: string): Promise<boolean> {
    const info = this.prepare(
      `UPDATE jobs SET status = 'queued', run_at = ?, attempts = max(attempts - 1, 0), last_error = ?,
           lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
         WHERE id = ? AND lease_token = ? AND status = 'running'`,
    ).run(Date.now(), why, Number(id), leaseToken);
    return Promise.resolve(info.changes === 1);
  }

  fail(id: string, leaseToken: string, input: FailInput): Promise<FailResult> {
    return Promise.resolve(
      this.db
        .transaction((): FailResult => {
          const row = this.prepare(`SELECT attempts, max_attempts FROM jobs WHERE id = ? AND lease_token = ? AND status = 'running'`).get(
            Number(id),
            leaseToken,
          ) as { attempts: number; max_attempts: number } | undefined;
          if (row === undefined) return { outcome: 'lease-lost' };
          const now = Date.now();
          if (input.retryable && row.attempts < row.max_attempts) {
            const runAt = now + backoffMs(row.attempts, this.options);
            this.prepare(
              `UPDATE jobs SET status = 'queued', run_at = ?, last_error = ?,
                   lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL WHERE id = ?`,
            ).run(runAt, input.error, Number(id));
            return { outcome: 'retry', runAt: new Date(runAt) };
          }
          this.prepare(
            `UPDATE jobs SET status = 'done', verdict = 'unverifiable', report = ?, package = coalesce(?, package), last_error = ?, finished_at = ?,
                 lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL WHERE id = ?`,
          ).run(input.report === undefined ? null : JSON.stringify(input.report), packageOf(input.report), input.error, now, Number(id));
          return { outcome: 'failed' };
        })
        .immediate(),
    );
  }

  get(id: string): Promise<Job | undefined> {
    if (!/^[0-9]+$/.test(id)) return Promise.resolve(undefined);
    const row = this.prepare('SELECT * FROM jobs WHERE id = ?').get(Number(id)) as JobRow | undefined;
    return Promise.resolve(row === undefined ? undefined : toJob(row));
  }

  list(filter: JobFilter = {}): Promise<Job[]> {
    const { where, params } = whereOf(filter);
    params.limit = listLimit(filter);
    params.offset = Math.max(0, filter.offset ?? 0);
    const sql = `SELECT * FROM jobs ${where} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`;
    return Promise.resolve((this.prepare(sql).all(params) as JobRow[]).map(toJob));
  }

  count(filter: JobFilter = {}): Promise<number> {
    const { where, params } = whereOf(filter);
    return Promise.resolve((this.prepare(`SELECT count(*) AS n FROM jobs ${where}`).get(params) as { n: number }).n);
  }

  summary(query: SummaryQuery): Promise<SummaryCount[]> {
    // Integer division on ms since the epoch (constants of this module written
    // as integer literals, so SQLite divides as integers): UTC days, and weeks
    // counted from 1970-01-05 (a Monday), as periodStart computes them.
    const length = String(PERIOD_MS[query.period]);
    const origin = String(query.period === 'day' ? 0 : FIRST_MONDAY_MS);
    const rows = this.prepare(
      `SELECT ((finished_at - ${origin}) / ${length}) * ${length} + ${origin} AS start, verdict, count(*) AS n FROM jobs
         WHERE status = 'done' AND finished_at >= @since AND finished_at < @until AND verdict IS NOT NULL
         GROUP BY start, verdict`,
    ).all({ since: query.since.getTime(), until: query.until.getTime() }) as { start: number; verdict: string; n: number }[];
    return Promise.resolve(rows.map((r) => ({ start: new Date(r.start), verdict: r.verdict as JobVerdict, count: r.n })));
  }

  depth(): Promise<QueueDepth> {
    const row = this.prepare(
      `SELECT coalesce(sum(status = 'queued' AND run_at <= @now), 0) AS ready,
                coalesce(sum(status = 'queued' AND run_at > @now), 0) AS delayed,
                coalesce(sum(status = 'running'), 0) AS running
         FROM jobs WHERE status <> 'done'`,
    ).get({ now: Date.now() }) as QueueDepth;
    return Promise.resolve({ ready: row.ready, delayed: row.delayed, running: row.running });
  }

  recordTagSeen(s: TagSighting): Promise<Alarm[]> {
    return Promise.resolve(
      this.db
        .transaction((): Alarm[] => {
          const now = Date.now();
          this.prepare(
            `INSERT INTO ledger_tags (repo, tag_name, tag_object, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (repo, tag_name, tag_object) DO UPDATE SET last_seen = excluded.last_seen`,
          ).run(s.repo, s.tagName, s.tagObject, now, now);
          const alarms: Alarm[] = [];
          const replays = this.prepare(
            'SELECT repo, tag_name, first_seen FROM ledger_tags WHERE tag_object = ? AND repo <> ? ORDER BY first_seen LIMIT 20',
          ).all(s.tagObject, s.repo) as { repo: string; tag_name: string; first_seen: number }[];
          for (const r of replays) {
            const previous = { repo: r.repo, tagName: r.tag_name, tagObject: s.tagObject, firstSeen: new Date(r.first_seen) };
            alarms.push({ code: 'TAG_REPLAYED', message: alarmMessage('TAG_REPLAYED', s, previous), previous });
          }
          const moves = this.prepare(
            'SELECT tag_object, first_seen FROM ledger_tags WHERE repo = ? AND tag_name = ? AND tag_object <> ? ORDER BY first_seen LIMIT 20',
          ).all(s.repo, s.tagName, s.tagObject) as { tag_object: string; first_seen: number }[];
          for (const m of moves) {
            const previous = { repo: s.repo, tagName: s.tagName, tagObject: m.tag_object, firstSeen: new Date(m.first_seen) };
            alarms.push({ code: 'TAG_MOVED', message: alarmMessage('TAG_MOVED', s, previous), previous });
          }
          if (s.upstreamCommit !== undefined && s.upstreamTree !== undefined) {
            this.prepare(
              `INSERT INTO ledger_upstream (upstream_commit, upstream_tree, repo, tag_name, first_seen) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT DO NOTHING`,
            ).run(s.upstreamCommit, s.upstreamTree, s.repo, s.tagName, now);
            const trees = this.prepare(
              `SELECT upstream_tree, repo, tag_name, first_seen FROM ledger_upstream
                 WHERE upstream_commit = ? AND upstream_tree <> ? ORDER BY first_seen LIMIT 20`,
            ).all(s.upstreamCommit, s.upstreamTree) as { upstream_tree: string; repo: string; tag_name: string; first_seen: number }[];
            for (const t of trees) {
              const previous = {
                repo: t.repo,
                tagName: t.tag_name,
                upstreamCommit: s.upstreamCommit,
                upstreamTree: t.upstream_tree,
                firstSeen: new Date(t.first_seen),
              };
              alarms.push({ code: 'UPSTREAM_TREE_CHANGED', message: alarmMessage('UPSTREAM_TREE_CHANGED', s, previous), previous });
            }
          }
          return alarms;
        })
        .immediate(),
    );
  }

  putAttemptLog(id: string, attempt: number, log: AttemptLogInput): Promise<void> {
    if (!/^[0-9]+$/.test(id)) return Promise.reject(new Error(`putAttemptLog: no job ${JSON.stringify(id)}`));
    try {
      this.prepare(
        `INSERT INTO job_logs (job_id, attempt, log, truncated, created_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (job_id, attempt) DO UPDATE SET log = excluded.log, truncated = excluded.truncated, created_at = excluded.created_at`,
      ).run(Number(id), attempt, boundedLogText(log.text), log.truncated ? 1 : 0, Date.now());
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  getAttemptLog(id: string, attempt: number): Promise<AttemptLog | undefined> {
    if (!/^[0-9]+$/.test(id)) return Promise.resolve(undefined);
    const row = this.prepare('SELECT log, truncated, created_at FROM job_logs WHERE job_id = ? AND attempt = ?').get(
      Number(id),
      attempt,
    ) as { log: string; truncated: number; created_at: number } | undefined;
    return Promise.resolve(
      row === undefined ? undefined : { attempt, text: row.log, truncated: row.truncated !== 0, createdAt: new Date(row.created_at) },
    );
  }

  attemptLogs(id: string): Promise<AttemptLogEntry[]> {
    if (!/^[0-9]+$/.test(id)) return Promise.resolve([]);
    const rows = this.prepare(
      'SELECT attempt, length(CAST(log AS BLOB)) AS bytes, truncated, created_at FROM job_logs WHERE job_id = ? ORDER BY attempt',
    ).all(Number(id)) as { attempt: number; bytes: number; truncated: number; created_at: number }[];
    return Promise.resolve(
      rows.map((r) => ({ attempt: r.attempt, bytes: r.bytes, truncated: r.truncated !== 0, createdAt: new Date(r.created_at) })),
    );
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}
