// Shared by the dashboard tests: a SQLite store holding one finished job per
// report of test/server/fixtures/reports.json (reports of real `verify` runs
// on the upload fixtures, made by make-reports.ts), one running and one queued job, recorded through the
// store's own enqueue → claim → complete path.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { JobIntake } from '../../src/store/store.js';
import type { VerifyReport } from '../../src/report/report.js';

export interface ReportCase {
  readonly description: string;
  readonly report: VerifyReport;
}

/** The markup an attacker puts in the tagger name of the hostile fixture tags: it must reach a page as text. */
export const HOSTILE_TAGGER_NAME = '<img src=x onerror=window.__pwned=1>';

let reports: Record<string, ReportCase> | undefined;

export function reportOf(name: string): VerifyReport {
  reports ??= (
    JSON.parse(readFileSync(new URL('./fixtures/reports.json', import.meta.url), 'utf8')) as { cases: Record<string, ReportCase> }
  ).cases;
  const c = reports[name];
  if (!c) throw new Error(`no report fixture ${name}`);
  return c.report;
}

/** Finished jobs, oldest first: name → how the job was requested. */
const DONE: readonly { name: string; source: JobIntake }[] = [
  { name: 'reproduced', source: 'webhook' },
  { name: 'equivalent', source: 'webhook' },
  { name: 'tamper-debian-tar', source: 'archive' },
  { name: 'tamper-orig-byte', source: 'archive' },
  { name: 'tamper-dsc-build-depends', source: 'api' },
  { name: 'rejected', source: 'api' },
  { name: 'hostile-tagger-rejected', source: 'webhook' },
  { name: 'hostile-tagger', source: 'webhook' },
];

export interface SeededStore {
  readonly store: SqliteStore;
  /** Case name (and `running`, `queued`) → job id. */
  readonly ids: Readonly<Record<string, string>>;
  cleanup(): Promise<void>;
}

export const repoOf = (name: string): string => `https://salsa.debian.org/t2u-test/${name}.git`;

export async function seededStore(): Promise<SeededStore> {
  const dir = await mkdtemp(join(tmpdir(), 't2u-dashboard-'));
  const store = new SqliteStore({ dataDir: dir });
  const ids: Record<string, string> = {};
  for (const { name, source } of DONE) {
    const report = reportOf(name);
    const { id } = await store.enqueue({
      repo: repoOf(name),
      tag: report.tag.name,
      ...(report.tag.object ? { tagObject: report.tag.object } : {}),
      intake: source,
      upload: report.upload?.origin,
    });
    const [claimed] = await store.claim({ workerId: 'test-worker', limit: 1 });
    if (claimed?.id !== id) throw new Error(`claimed ${claimed?.id} instead of ${id}`);
    const version = report.source.version ?? report.upload?.version;
    await store.complete(id, claimed.leaseToken, { verdict: report.verdict, report, ...(version ? { version } : {}) });
    ids[name] = id;
  }
  const running = await store.enqueue({ repo: repoOf('running'), tag: 'debian/2.0-1', intake: 'api', version: '2.0-1' });
  const [claimed] = await store.claim({ workerId: 'worker-7@test', limit: 1 });
  if (claimed?.id !== running.id) throw new Error('could not claim the running job');
  ids['running'] = running.id;
  ids['queued'] = (await store.enqueue({ repo: repoOf('queued'), tag: 'debian/3.0-1', intake: 'webhook', version: '3.0-1' })).id;
  return {
    store,
    ids,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
