// The summary of verdicts over a window: every period present, zeros
// included, the window bounded and aligned to days or ISO weeks, over a real
// SQLite store whose finish times are set directly.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { MAX_SUMMARY_DAYS, summaryBounds, verdictSummary } from '../../src/store/verdict-summary.js';

const dir = mkdtempSync(join(tmpdir(), 't2u-summary-'));
const file = join(dir, 'summary.sqlite');
let store: SqliteStore;
// Thursday 2026-12-03, 15:00 UTC.
const NOW = new Date('2026-12-03T15:00:00Z');

beforeAll(async () => {
  store = new SqliteStore({ file });
  const finished: [string, 'reproduced' | 'mismatch' | 'rejected'][] = [
    ['2026-12-03T01:00:00Z', 'reproduced'],
    ['2026-12-03T02:00:00Z', 'reproduced'],
    ['2026-12-01T10:00:00Z', 'mismatch'], // Tuesday
    ['2026-11-29T23:00:00Z', 'rejected'], // Sunday: the week before
    ['2026-11-01T12:00:00Z', 'reproduced'], // a month back
  ];
  for (let i = 0; i < finished.length; i++) await store.enqueue({ repo: `r${i}`, tag: 'debian/1', intake: 'api' });
  for (const c of await store.claim({ workerId: 'w', limit: 10 })) {
    await store.complete(c.id, c.leaseToken, { verdict: finished[Number(c.id) - 1]![1], report: {} });
  }
  const db = new Database(file);
  finished.forEach(([at], i) => db.prepare('UPDATE jobs SET finished_at = ? WHERE id = ?').run(Date.parse(at), i + 1));
  db.close();
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('verdictSummary', () => {
  it('lists every day of the window oldest first, the quiet ones as zeros, with totals', async () => {
    const s = await verdictSummary(store, { period: 'day', days: 5 }, NOW);
    expect(s).toMatchObject({ period: 'day', since: '2026-11-29T00:00:00.000Z', until: '2026-12-04T00:00:00.000Z', total: 4 });
    expect(s.periods.map((p) => [p.start.slice(0, 10), p.total])).toEqual([
      ['2026-11-29', 1],
      ['2026-11-30', 0],
      ['2026-12-01', 1],
      ['2026-12-02', 0],
      ['2026-12-03', 2],
    ]);
    expect(s.periods[4]!.counts).toEqual({ reproduced: 2, equivalent: 0, mismatch: 0, rejected: 0, unverifiable: 0, authentic: 0 });
    expect(s.totals).toMatchObject({ reproduced: 2, mismatch: 1, rejected: 1 });
  });

  it('counts by ISO week, the window aligned to a Monday', async () => {
    const s = await verdictSummary(store, { period: 'week', days: 14 }, NOW);
    expect(s.since).toBe('2026-11-16T00:00:00.000Z');
    expect(s.until).toBe('2026-12-07T00:00:00.000Z');
    expect(s.periods.map((p) => [p.start.slice(0, 10), p.counts.reproduced, p.counts.mismatch, p.counts.rejected])).toEqual([
      ['2026-11-16', 0, 0, 0],
      ['2026-11-23', 0, 0, 1],
      ['2026-11-30', 2, 1, 0],
    ]);
  });

  it('bounds the window to a year and a day, and to at least the current period', () => {
    const year = summaryBounds({ period: 'day', days: 100_000 }, NOW);
    expect((year.until.getTime() - year.since.getTime()) / 86_400_000).toBe(MAX_SUMMARY_DAYS);
    const one = summaryBounds({ period: 'day', days: 0 }, NOW);
    expect([one.since.toISOString(), one.until.toISOString()]).toEqual(['2026-12-03T00:00:00.000Z', '2026-12-04T00:00:00.000Z']);
  });
});
