// The dashboard's page of one source package: its verifications over time,
// newest first, paged, from the store's index on (package, created_at).
import { z } from 'zod';
import type { Job } from '../../store/store.js';
import { JOB_TABLE_HEAD, jobRow, queryString, type ListPaths } from './dashboard-list.js';
import { html, type SafeHtml } from './html.js';

export const packagePageQuerySchema = z
  .object({ page: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(1).max(100_000).optional()) })
  .strip();

export function packageBody(name: string, jobs: readonly Job[], total: number, page: number, hasMore: boolean, paths: ListPaths): SafeHtml {
  const here = paths.pkg(name);
  const nav = html`<nav class="pages">${page > 1 ? html`<a rel="prev" href="${here}${page > 2 ? `?page=${page - 1}` : ''}">← newer</a>` : ''}<span class="muted">page ${page}</span>${
    hasMore ? html`<a rel="next" href="${here}?page=${page + 1}">older →</a>` : ''
  }</nav>`;
  return html`<h1>${name} <span class="muted small">source package</span></h1>
<p>${total} ${total === 1 ? 'verification' : 'verifications'} of its uploads, newest first. <a href="${paths.home}${queryString({ package: name }, undefined)}">Filter the list by it</a> to combine with other filters.</p>
${
  jobs.length === 0
    ? html`<p class="muted">No verifications on this page.</p>`
    : html`<table class="jobs">${JOB_TABLE_HEAD}
<tbody>${jobs.map((job) => jobRow(job, paths))}</tbody></table>`
}
${nav}`;
}
