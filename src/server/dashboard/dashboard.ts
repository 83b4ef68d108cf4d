// The verification dashboard: server-rendered HTML over the store, read-only.
// `GET /` lists recent verifications with filters and paging;
// `GET /summary` counts verdicts per day or week;
// `GET /packages/:name` lists one source package's verifications over time;
// `GET /verifications/:id` shows one job's report and its diff;
// `GET /verifications/:id/report.json` returns the stored report as it is;
// `GET /verifications/:id/attempts/:attempt/log` what one attempt printed, as text.
// Nothing here changes state (GET routes only, no forms that post). Every
// value from a report is escaped by the `html` template (tag messages, tagger
// names and paths are chosen by whoever pushed the tag), and the
// Content-Security-Policy forbids scripts and inline style outright.
// Authentication is left to a reverse proxy (docs/service.md, Dashboard).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { detailBody } from './dashboard-detail.js';
import { FAVICON_SVG, page, SECURITY_HEADERS, STYLESHEET } from './dashboard-layout.js';
import { SOURCE_PACKAGE, type Store } from '../../store/store.js';
import { verdictSummary } from '../../store/verdict-summary.js';
import { badQueryBody, listBody, listJobs, listQuerySchema, PAGE_SIZE, type ListQuery } from './dashboard-list.js';
import { packageBody, packagePageQuerySchema } from './dashboard-package.js';
import { badSummaryQueryBody, summaryBody, summaryPageQuerySchema, summaryWindow } from './dashboard-summary.js';
import { html, type SafeHtml } from './html.js';
import { jobTitle } from './job-facts.js';

export interface DashboardOptions {
  readonly store: Store;
  /** Rows per list page (default 50). */
  readonly pageSize?: number;
}

/** Job ids are the stores' decimal row ids; anything else cannot name a job. */
const ID_RE = /^[0-9]{1,19}$/;

export const dashboard: FastifyPluginAsync<DashboardOptions> = (app, options) => {
  const base = app.prefix;
  const paths = {
    home: `${base}/`,
    stylesheet: `${base}/dashboard.css`,
    icon: `${base}/favicon.svg`,
    summary: `${base}/summary`,
    detail: (id: string) => `${base}/verifications/${encodeURIComponent(id)}`,
    json: (id: string) => `${base}/verifications/${encodeURIComponent(id)}/report.json`,
    log: (id: string, attempt: number) => `${base}/verifications/${encodeURIComponent(id)}/attempts/${attempt}/log`,
    pkg: (name: string) => `${base}/packages/${encodeURIComponent(name)}`,
  };
  const pageSize = options.pageSize ?? PAGE_SIZE;
  const send = (reply: FastifyReply, status: number, title: string, body: SafeHtml): FastifyReply =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(page({ title, ...paths }, body).value);
  const notFound = (reply: FastifyReply, id: string): FastifyReply =>
    send(
      reply,
      404,
      'Not found',
      html`<h1>Not found</h1><p>There is no verification ${id}.</p><p><a href="${paths.home}">← all verifications</a></p>`,
    );

  app.addHook('onSend', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });

  app.setErrorHandler(async (error, request, reply) => {
    request.log.error({ err: error }, 'dashboard request failed');
    return send(reply, 500, 'Error', html`<h1>Error</h1><p>The verifications could not be read. The service log has the details.</p>`);
  });

  app.get('/dashboard.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(STYLESHEET));

  app.get('/favicon.svg', async (_request, reply) => reply.type('image/svg+xml').send(FAVICON_SVG));

  app.get('/', async (request: FastifyRequest<{ Querystring: Record<string, unknown> }>, reply) => {
    const parsed = listQuerySchema.safeParse(request.query);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`);
      return send(reply, 400, 'Verifications', badQueryBody(request.query, problems, paths));
    }
    const q: ListQuery = parsed.data;
    const result = await listJobs(options.store, q, pageSize);
    const unverifiable = await options.store.count({ intake: 'archive', verdict: 'unverifiable' });
    return send(reply, 200, 'Verifications', listBody(q, result, paths, unverifiable));
  });

  app.get('/summary', async (request: FastifyRequest<{ Querystring: Record<string, unknown> }>, reply) => {
    const parsed = summaryPageQuerySchema.safeParse(request.query);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`);
      return send(reply, 400, 'Summary', badSummaryQueryBody(problems, paths));
    }
    const window = summaryWindow(parsed.data);
    return send(reply, 200, 'Summary', summaryBody(window, await verdictSummary(options.store, window), paths));
  });

  app.get('/packages/:name', async (request: FastifyRequest<{ Params: { name: string }; Querystring: Record<string, unknown> }>, reply) => {
    const { name } = request.params;
    const parsed = packagePageQuerySchema.safeParse(request.query);
    if (!SOURCE_PACKAGE.test(name) || !parsed.success) {
      return send(
        reply,
        404,
        'Not found',
        html`<h1>Not found</h1><p>There is no source package ${name} with that page.</p><p><a href="${paths.home}">← all verifications</a></p>`,
      );
    }
    const page = parsed.data.page ?? 1;
    // One more than a page tells whether an older page exists; both queries use the package index.
    const [jobs, total] = await Promise.all([
      options.store.list({ package: name, limit: pageSize + 1, offset: (page - 1) * pageSize }),
      options.store.count({ package: name }),
    ]);
    if (total === 0) {
      return send(
        reply,
        404,
        name,
        html`<h1>${name}</h1><p>No verification of this source package is recorded.</p><p><a href="${paths.home}">← all verifications</a></p>`,
      );
    }
    return send(reply, 200, name, packageBody(name, jobs.slice(0, pageSize), total, page, jobs.length > pageSize, paths));
  });

  app.get('/verifications/:id', async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const { id } = request.params;
    const job = ID_RE.test(id) ? await options.store.get(id) : undefined;
    if (job === undefined) return notFound(reply, id);
    return send(
      reply,
      200,
      `${jobTitle(job)}: ${job.verdict ?? job.status}`,
      detailBody(job, paths, await options.store.attemptLogs(job.id)),
    );
  });

  app.get('/verifications/:id/report.json', async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const { id } = request.params;
    const job = ID_RE.test(id) ? await options.store.get(id) : undefined;
    if (job === undefined) return notFound(reply, id);
    // Served as a download, never rendered: the JSON holds the same untrusted strings.
    return reply
      .type('application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="verification-${job.id}.json"`)
      .send(JSON.stringify(job.report ?? null, null, 2));
  });
  // What one attempt printed, as plain text (the security headers above forbid rendering anything in it).
  app.get(
    '/verifications/:id/attempts/:attempt/log',
    async (request: FastifyRequest<{ Params: { id: string; attempt: string } }>, reply) => {
      const { id, attempt } = request.params;
      const log = ID_RE.test(id) && /^[1-9][0-9]{0,5}$/.test(attempt) ? await options.store.getAttemptLog(id, Number(attempt)) : undefined;
      if (log === undefined)
        return send(
          reply,
          404,
          'Not found',
          html`<h1>Not found</h1><p>No log was kept for attempt ${attempt} of verification ${id}.</p><p><a href="${paths.home}">← all verifications</a></p>`,
        );
      return reply.type('text/plain; charset=utf-8').send(log.text);
    },
  );
  return Promise.resolve();
};
