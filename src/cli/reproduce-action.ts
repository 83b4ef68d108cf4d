// `t2u-verify reproduce`: the bits layer alone. Rebuilds a tag of a
// repository as tag2upload's builder would, under builder profiles, and
// compares the result byte for byte with a given upload.
// This module is the command's action: reproduce-command.ts registers the command
// (its options and help) and loads this only when the command runs.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { builderSandbox, profileByName, PROFILES } from '../sandbox/index.js';
import { reproduce, type ReproduceResult } from '../reconstruct/index.js';
import { LocalRepository } from '../fetch/index.js';
import { tagNameForVersion } from '../interpret/index.js';
import { reason, reasonInfo, type Reason } from '../report/reasons.js';
import { readLocalPackage } from '../upload/index.js';
import { exitCodeFor, REPORT_SCHEMA } from '../report/report.js';
import { skippedByWhy } from './render-verify.js';
import { UsageError } from '../report/usage-error.js';
import { isVerificationError } from '../report/verification-error.js';

export interface ReproduceOptions {
  repo?: string;
  tag?: string;
  tree?: string;
  dsc: string;
  uploadKeyring?: string;
  profile?: string;
  existingOrig?: boolean;
  timeout: string;
  json?: boolean;
}

export async function reproduceAction(setExit: (code: number) => void, opts: ReproduceOptions): Promise<void> {
  // A --tree that is a git checkout is rebuilt from its tag (the three .dsc fields can
  // then be checked): --tag, or the DEP-14 name of the .dsc's version.
  if (opts.tree !== undefined && opts.repo === undefined && existsSync(join(opts.tree, '.git'))) {
    opts = { ...opts, repo: opts.tree, tag: opts.tag ?? tagForDsc(opts.dsc) };
    delete opts.tree;
  }
  if (opts.tree !== undefined && (opts.repo !== undefined || opts.tag !== undefined))
    throw new UsageError('give either --repo and --tag, or --tree');
  if (opts.tree === undefined && (opts.repo === undefined || opts.tag === undefined))
    throw new UsageError('give --repo and --tag (or --tree)');
  const profile = opts.profile === undefined ? undefined : profileByName(opts.profile);
  if (opts.profile !== undefined && !profile)
    throw new UsageError(`unknown builder profile ${JSON.stringify(opts.profile)} (known: ${PROFILES.map((p) => p.name).join(', ')})`);
  const seconds = Number(opts.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new UsageError(`--timeout must be a positive number of seconds, not ${JSON.stringify(opts.timeout)}`);
  for (const [flag, path] of [
    ['--dsc', opts.dsc],
    ['--upload-keyring', opts.uploadKeyring],
    ['--repo', opts.repo],
    ['--tree', opts.tree],
  ] as const) {
    if (path !== undefined && !existsSync(path)) throw new UsageError(`${flag} ${path}: no such file or directory`);
  }
  if (opts.tree !== undefined && !statSync(opts.tree).isDirectory()) throw new UsageError(`--tree ${opts.tree}: not a directory`);
  if (opts.repo !== undefined && statSync(opts.repo).isDirectory()) await checkTagIsThere(opts.repo, opts.tag!, seconds * 1000);
  // The upload read once, in place: its .dsc, and its files checked against it.
  const local = await readLocalPackage(resolve(opts.dsc));
  const run = !local.ok
    ? unreadUpload(local.reasons)
    : await reproduce({
        from:
          opts.tree !== undefined ? { kind: 'tree', dir: resolve(opts.tree) } : { kind: 'git', repo: resolve(opts.repo!), tag: opts.tag! },
        upload: local.pkg,
        ...(opts.uploadKeyring !== undefined ? { uploadKeyring: resolve(opts.uploadKeyring) } : {}),
        ...(profile ? { profiles: [profile] } : {}),
        existingOrigs: opts.existingOrig === true,
        timeoutMs: seconds * 1000,
        // The builder root filesystems in the default cache, built there when missing.
        sandboxFor: (name) => builderSandbox(name),
      });
  // Without the service keyring the binding was never checked: the report says so, and so does the verdict line.
  const result: ReproduceResult =
    opts.uploadKeyring !== undefined
      ? run
      : {
          ...run,
          notes: [
            ...run.notes,
            reason('UPLOAD_SIGNATURE_NOT_CHECKED', `no --upload-keyring: the signature of ${opts.dsc} was not checked`),
          ],
        };
  process.stdout.write(opts.json ? `${JSON.stringify(reportOf(opts, result), null, 2)}\n` : render(opts, result));
  setExit(exitCodeFor(result.verdict));
}

/** The result for an upload that could not be read: nothing was built. */
function unreadUpload(reasons: readonly Reason[]): ReproduceResult {
  return {
    verdict: 'unverifiable',
    reasons: [...reasons],
    notes: [],
    attempts: [],
    skipped: [],
    files: [],
    fields: [],
    dscIdentical: false,
    timings: { totalMs: 0 },
  };
}

function reportOf(opts: ReproduceOptions, r: ReproduceResult): Record<string, unknown> {
  const bits =
    r.verdict === 'unverifiable'
      ? 'skipped'
      : r.verdict === 'mismatch' && !r.files.length
        ? 'skipped'
        : r.verdict === 'mismatch'
          ? 'fail'
          : 'pass';
  return {
    schema: REPORT_SCHEMA,
    kind: 'reproduce',
    verdict: r.verdict,
    reasons: r.reasons,
    notes: r.notes,
    layers: {
      bits: { status: bits },
      ...(r.signature ? { binding: { status: r.signature.ok ? 'pass' : 'fail', detail: 'the .dsc signature by the upload keyring' } } : {}),
    },
    ...(opts.repo !== undefined ? { repo: opts.repo } : {}),
    tag: { name: opts.tag ?? null, ...(r.build?.tag ? { object: r.build.tag.object, signer: r.build.tag.fingerprint } : {}) },
    upload: { dsc: opts.dsc, ...(r.signature ? { signature: r.signature } : {}) },
    reconstruction: {
      profile: r.profile ?? null,
      dscIdentical: r.dscIdentical,
      files: r.files,
      fields: r.fields,
      attempts: r.attempts,
      ...(r.skipped.length ? { skipped: r.skipped } : {}),
      ...(r.profileHint ? { profileHint: r.profileHint } : {}),
      ...(r.build ? { build: r.build } : {}),
    },
    timings: r.timings,
  };
}

function render(opts: ReproduceOptions, r: ReproduceResult): string {
  const out: string[] = [];
  const unsigned = r.signature === undefined ? '; the .dsc signature was not checked (no --upload-keyring)' : '';
  out.push(
    `${r.verdict.toUpperCase()}: ${opts.tag !== undefined ? `${opts.repo} ${opts.tag}` : opts.tree} against ${opts.dsc}${r.profile ? ` (profile ${r.profile})` : ''}${unsigned}`,
  );
  if (r.signature)
    out.push(
      `  .dsc signature: ${r.signature.ok ? `good, by ${r.signature.signer ?? '?'}` : 'FAILED'}${r.signature.created ? ` at ${r.signature.created}` : ''}`,
    );
  for (const f of r.files) {
    out.push(
      `  ${f.match ? 'same' : 'DIFF'} ${f.name}${f.origin === 'given' ? " (the archive's orig, used as given)" : ''}${f.match ? '' : `: upload ${f.got ? `${f.got.size} ${f.got.sha256.slice(0, 16)}` : '-'}, rebuilt ${f.expected ? `${f.expected.size} ${f.expected.sha256.slice(0, 16)}` : '-'}`}`,
    );
  }
  if (r.files.length) out.push(`  ${r.dscIdentical ? 'same' : 'DIFF'} .dsc body`);
  for (const d of r.fields)
    out.push(`    field ${d.field}: upload ${JSON.stringify(d.got ?? null)}, rebuilt ${JSON.stringify(d.expected ?? null)}`);
  if (r.profileHint) out.push(`  profile order: ${r.profileHint}`);
  for (const a of r.attempts)
    out.push(
      `  tried ${a.profile}: ${a.outcome}${a.differences ? ` (${a.differences} differences)` : ''} in ${(a.durationMs / 1000).toFixed(1)} s`,
    );
  for (const [why, profiles] of skippedByWhy(r.skipped)) out.push(`  not tried ${profiles.join(', ')}: ${why}`);
  for (const x of r.reasons) out.push(`  ${x.code} (${x.layer}): ${x.message}`);
  for (const x of r.notes) out.push(`  note ${x.code}: ${x.message}`);
  return `${out.join('\n')}\n`;
}

/**
 * A --repo directory that is not a git repository, or lacks the tag, is the
 * user's mistake (exit 2), not a build that failed: it is found here by
 * reading the repository's refs, before anything is built.
 */
async function checkTagIsThere(repoPath: string, tag: string, timeoutMs: number): Promise<void> {
  let repo: LocalRepository;
  try {
    repo = await LocalRepository.open(repoPath, { timeoutMs, maxObjectBytes: 1 << 20 });
  } catch (err) {
    if (isVerificationError(err) && reasonInfo(err.code).layer === 'fetch') throw new UsageError(`--repo ${repoPath}: ${err.message}`);
    throw err;
  }
  try {
    if ((await repo.resolveTag(tag)) === undefined) throw new UsageError(`tag ${tag}: no such tag in ${repoPath}`);
  } finally {
    await repo.close();
  }
}

/** The DEP-14 tag name of the version a .dsc names (debian/1%2.0_rc1-1 for 1:2.0~rc1-1). */
function tagForDsc(dsc: string): string {
  let text: string;
  try {
    text = readFileSync(dsc, 'utf8');
  } catch (err) {
    throw new UsageError(`--dsc ${dsc}: ${(err as Error).message}`);
  }
  const version = /^Version: *(\S+) *$/m.exec(text)?.[1];
  if (version === undefined) throw new UsageError(`--dsc ${dsc}: no Version field; give --tag`);
  return tagNameForVersion(version);
}
