// What the dashboard's pages say about a job in one line: its package and
// version (or, for a tag that never named one, the repository and tag), the
// upload it judged, the reason that leads its report, and how long it took.
// Reports are stored JSON of several versions of the verifier, read
// defensively: a field of another shape is absent, never a crash.
import type { Job } from '../../store/store.js';

/** A string at `path` in a stored report, or undefined. */
export function reportField(report: unknown, ...path: string[]): string | undefined {
  let v: unknown = report;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return typeof v === 'string' ? v : undefined;
}

/** The source package of a job: its column, else the tag's `source=` item, else the upload's Source. */
export function jobPackage(job: Job): string | undefined {
  return job.package ?? reportField(job.report, 'source', 'package') ?? reportField(job.report, 'upload', 'source');
}

export function jobVersion(job: Job): string | undefined {
  return job.version ?? reportField(job.report, 'source', 'version') ?? reportField(job.report, 'upload', 'version');
}

/** The last path segment of a repository URL without `.git` (`…/t2u-test/hello.git` → `hello`). */
export function repoName(repo: string): string {
  const parts = repo.split('/').filter((p) => p !== '');
  const last = parts[parts.length - 1] ?? repo;
  return last.endsWith('.git') && last.length > 4 ? last.slice(0, -4) : last;
}

/**
 * A job's name for titles: "package version", or, when no package is known
 * (a tag rejected before its metadata was read, a job not yet run), the
 * repository's name and the tag.
 */
export function jobTitle(job: Job): string {
  const pkg = jobPackage(job);
  if (pkg !== undefined) return [pkg, jobVersion(job)].filter((x) => x !== undefined).join(' ');
  return `${repoName(job.repo)} ${job.tag}`;
}

/** The upload's .dsc file name: the report's, else the last segment of the requested upload. */
export function uploadName(job: Job): string | undefined {
  const dsc = reportField(job.report, 'upload', 'dsc');
  if (dsc !== undefined) return dsc;
  if (job.upload === null) return undefined;
  const parts = job.upload.split('/');
  return parts[parts.length - 1] || job.upload;
}

export interface LeadingReason {
  /** Absent for a job's last error (it has no code). */
  readonly code?: string;
  /** The message on one line, clipped. */
  readonly text: string;
  /** A note (a harmless, explained difference), not a failure. */
  readonly note: boolean;
}

/** Characters of a message shown in a list row. */
export const REASON_TEXT_MAX = 110;

/** Whitespace runs (newlines in quoted .dsc fields) as one space, then at most `max` characters. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = Array.from(flat);
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('')}…`;
}

function firstOf(list: unknown): { code: string; message: string } | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const r of list as unknown[]) {
    if (typeof r !== 'object' || r === null) continue;
    const { code, message } = r as { code?: unknown; message?: unknown };
    if (typeof code === 'string') return { code, message: typeof message === 'string' ? message : '' };
  }
  return undefined;
}

/**
 * The reason a list row shows: the report's first reason; else, for a job
 * that failed without one, its last error; else its first note (what made an
 * `equivalent` verdict). Three mismatches of one tag differ here.
 */
export function leadingReason(job: Job): LeadingReason | undefined {
  const report = typeof job.report === 'object' && job.report !== null ? (job.report as Record<string, unknown>) : {};
  const first = firstOf(report['reasons']);
  if (first !== undefined) return { code: first.code, text: oneLine(first.message, REASON_TEXT_MAX), note: false };
  if (job.lastError !== null && job.status === 'done') return { text: oneLine(job.lastError, REASON_TEXT_MAX), note: false };
  const note = firstOf(report['notes']);
  if (note !== undefined) return { code: note.code, text: oneLine(note.message, REASON_TEXT_MAX), note: true };
  return undefined;
}

/** How long the job's last attempt took, when it finished. */
export function jobDurationMs(job: Job): number | undefined {
  if (job.startedAt === null || job.finishedAt === null) return undefined;
  const ms = job.finishedAt.getTime() - job.startedAt.getTime();
  return ms >= 0 ? ms : undefined;
}
