// The read side of the verification API: GET /api/v1/verifications (a
// filtered, paged listing, newest first), GET /api/v1/verifications/:id
// (one job, with its report once done and its attempts' logs) and
// GET /api/v1/verifications/:id/attempts/:attempt/log (what one attempt printed). Bearer tokens as for the POST
// (compared in constant time): reports name maintainers, keys and
// repositories, and listing them is not for everyone, unless the operator
// makes the reads public (`publicReads`: the dashboard shows the same).
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { JOB_VERDICTS, MAX_LIST_LIMIT, SOURCE_PACKAGE, type Job, type JobVerdict, type Store } from '../../store/store.js';
import { TokenSet } from '../intake/webhook-auth.js';
import { summaryRoute } from './summary-route.js';
import {
  schemasDocumentOnly,
  errorAnswer,
  idParams,
  INVALID,
  jobWithReportSchema,
  listSchema,
  text,
  UNAUTHORIZED,
  wholeNumber,
} from './api-schemas.js';

export interface ApiRoutesOptions {
  readonly store: Store;
  readonly apiTokens: readonly string[];
  /** GET and HEAD need no token (writes have their own routes, which always do). */
  readonly publicReads?: boolean;
}

/** What the API shows of a job (the lease token and owner stay inside). */
export interface JobView {
  readonly id: string;
  readonly status: Job['status'];
  readonly verdict: JobVerdict | null;
  readonly repo: string;
  readonly tag: string;
  readonly tagObject: string | null;
  readonly upload: string | null;
  readonly source: Job['intake'];
  readonly version: string | null;
  readonly package: string | null;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly report?: unknown;
}

export function jobView(job: Job, withReport: boolean): JobView {
  return {
    id: job.id,
    status: job.status,
    verdict: job.verdict,
    repo: job.repo,
    tag: job.tag,
    tagObject: job.tagObject,
    upload: job.upload,
    source: job.intake,
    version: job.version,
    package: job.package,
    attempts: job.attempts,
    lastError: job.lastError,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    ...(withReport && job.status === 'done' && job.report !== null && { report: job.report }),
  };
}

const isoTime = z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2025-06-01T00:00:00Z' });
export const listQuerySchema = z
  .object({
    source: z.enum(['webhook', 'api', 'archive']).optional(),
    version: z.string().min(1).max(256).optional().describe('The Debian version.'),
    package: z.string().regex(SOURCE_PACKAGE, 'must be a Debian source package name').optional().describe('The source package.'),
    verdict: z.enum(JOB_VERDICTS as [JobVerdict, ...JobVerdict[]]).optional(),
    status: z.enum(['queued', 'running', 'done']).optional(),
    since: isoTime.optional().describe('Created at or after.'),
    until: isoTime.optional().describe('Created before.'),
    limit: wholeNumber(1, MAX_LIST_LIMIT).optional().describe(`Jobs in the page, 1 to ${MAX_LIST_LIMIT} (default 100).`),
    offset: wholeNumber(0, 1e9).optional().describe('Jobs skipped (default 0).'),
  })
  .strict();

/** Job ids are the stores' decimal row ids; attempts count from 1. */
const ID = /^[0-9]{1,18}$/;
const ATTEMPT = /^[1-9][0-9]{0,5}$/;

export const attemptLogPath = (id: string, attempt: number): string => `/api/v1/verifications/${id}/attempts/${attempt}/log`;

function invalid(reply: FastifyReply, error: z.ZodError): FastifyReply {
  const issue = error.issues[0]!;
  const path = issue.path.join('.');
  return reply.code(400).send({ error: 'invalid', reason: `${path || '(query)'}: ${issue.message}`, ...(path !== '' && { path }) });
}

export const apiRoutes: FastifyPluginCallback<ApiRoutesOptions> = (app, options, done) => {
  schemasDocumentOnly(app);
  const tokens = new TokenSet(options.apiTokens);
  const { store } = options;

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (options.publicReads === true && (request.method === 'GET' || request.method === 'HEAD')) return;
    const value = request.headers.authorization;
    const m = /^Bearer ([\x21-\x7e]+)$/i.exec(typeof value === 'string' ? value : '');
    if (!tokens.matches(m?.[1])) {
      request.log.warn('API request refused: bearer token missing or wrong');
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized' });
    }
  });

  const security = [{ bearer: [] }];
  app.get(
    '/api/v1/verifications',
    {
      schema: {
        summary: 'List verifications, newest first',
        operationId: 'listVerifications',
        security,
        querystring: listQuerySchema,
        response: { 200: listSchema, 400: INVALID, 401: UNAUTHORIZED },
      },
    },
    async (request, reply) => {
      const q = listQuerySchema.safeParse(request.query);
      if (!q.success) return invalid(reply, q.error);
      const limit = q.data.limit ?? 100;
      const offset = q.data.offset ?? 0;
      const filter = {
        ...(q.data.source !== undefined && { intake: q.data.source }),
        ...(q.data.version !== undefined && { version: q.data.version }),
        ...(q.data.package !== undefined && { package: q.data.package }),
        ...(q.data.verdict !== undefined && { verdict: q.data.verdict }),
        ...(q.data.status !== undefined && { status: q.data.status }),
        ...(q.data.since !== undefined && { since: new Date(q.data.since) }),
        ...(q.data.until !== undefined && { until: new Date(q.data.until) }),
      };
      const [jobs, total] = await Promise.all([store.list({ ...filter, limit, offset }), store.count(filter)]);
      return reply.send({ verifications: jobs.map((j) => jobView(j, false)), total, limit, offset });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/verifications/:id',
    {
      schema: {
        summary: "One verification, with its report once done, and its attempts' logs",
        operationId: 'getVerification',
        security,
        params: idParams,
        response: { 200: jobWithReportSchema, 401: UNAUTHORIZED, 404: errorAnswer('No such job.') },
      },
    },
    async (request, reply) => {
      const job = ID.test(request.params.id) ? await store.get(request.params.id) : undefined;
      if (job === undefined) return reply.code(404).send({ error: 'not found' });
      const logs = await store.attemptLogs(job.id);
      return reply.send({
        ...jobView(job, true),
        logs: logs.map((l) => ({
          attempt: l.attempt,
          bytes: l.bytes,
          truncated: l.truncated,
          createdAt: l.createdAt.toISOString(),
          url: attemptLogPath(job.id, l.attempt),
        })),
      });
    },
  );

  // What one attempt printed, as text (never rendered: it holds output of builds of fetched trees).
  app.get<{ Params: { id: string; attempt: string } }>(
    '/api/v1/verifications/:id/attempts/:attempt/log',
    {
      schema: {
        summary: 'What one attempt printed: progress, the sandboxed commands and their stderr, the build log (at most 10 MiB)',
        operationId: 'getAttemptLog',
        security,
        params: idParams.extend({ attempt: z.string().regex(ATTEMPT).describe('The attempt, from 1.') }),
        response: {
          200: text('The log. X-T2U-Verify-Log-Truncated says whether output was dropped (the text says where).'),
          401: UNAUTHORIZED,
          404: errorAnswer('No log was kept for this attempt.'),
        },
      },
    },
    async (request, reply) => {
      const { id, attempt } = request.params;
      const log = ID.test(id) && ATTEMPT.test(attempt) ? await store.getAttemptLog(id, Number(attempt)) : undefined;
      if (log === undefined) return reply.code(404).send({ error: 'not found' });
      return reply
        .type('text/plain; charset=utf-8')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('x-t2u-verify-log-truncated', String(log.truncated))
        .send(log.text);
    },
  );

  summaryRoute(app, store, invalid);
  done();
};
