// A verdict that is really the user's mistake: a tag name that is not in the
// repository (or cannot name a ref at all), a --repo path that is not a git
// repository, a repository "URL" that is neither https:// nor a path. On the
// command line these are usage errors (exit 2) with a one-line message naming
// the thing, never a security verdict; the service, which is told about tags
// by others, keeps them as reasons in the report.
import type { ReasonCode } from '../report/reasons.js';
import type { CheckTagReport } from '../report/report.js';
import { UsageError } from '../report/usage-error.js';

const MISTAKES: ReadonlySet<ReasonCode> = new Set<ReasonCode>(['TAG_NOT_FOUND', 'LOCAL_REPO_INVALID', 'UNSUPPORTED_URL']);

/** A URL-looking --repo (scheme:…) that is not one the verifier fetches from. */
export function repoArgumentProblem(repo: string): string | undefined {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(repo)?.[1];
  if (scheme === undefined) return undefined;
  if (!/^https?$/i.test(scheme)) return `--repo ${repo}: not an https:// URL or a local path`;
  try {
    new URL(repo);
  } catch {
    return `--repo ${repo}: malformed URL`;
  }
  return undefined;
}

/** The usage error a check-tag (or verify) report stands for, if the tag was never obtained because of the user's input. */
export function usageMistakeOf(report: Pick<CheckTagReport, 'reasons' | 'tag'>, repo: string, tag: string): UsageError | undefined {
  if (report.tag.object !== undefined) return undefined;
  const r = report.reasons.find((x) => MISTAKES.has(x.code) || x.code === 'TAG_NAME_INVALID');
  if (!r) return undefined;
  switch (r.code) {
    case 'TAG_NOT_FOUND':
      return new UsageError(`tag ${tag}: no such tag in ${repo}`);
    case 'TAG_NAME_INVALID':
      return new UsageError(`--tag ${tag}: ${r.message}`);
    default:
      return new UsageError(`--repo ${repo}: ${r.message}`);
  }
}
