// `t2u-verify watch`: the archive watcher from the command line. With --once,
// one poll of the mirror and a reconciliation against the store, printing
// what was queued, which tags' two copies differ and which uploads have no
// finished verification; without it, polls until interrupted.
// This module is the command's action: watch-command.ts registers the command
// (its options and help) and loads this only when the command runs.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPORT_SCHEMA } from '../report/report.js';
import { pollArchive, startArchiveWatcher, type PollResult, type WatcherLog } from '../server/archive-watch/archive-watcher.js';
import type { RepoUrlRewrite } from '../server/intake/tag-copies.js';
import { isPostgresUrl, openStore } from '../store/open-store.js';
import { UsageError } from '../report/usage-error.js';

export interface WatchFlags {
  mirror: string;
  suite: string[];
  component: string;
  archiveKeyring?: string;
  allowExpiredRelease?: boolean;
  dataDir?: string;
  database?: string;
  repoUrlMap: string[];
  tagCopies: boolean;
  allowHttp?: boolean;
  pendingBound: string;
  interval: string;
  once?: boolean;
  json?: boolean;
}

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number, not ${JSON.stringify(value)}`);
  return n;
}

/** FROM=TO: FROM a URL prefix, TO what replaces it. */
export function parseRewrite(spec: string): RepoUrlRewrite {
  const at = spec.indexOf('=');
  const from = spec.slice(0, at);
  const to = spec.slice(at + 1);
  if (at <= 0 || to === '' || !/^[a-z][a-z0-9+.-]*:\/\//i.test(from) || !/^[a-z][a-z0-9+.-]*:\/\//i.test(to)) {
    throw new UsageError(`--repo-url-map ${JSON.stringify(spec)}: expected FROM=TO, two URL prefixes`);
  }
  return { from, to };
}

/** Warnings and errors on stderr, one line each; the JSON or the summary goes to stdout. */
const stderrLog: WatcherLog = {
  info: () => undefined,
  warn: (obj, msg) => process.stderr.write(`warning: ${codeOf(obj)}${msg}\n`),
  error: (obj, msg) => process.stderr.write(`error: ${codeOf(obj)}${msg}\n`),
};

function codeOf(obj: object): string {
  const code = (obj as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ` : '';
}

export async function watchAction(setExit: (code: number) => void, flags: WatchFlags): Promise<void> {
  if ((flags.dataDir === undefined) === (flags.database === undefined))
    throw new UsageError('give exactly one of --data-dir and --database');
  if (flags.database !== undefined && !isPostgresUrl(flags.database))
    throw new UsageError('--database must be a postgres:// or postgresql:// URL');
  if (flags.archiveKeyring !== undefined && !existsSync(flags.archiveKeyring))
    throw new UsageError(`--archive-keyring ${flags.archiveKeyring}: no such file`);
  const pendingBoundMs = positive('--pending-bound', flags.pendingBound) * 3600_000;
  const intervalMs = positive('--interval', flags.interval) * 1000;
  const repoUrlMap = flags.repoUrlMap.map(parseRewrite);
  const store = await openStore(flags.database !== undefined ? { url: flags.database, dataDir: '' } : { dataDir: resolve(flags.dataDir!) });
  try {
    const options = {
      store,
      mirror: flags.mirror,
      suites: flags.suite.length > 0 ? flags.suite : ['unstable'],
      component: flags.component,
      ...(flags.archiveKeyring !== undefined ? { archiveKeyring: resolve(flags.archiveKeyring) } : {}),
      ...(flags.allowExpiredRelease ? { allowExpiredRelease: true } : {}),
      policy: { allowHttpLoopback: flags.allowHttp === true },
      repoUrlMap,
      checkTagCopies: flags.tagCopies,
      pendingBoundMs,
      log: stderrLog,
    };
    if (flags.once) {
      const result = await pollArchive(options);
      process.stdout.write(
        flags.json ? `${JSON.stringify({ schema: REPORT_SCHEMA, kind: 'watch', ...result }, null, 2)}\n` : renderPoll(result),
      );
      setExit(pollExitCode(result));
      return;
    }
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const watcher = startArchiveWatcher({
      ...options,
      intervalMs,
      signal: controller.signal,
      onPoll: (r) =>
        process.stdout.write(flags.json ? `${JSON.stringify({ schema: REPORT_SCHEMA, kind: 'watch', ...r })}\n` : renderPoll(r)),
    });
    await watcher.done;
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  } finally {
    await store.close();
  }
}

export function pollExitCode(r: PollResult): number {
  if (r.suites.some((s) => s.status === 'failed')) return 3;
  if (r.suites.some((s) => s.discrepancies.length > 0)) return 1;
  return 0;
}

export function renderPoll(r: PollResult): string {
  const out: string[] = [];
  for (const s of r.suites) {
    if (s.status === 'failed') {
      out.push(`${s.suite}: FAILED ${s.error?.code ?? '?'}: ${s.error?.message ?? ''}`);
      continue;
    }
    out.push(
      `${s.suite}: index ${s.status}${s.notModified ? ' (not modified)' : ''}, ${s.uploads} tag2upload uploads, ${s.enqueued.length} queued, ${s.known} already queued`,
    );
    for (const w of s.warnings) out.push(`  warning: ${w}`);
    for (const q of s.enqueued) out.push(`  queued #${q.jobId} ${q.source} ${q.version} ${q.tag} ${q.tagObject} from ${q.repo}`);
    for (const d of s.discrepancies) out.push(`  ${d.reason.code}: ${d.reason.message}`);
    for (const n of s.notes)
      out.push(`  note: ${n.source} ${n.version}: ${n.copy.role} ${n.copy.url} not read (${n.copy.error?.code ?? '?'})`);
    const rec = s.reconciliation;
    if (rec) {
      out.push(
        `  reconciliation: ${rec.verified} verified, ${rec.pending} pending, ${rec.unverified.length} without a finished verification`,
      );
      for (const u of rec.unverified)
        out.push(`  unverified ${u.source} ${u.version} (${u.state}${u.job ? `, job #${u.job.id} ${u.job.status}` : ''}) ${u.upload}`);
    }
  }
  return `${out.join('\n')}\n`;
}
