// What a verification runs under, made from the configuration: the
// dependencies verify() takes (keyrings, upload keyring, limits, policy, the
// builder root filesystems under the configured cache directory) and
// the report for a run that could not start. Shared by the CLI and the
// service's workers, so that both verify under the same settings.
import { cacheDir } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { reason, type Reason } from '../report/reasons.js';
import { REPORT_SCHEMA, type VerifyReport } from '../report/report.js';
import { builderSandbox } from '../sandbox/index.js';
import type { SourcesIndex } from '../upload/index.js';
import { openRepository, urlPolicyOf } from './open-repository.js';
import { policyOf, type Trust, type UploadKeyring } from './trust.js';
import type { VerifyDeps } from './verify.js';

export interface RunContext {
  /** A verified Sources index to find uploads in (the service keeps one). */
  readonly index?: SourcesIndex;
  readonly signal?: AbortSignal;
  /** Told the running count of pack bytes each remote repository receives (the CLI's progress). */
  readonly onPackBytes?: (bytes: number) => void;
}

/**
 * `trust` may still be loading (the CLI starts it and the fetch at once): the
 * keyrings are awaited when the tag's signature is checked; the caller awaits
 * `trust` itself too, so that a keyring that cannot be loaded is reported as
 * before.
 */
export function verifyDepsFrom(
  config: Readonly<Config>,
  trust: Trust | Promise<Trust>,
  uploadKeyring: UploadKeyring,
  run: RunContext = {},
): VerifyDeps {
  return {
    openRepository: (r) => openRepository(r, config, run.onPackBytes),
    ...(trust instanceof Promise
      ? { keyrings: awaited(trust.then((t) => t.keyrings)), dm: awaited(trust.then((t) => t.dm)) }
      : { keyrings: trust.keyrings, dm: trust.dm }),
    policy: policyOf(config),
    ...(uploadKeyring.path !== undefined ? { uploadKeyring: uploadKeyring.path } : {}),
    ...(uploadKeyring.unavailable !== undefined ? { uploadKeyringUnavailable: uploadKeyring.unavailable } : {}),
    obtain: {
      policy: urlPolicyOf(config),
      timeoutMs: config.upload.timeoutMs,
      maxFileBytes: config.upload.maxFileBytes,
      maxTotalBytes: config.upload.maxTotalBytes,
      indexOptions: { archiveKeyring: config.upload.archiveKeyring, allowExpiredRelease: config.upload.allowExpiredRelease },
      ...(run.index ? { index: run.index } : {}),
    },
    buildTimeoutMs: config.build.timeoutMs,
    // The builder root filesystems live (and are built) under the configured cache directory.
    sandboxFor: (name) => builderSandbox(name, { cache: cacheDir(config) }),
    dgitReposUrl: config.dgitReposUrl,
    ...(run.signal ? { signal: run.signal } : {}),
  };
}

/**
 * A promise whose failure is someone else's to report: a verification that
 * ends before it needs the keyrings leaves it unawaited, and the caller
 * reports the failure from `trust` itself.
 */
function awaited<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** The keyrings' degradations (a stale cached copy), as notes for the report. */
export function keyringNotes(trust: Trust, uploadKeyring: UploadKeyring): Reason[] {
  return [...trust.warnings, ...uploadKeyring.warnings].map((w) => reason('KEYRING_STALE', w));
}

/** The report of a verification that could not start (no keyrings, an unusable job). */
export function unverifiableReport(repo: string, tag: string, why: Reason): VerifyReport {
  const skipped = { status: 'skipped' as const, detail: why.message };
  return {
    schema: REPORT_SCHEMA,
    kind: 'verify',
    verdict: 'unverifiable',
    reasons: [why],
    notes: [],
    layers: { authenticity: skipped, metadata: skipped, binding: skipped, content: skipped, bits: skipped },
    repo,
    tag: { name: tag },
    source: {},
    timings: {},
  };
}
