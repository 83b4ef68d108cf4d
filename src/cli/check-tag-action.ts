// `t2u-verify check-tag`: layers 1–2 (authenticity, metadata) for one tag.
// This module is the command's action: check-tag-command.ts registers the command
// (its options and help) and loads this only when the command runs.
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { checkTag } from '../pipeline/check-tag.js';
import { openRepository } from '../pipeline/open-repository.js';
import { loadTrust, isTrustUnavailable } from '../pipeline/trust.js';
import { reason } from '../report/reasons.js';
import { exitCodeFor, REPORT_SCHEMA, type CheckTagReport } from '../report/report.js';
import { renderCheckTag } from './render.js';
import { keyringOverrides } from './keyring-flags.js';
import { allowingExpiredRelease } from './expired-release.js';
import { UsageError } from '../report/usage-error.js';
import { repoArgumentProblem, usageMistakeOf } from './usage-mistake.js';

export interface CheckTagOptions {
  repo: string;
  tag: string;
  keyring: string[];
  defaultKeyrings: boolean;
  dmTxt?: string;
  config?: string;
  json?: boolean;
  allowHttp?: boolean;
  allowExpiredRelease?: boolean;
}

export async function checkTagAction(setExit: (code: number) => void, opts: CheckTagOptions): Promise<void> {
  const badRepo = repoArgumentProblem(opts.repo);
  if (badRepo !== undefined) throw new UsageError(badRepo);
  const config = await configFrom(opts);
  let report: CheckTagReport;
  try {
    const trust = await loadTrust(config);
    report = await checkTag(
      { repo: opts.repo, tag: opts.tag },
      { openRepository: (r) => openRepository(r, config), keyrings: trust.keyrings, dm: trust.dm, policy: trust.policy },
    );
    report.notes.unshift(...trust.warnings.map((w: string) => reason('KEYRING_STALE', w)));
  } catch (err) {
    if (!isTrustUnavailable(err)) throw err;
    report = unverifiableReport(opts, reason('KEYRING_UNAVAILABLE', err.message));
  }
  const mistake = usageMistakeOf(report, opts.repo, opts.tag);
  if (mistake) throw mistake;
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderCheckTag(report));
  setExit(exitCodeFor(report.verdict));
}

async function configFrom(opts: CheckTagOptions): Promise<Readonly<Config>> {
  const overrides: Partial<Config> = {};
  Object.assign(overrides, keyringOverrides(opts));
  if (opts.dmTxt !== undefined) overrides.dmTxt = opts.dmTxt;
  const loaded = await loadConfig(opts.config, overrides);
  const config = opts.allowExpiredRelease ? allowingExpiredRelease(loaded) : loaded;
  return opts.allowHttp ? { ...config, fetch: { ...config.fetch, allowHttpLoopback: true } } : config;
}

function unverifiableReport(opts: CheckTagOptions, why: ReturnType<typeof reason>): CheckTagReport {
  return {
    schema: REPORT_SCHEMA,
    kind: 'check-tag',
    verdict: 'unverifiable',
    reasons: [why],
    notes: [],
    layers: { authenticity: { status: 'skipped', detail: 'no keyring' }, metadata: { status: 'skipped', detail: 'no keyring' } },
    repo: opts.repo,
    tag: { name: opts.tag },
    source: {},
    timings: {},
  };
}
