// The summary of verdicts over a bounded window, as rebuilderd's dashboard
// and reproduce.debian.net show them: for each UTC day or ISO week, how many
// verifications finished with each verdict. The store counts (one indexed
// range scan, src/store/store.ts `summary`); this fills in the periods with
// none, so that a quiet day shows as zero rather than missing, and totals.
import { JOB_VERDICTS, nextPeriod, PERIOD_MS, periodStart, type JobVerdict, type Store, type SummaryPeriod } from './store.js';

/** The longest window a summary covers, in days: a year and a day. */
export const MAX_SUMMARY_DAYS = 366;

/** The default window per period: 30 days, or 12 weeks. */
export const DEFAULT_SUMMARY_DAYS: Readonly<Record<SummaryPeriod, number>> = { day: 30, week: 84 };

export interface SummaryWindow {
  readonly period: SummaryPeriod;
  /** How many days back from now, the current period included (1 … MAX_SUMMARY_DAYS). */
  readonly days: number;
}

export type VerdictCounts = Readonly<Record<JobVerdict, number>>;

export interface PeriodCounts {
  /** The period's first instant, ISO 8601 UTC. */
  readonly start: string;
  readonly counts: VerdictCounts;
  readonly total: number;
}

export interface VerdictSummary {
  readonly period: SummaryPeriod;
  /** The window: the first period's start, inclusive … the last period's end, exclusive. */
  readonly since: string;
  readonly until: string;
  readonly verdicts: readonly JobVerdict[];
  /** Every period of the window, oldest first, zeros included. */
  readonly periods: readonly PeriodCounts[];
  readonly totals: VerdictCounts;
  readonly total: number;
}

function zeros(): Record<JobVerdict, number> {
  return Object.fromEntries(JOB_VERDICTS.map((v) => [v, 0])) as Record<JobVerdict, number>;
}

/** The periods of the window that ends with the one holding `now` and reaches `days` days back. */
export function summaryBounds(window: SummaryWindow, now: Date): { since: Date; until: Date } {
  const days = Math.min(Math.max(1, Math.floor(window.days)), MAX_SUMMARY_DAYS);
  const until = nextPeriod(periodStart(now, window.period), window.period);
  const since = periodStart(new Date(now.getTime() - (days - 1) * PERIOD_MS.day), window.period);
  return { since, until };
}

export async function verdictSummary(store: Store, window: SummaryWindow, now = new Date()): Promise<VerdictSummary> {
  const { since, until } = summaryBounds(window, now);
  const rows = await store.summary({ period: window.period, since, until });
  const byStart = new Map<number, Record<JobVerdict, number>>();
  for (let t = since; t < until; t = nextPeriod(t, window.period)) byStart.set(t.getTime(), zeros());
  const totals = zeros();
  for (const row of rows) {
    const counts = byStart.get(row.start.getTime());
    // A verdict another version wrote, or a period outside the window: not counted.
    if (counts === undefined || !Object.hasOwn(counts, row.verdict)) continue;
    counts[row.verdict] += row.count;
    totals[row.verdict] += row.count;
  }
  const sum = (c: VerdictCounts) => JOB_VERDICTS.reduce((n, v) => n + c[v], 0);
  return {
    period: window.period,
    since: since.toISOString(),
    until: until.toISOString(),
    verdicts: JOB_VERDICTS,
    periods: [...byStart].map(([start, counts]) => ({ start: new Date(start).toISOString(), counts, total: sum(counts) })),
    totals,
    total: sum(totals),
  };
}
