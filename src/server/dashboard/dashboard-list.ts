// The dashboard's list page: recent verifications, newest first, filtered by
// GET parameters from a plain HTML form, with paging. Query values are
// validated (a bad value is a 400 page naming the parameter, never a store
// query with it).
import { z } from 'zod';
import { JOB_VERDICTS, type Job, type JobFilter, type Store } from '../../store/store.js';
import { durationText, timeText, verdictBadge } from './dashboard-layout.js';
import { jobDurationMs, jobPackage, jobVersion, leadingReason, repoName, uploadName, type LeadingReason } from './job-facts.js';
import { html, type SafeHtml } from './html.js';

export const PAGE_SIZE = 50;

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** An empty form field means "any". */
const optional = <T extends z.ZodTypeAny>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const dateParam = z
  .string()
  .regex(DATE_RE, 'expected a date YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), 'not a calendar date');

export const listQuerySchema = z
  .object({
    verdict: optional(z.enum(JOB_VERDICTS as [string, ...string[]])),
    status: optional(z.enum(['queued', 'running', 'done'])),
    source: optional(z.enum(['webhook', 'api', 'archive'])),
    package: optional(z.string().max(200)),
    version: optional(z.string().max(200)),
    repo: optional(z.string().max(2048)),
    since: optional(dateParam),
    until: optional(dateParam),
    page: optional(z.coerce.number().int().min(1).max(100_000)),
  })
  .strip();

export type ListQuery = z.infer<typeof listQuerySchema>;

export function storeFilter(q: ListQuery): JobFilter {
  const DAY = 86_400_000;
  return {
    ...(q.verdict !== undefined ? { verdict: q.verdict as JobFilter['verdict'] } : {}),
    ...(q.status !== undefined ? { status: q.status } : {}),
    ...(q.source !== undefined ? { intake: q.source } : {}),
    ...(q.version !== undefined ? { version: q.version } : {}),
    ...(q.package !== undefined ? { package: q.package } : {}),
    ...(q.repo !== undefined ? { repo: q.repo } : {}),
    ...(q.since !== undefined ? { since: new Date(`${q.since}T00:00:00Z`) } : {}),
    // `until` names a day and includes it.
    ...(q.until !== undefined ? { until: new Date(Date.parse(`${q.until}T00:00:00Z`) + DAY) } : {}),
  };
}

export interface ListResult {
  readonly jobs: readonly Job[];
  readonly hasMore: boolean;
}

export async function listJobs(store: Store, q: ListQuery, pageSize = PAGE_SIZE): Promise<ListResult> {
  const page = q.page ?? 1;
  // One more than a page tells whether an older page exists.
  const jobs = await store.list({ ...storeFilter(q), limit: pageSize + 1, offset: (page - 1) * pageSize });
  return { jobs: jobs.slice(0, pageSize), hasMore: jobs.length > pageSize };
}

/** The query string of `q` with `page` replaced: paging links keep the filters. */
export function queryString(q: ListQuery, page: number | undefined): string {
  const params = new URLSearchParams();
  for (const key of ['verdict', 'status', 'source', 'package', 'version', 'repo', 'since', 'until'] as const) {
    const v = q[key];
    if (v !== undefined) params.set(key, String(v));
  }
  if (page !== undefined && page > 1) params.set('page', String(page));
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

function select(name: string, label: string, options: readonly string[], value: string | undefined): SafeHtml {
  return html`<label>${label}<select name="${name}"><option value="">any</option>${options.map(
    (o) => html`<option value="${o}"${o === value ? html` selected` : ''}>${o}</option>`,
  )}</select></label>`;
}

function input(name: string, label: string, value: string | undefined, type = 'text'): SafeHtml {
  return html`<label>${label}<input type="${type}" name="${name}" value="${value ?? ''}"></label>`;
}

export interface ListPaths {
  readonly home: string;
  readonly detail: (id: string) => string;
  /** The page of a package's uploads. */
  readonly pkg: (name: string) => string;
}

export function filterForm(q: Partial<ListQuery>, paths: ListPaths): SafeHtml {
  return html`<form class="filters" method="get" action="${paths.home}">
${select('verdict', 'Verdict', JOB_VERDICTS, q.verdict)}
${select('status', 'Status', ['queued', 'running', 'done'], q.status)}
${input('package', 'Source package', q.package)}
${input('version', 'Version', q.version)}
${select('source', 'Requested by', ['webhook', 'api', 'archive'], q.source)}
${input('repo', 'Repository (exact)', q.repo)}
${input('since', 'From (UTC)', q.since, 'date')}
${input('until', 'To (UTC, inclusive)', q.until, 'date')}
<button type="submit">Filter</button> <a href="${paths.home}">clear</a>
</form>`;
}

/**
 * The alarm for archive uploads the verifier could not read: each is an upload
 * in Debian that nobody has checked, so the count stays on the front page
 * until they are dealt with.
 */
function unverifiableNotice(count: number | undefined, paths: ListPaths): SafeHtml | string {
  if (count === undefined || count === 0) return '';
  const link = `${paths.home}${queryString({ verdict: 'unverifiable', source: 'archive' }, undefined)}`;
  return html`<p class="notice" id="unverifiable-archive"><a href="${link}">${count} archive ${count === 1 ? 'upload is' : 'uploads are'} unverifiable</a> after ${count === 1 ? 'its' : 'their'} retries: nobody has checked ${count === 1 ? 'it' : 'them'} against ${count === 1 ? 'its tag' : 'their tags'}.</p>`;
}

/** The reason a row leads with: its code and the message clipped to one line. */
export function reasonCell(reason: LeadingReason | undefined): SafeHtml | string {
  if (reason === undefined) return '';
  const content = html`${reason.code !== undefined ? html`<code>${reason.code}</code> ` : ''}${reason.text}`;
  return reason.note ? html`<span class="muted">${content}</span>` : content;
}

/** One job as a row: when, which upload (package, version, tag, .dsc), the verdict, the leading reason, how long it took. */
export function jobRow(job: Job, paths: ListPaths): SafeHtml {
  const link = paths.detail(job.id);
  const pkg = jobPackage(job);
  const took = jobDurationMs(job);
  return html`<tr>
<td class="mono"><a href="${link}">${timeText(job.createdAt)}</a></td>
<td class="upload"><span class="pkg">${pkg !== undefined ? html`<a href="${paths.pkg(pkg)}">${pkg}</a>` : html`<span class="muted">${repoName(job.repo)}</span>`}</span> <span class="mono">${jobVersion(job) ?? ''}</span><br><a class="mono small" href="${link}" title="${job.repo}">${job.tag}</a> <span class="muted small">${job.intake}</span></td>
<td class="mono small wrap" title="${job.upload ?? ''}">${uploadName(job) ?? '—'}</td>
<td class="verdict">${verdictBadge(job.verdict, job.status)}</td>
<td class="reason wrap">${reasonCell(leadingReason(job))}</td>
<td class="num">${took !== undefined ? durationText(took) : ''}</td>
</tr>`;
}

export const JOB_TABLE_HEAD = html`<thead><tr><th>Time (UTC)</th><th>Upload</th><th>.dsc</th><th>Verdict</th><th>First reason</th><th>Took</th></tr></thead>`;

export function listBody(q: ListQuery, result: ListResult, paths: ListPaths, unverifiableArchive?: number): SafeHtml {
  const page = q.page ?? 1;
  const nav = html`<nav class="pages">${page > 1 ? html`<a rel="prev" href="${paths.home}${queryString(q, page - 1)}">← newer</a>` : ''}<span class="muted">page ${page}</span>${
    result.hasMore ? html`<a rel="next" href="${paths.home}${queryString(q, page + 1)}">older →</a>` : ''
  }</nav>`;
  return html`<h1>Verifications</h1>
${unverifiableNotice(unverifiableArchive, paths)}
${filterForm(q, paths)}
${
  result.jobs.length === 0
    ? html`<p class="muted">No verifications match.</p>`
    : html`<table class="jobs">${JOB_TABLE_HEAD}
<tbody>${result.jobs.map((job) => jobRow(job, paths))}</tbody></table>`
}
${nav}`;
}

export function badQueryBody(q: Record<string, unknown>, problems: readonly string[], paths: ListPaths): SafeHtml {
  const keep: Partial<ListQuery> = {};
  for (const key of ['package', 'version', 'repo'] as const) if (typeof q[key] === 'string') keep[key] = q[key];
  return html`<h1>Verifications</h1>
<div class="error"><p>The filter was not applied:</p><ul>${problems.map((p) => html`<li>${p}</li>`)}</ul></div>
${filterForm(keep, paths)}`;
}
