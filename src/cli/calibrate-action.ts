// `t2u-verify calibrate`: rebuilds a sample of real tag2upload uploads from
// the archive (each unpacked with dpkg-source -x in the sandbox) and reports
// how many the builder profiles reproduce, so an operator can tell whether
// the verifier's model of Debian's builder still holds.
// This module is the command's action: calibrate-command.ts registers the command
// (its options and help) and loads this only when the command runs.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { calibrate, calibrationExitCode, type CalibratedUpload, type CalibrationReport, type Selection } from '../pipeline/calibrate.js';
import { REPORT_SCHEMA } from '../report/report.js';
import { UsageError } from '../report/usage-error.js';
import { isVerificationError } from '../report/verification-error.js';

export interface CalibrateFlags {
  mirror?: string;
  suite: string[];
  all?: boolean;
  sample: string;
  seed?: string;
  smallest?: boolean;
  maxSize?: string;
  maxCandidates?: string;
  uploadKeyring?: string;
  allowExpiredRelease?: boolean;
  timeout: string;
  jobs: string;
  json?: boolean;
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive integer, not ${JSON.stringify(value)}`);
  return n;
}

export async function calibrateAction(setExit: (code: number) => void, flags: CalibrateFlags): Promise<void> {
  if (flags.seed !== undefined && flags.smallest) throw new UsageError('give either --seed or --smallest');
  if (flags.all && (flags.seed !== undefined || flags.smallest))
    throw new UsageError('--all takes every upload: it has no --seed or --smallest');
  const suites = flags.suite.length ? flags.suite : ['sid'];
  const sample = positiveInt('--sample', flags.sample);
  const seconds = positiveInt('--timeout', flags.timeout);
  const concurrency = positiveInt('--jobs', flags.jobs);
  if (flags.uploadKeyring !== undefined && !existsSync(flags.uploadKeyring))
    throw new UsageError(`--upload-keyring ${flags.uploadKeyring}: no such file`);
  const selection: Selection = flags.all
    ? { kind: 'all' }
    : flags.smallest
      ? { kind: 'smallest' }
      : { kind: 'random', seed: flags.seed !== undefined ? positiveInt('--seed', flags.seed) : 1 + Math.floor(Math.random() * 2 ** 31) };
  const report = await calibrate({
    ...(flags.mirror ? { mirror: flags.mirror } : {}),
    suites,
    sample,
    selection,
    ...(flags.maxSize !== undefined ? { maxBytes: positiveInt('--max-size', flags.maxSize) } : {}),
    ...(flags.maxCandidates !== undefined ? { maxCandidates: positiveInt('--max-candidates', flags.maxCandidates) } : {}),
    ...(flags.uploadKeyring !== undefined ? { uploadKeyring: resolve(flags.uploadKeyring) } : {}),
    ...(flags.allowExpiredRelease ? { allowExpiredRelease: true } : {}),
    buildTimeoutMs: seconds * 1000,
    concurrency,
    ...(flags.json && !flags.all
      ? {}
      : {
          onUpload: (u: CalibratedUpload, at: { n: number; total: number }) =>
            process.stderr.write(`${flags.all ? progressLine(u, at) : line(u)}\n`),
        }),
  }).catch((e: unknown) => {
    // The index could not be had (unverified, expired, unreachable): nothing to calibrate on.
    if (isVerificationError(e)) return e;
    throw e;
  });
  if (report instanceof Error) {
    const code = report.code;
    if (flags.json)
      process.stdout.write(
        `${JSON.stringify({ schema: REPORT_SCHEMA, kind: 'calibrate', error: { code, message: report.message } }, null, 2)}\n`,
      );
    else process.stderr.write(`t2u-verify calibrate: ${code}: ${report.message}\n`);
    setExit(3);
    return;
  }
  process.stdout.write(
    flags.json ? `${JSON.stringify({ schema: REPORT_SCHEMA, kind: 'calibrate', ...report }, null, 2)}\n` : render(report),
  );
  setExit(calibrationExitCode(report));
}

/** One line per settled upload of an `--all` run. */
export function progressLine(u: CalibratedUpload, at: { n: number; total: number }): string {
  const codes = [...new Set(u.reasons.map((r) => r.code))];
  const verdict = u.verdict === 'skipped' ? 'not on the mirror' : `${u.verdict}${codes.length ? ` (${codes.join(', ')})` : ''}`;
  return `[${at.n}/${at.total}] ${u.source} ${u.version}${u.suite ? ` [${u.suite}]` : ''}: ${verdict}${u.profile && u.verdict !== 'skipped' ? `, profile ${u.profile}` : ''}, ${(u.durationMs / 1000).toFixed(1)} s`;
}

function line(u: CalibratedUpload): string {
  if (u.verdict === 'skipped') return `  skip ${u.source} ${u.version}: ${u.reasons[0]?.message ?? 'not obtained'}`;
  return `  ${u.verdict.toUpperCase()} ${u.source} ${u.version}${u.profile ? ` (profile ${u.profile})` : ''} in ${(u.durationMs / 1000).toFixed(1)} s`;
}

export function render(r: CalibrationReport): string {
  const out: string[] = [];
  for (const w of r.warnings) out.push(`warning: ${w}`);
  const sel =
    r.selection.kind === 'random' ? `random, seed ${r.selection.seed}` : r.selection.kind === 'all' ? 'every upload' : 'smallest first';
  out.push(`calibration against ${r.mirror} ${r.suite} (${sel}): ${r.eligible} tag2upload uploads eligible`);
  out.push(`  tried ${r.tried}, not on the mirror ${r.notOnMirror}, downloadable ${r.downloadable}`);
  out.push(`  reproduced ${r.reproduced}, equivalent ${r.equivalent}, mismatch ${r.mismatch}, unverifiable ${r.unverifiable}`);
  out.push(`  rate ${r.rate === null ? '-' : `${(r.rate * 100).toFixed(0)}% (${r.reproduced + r.equivalent}/${r.downloadable})`}`);
  for (const [p, n] of Object.entries(r.byProfile)) out.push(`  profile ${p}: ${n}`);
  for (const u of r.uploads.filter((x) => x.verdict !== 'skipped')) {
    out.push(`${u.verdict.toUpperCase()} ${u.source} ${u.version} (${u.size} bytes)${u.profile ? ` profile ${u.profile}` : ''}`);
    if (u.signature) out.push(`  .dsc signature: ${u.signature.ok ? `good, by ${u.signature.signer ?? '?'}` : 'FAILED'}`);
    if (u.profileHint) out.push(`  profile order: ${u.profileHint}`);
    if (u.verdict === 'reproduced' || u.verdict === 'equivalent') {
      if (u.attempts.length > 1) out.push(`  builds: ${u.attempts.map((a) => `${a.profile} ${a.outcome}`).join(', ')}`);
      continue;
    }
    for (const x of u.reasons) out.push(`  ${x.code}: ${x.message}`);
    for (const f of u.differs?.files ?? [])
      out.push(
        `  file ${f.name}: upload ${f.expected ? `${f.expected.size} ${f.expected.sha256.slice(0, 16)}` : '-'}, rebuilt ${f.got ? `${f.got.size} ${f.got.sha256.slice(0, 16)}` : '-'}`,
      );
    for (const f of u.differs?.fields ?? [])
      out.push(`  field ${f.field}: upload ${JSON.stringify(f.expected ?? null)}, rebuilt ${JSON.stringify(f.got ?? null)}`);
    for (const a of u.attempts)
      out.push(
        `  tried ${a.profile}: ${a.outcome}${a.differences !== undefined ? ` (${a.differences} differences)` : ''}${a.codes.length ? ` ${a.codes.join(',')}` : ''}`,
      );
  }
  out.push('', 'verdict       reason                              uploads');
  for (const row of r.byVerdictAndReason) out.push(`${row.verdict.padEnd(13)} ${row.code.padEnd(35)} ${row.count}`);
  const secs = (ms: number | null): string => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);
  out.push(
    `time per upload: median ${secs(r.timePerUpload.medianMs)}, p90 ${secs(r.timePerUpload.p90Ms)}; load average ${r.loadAverage.start.toFixed(2)} at the start, ${r.loadAverage.end.toFixed(2)} at the end`,
  );
  return `${out.join('\n')}\n`;
}
