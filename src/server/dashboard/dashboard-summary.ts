// The dashboard's summary page: verifications finished per UTC day or ISO
// week, counted by verdict over a bounded window (src/store/verdict-summary.ts),
// newest period first, each with a bar drawn in inline SVG (its sizes are
// numbers computed here; the stylesheet colours it, as the CSP allows no
// inline style).
import { z } from 'zod';
import type { JobVerdict } from '../../store/store.js';
import { DEFAULT_SUMMARY_DAYS, MAX_SUMMARY_DAYS, type PeriodCounts, type VerdictSummary } from '../../store/verdict-summary.js';
import { timeText, verdictBadge } from './dashboard-layout.js';
import { html, type SafeHtml } from './html.js';

const optional = <T extends z.ZodTypeAny>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

export const summaryPageQuerySchema = z
  .object({
    period: optional(z.enum(['day', 'week'])),
    days: optional(z.coerce.number().int().min(1).max(MAX_SUMMARY_DAYS)),
  })
  .strip();

export type SummaryPageQuery = z.infer<typeof summaryPageQuerySchema>;

export function summaryWindow(q: SummaryPageQuery): { period: 'day' | 'week'; days: number } {
  const period = q.period ?? 'day';
  return { period, days: q.days ?? DEFAULT_SUMMARY_DAYS[period] };
}

const BAR_WIDTH = 160;
const BAR_HEIGHT = 12;

/** A stacked bar of one period's verdicts, scaled to the busiest period of the window. */
function bar(p: PeriodCounts, verdicts: readonly JobVerdict[], max: number): SafeHtml | string {
  if (p.total === 0 || max === 0) return '';
  let x = 0;
  const rects = verdicts
    .filter((v) => p.counts[v] > 0)
    .map((v) => {
      const width = (p.counts[v] / max) * BAR_WIDTH;
      const rect = html`<rect class="v-${v}" x="${x.toFixed(2)}" y="0" width="${width.toFixed(2)}" height="${BAR_HEIGHT}"><title>${p.counts[v]} ${v}</title></rect>`;
      x += width;
      return rect;
    });
  return html`<svg class="bar" width="${BAR_WIDTH}" height="${BAR_HEIGHT}" viewBox="0 0 ${BAR_WIDTH} ${BAR_HEIGHT}" role="img" aria-label="${p.total} verifications">${rects}</svg>`;
}

const count = (n: number): SafeHtml => html`<td class="num${n === 0 ? ' zero' : ''}">${n}</td>`;

export interface SummaryPaths {
  readonly home: string;
  readonly summary: string;
}

export function summaryBody(window: { period: 'day' | 'week'; days: number }, s: VerdictSummary, paths: SummaryPaths): SafeHtml {
  const max = Math.max(0, ...s.periods.map((p) => p.total));
  const label = (start: string) => (s.period === 'day' ? start.slice(0, 10) : `week of ${start.slice(0, 10)}`);
  const newestFirst = [...s.periods].reverse();
  return html`<h1>Summary</h1>
<p class="muted">Verifications finished per ${s.period === 'day' ? 'UTC day' : 'ISO week (from Monday, UTC)'}, by verdict, from ${timeText(s.since)} to ${timeText(s.until)}: ${s.total} in all. Counted by when each finished; the list counts by when each was requested.</p>
<form class="filters" method="get" action="${paths.summary}">
<label>Per<select name="period"><option value="day"${s.period === 'day' ? html` selected` : ''}>day</option><option value="week"${s.period === 'week' ? html` selected` : ''}>week</option></select></label>
<label>Days back (1–${MAX_SUMMARY_DAYS})<input type="number" name="days" min="1" max="${MAX_SUMMARY_DAYS}" value="${window.days}"></label>
<button type="submit">Show</button>
</form>
<table class="summary"><thead><tr><th>${s.period === 'day' ? 'Day (UTC)' : 'Week (UTC)'}</th><th></th>${s.verdicts.map(
    (v) => html`<th class="num"><a href="${paths.home}?verdict=${v}">${verdictBadge(v)}</a></th>`,
  )}<th class="num">Total</th></tr></thead>
<tbody>${newestFirst.map((p) => html`<tr><td class="mono">${label(p.start)}</td><td>${bar(p, s.verdicts, max)}</td>${s.verdicts.map((v) => count(p.counts[v]))}${count(p.total)}</tr>`)}</tbody>
<tfoot><tr><td>All</td><td></td>${s.verdicts.map((v) => count(s.totals[v]))}${count(s.total)}</tr></tfoot></table>`;
}

export function badSummaryQueryBody(problems: readonly string[], paths: SummaryPaths): SafeHtml {
  return html`<h1>Summary</h1>
<div class="error"><p>The window was not applied:</p><ul>${problems.map((p) => html`<li>${p}</li>`)}</ul></div>
<p><a href="${paths.summary}">The last ${DEFAULT_SUMMARY_DAYS.day} days</a></p>`;
}
