// `t2u-verify verify`: the verifier's main job. All five layers for one tag
// and one upload: a verdict line, then what differs, or the report object.
// Three ways to name them: SOURCE VERSION (the upload from the archive's
// verified Sources index, the tag and repository found from its .dsc), a
// .dsc path or URL as dscverify takes (the same, for that upload), or
// --repo and --tag (the upload from --upload, or the archive).
// This module is the command's action: verify-command.ts registers the command
// (its options and help) and loads this only when the command runs.
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { tagNameForVersion } from '../interpret/index.js';
import { locateTag } from '../pipeline/locate-tag.js';
import { openRepository } from '../pipeline/open-repository.js';
import { loadTrust, resolveUploadKeyring, isTrustUnavailable, type Trust, type UploadKeyring } from '../pipeline/trust.js';
import { formatBytes, verify, type VerifyUpload } from '../pipeline/verify.js';
import { keyringNotes, unverifiableReport, verifyDepsFrom } from '../pipeline/verify-setup.js';
import { reason } from '../report/reasons.js';
import { exitCodeFor, type VerifyReport } from '../report/report.js';
import { SOURCE_NAME } from '../deb822/dsc.js';
import { dscNameOfUrl, obtainUpload, type UploadLocator } from '../upload/index.js';
import { isPlainFileName } from '../deb822/file-name.js';
import { keyringOverrides } from './keyring-flags.js';
import { byteProgress, progressFor, type Progress } from './progress.js';
import { NOT_LOCATED, renderVerify } from './render-verify.js';
import type { Ed25519Key } from '../publish/ed25519.js';
import type { writeAttestation } from './attest-file.js';
import { UsageError } from '../report/usage-error.js';
import { repoArgumentProblem, usageMistakeOf } from './usage-mistake.js';
import { allowingExpiredRelease } from './expired-release.js';
import { isVerificationError } from '../report/verification-error.js';

export interface VerifyOptions {
  repo?: string;
  tag?: string;
  upload?: string;
  mirror?: string;
  suite?: string;
  keyring: string[];
  defaultKeyrings: boolean;
  dmTxt?: string;
  uploadKeyring?: string;
  config?: string;
  allowHttp?: boolean;
  allowExpiredRelease?: boolean;
  timeout?: string;
  json?: boolean;
  progress?: boolean;
  attest?: string;
  attestOut?: string;
  attestName: string;
}

/** What the command line names: a tag (and where its upload is), or an upload whose tag is to be found. */
type Target =
  | { readonly kind: 'tag'; readonly repo: string; readonly tag: string; readonly upload: VerifyUpload }
  | { readonly kind: 'upload'; readonly locator: UploadLocator; readonly repo?: string; readonly tag?: string };

const isUrl = (s: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

export async function verifyAction(
  setExit: (code: number) => void,
  first: string | undefined,
  version: string | undefined,
  opts: VerifyOptions,
): Promise<void> {
  const badRepo = opts.repo === undefined ? undefined : repoArgumentProblem(opts.repo);
  if (badRepo !== undefined) throw new UsageError(badRepo);
  const config = await configFrom(opts);
  const target = targetOf(first, version, opts, config);
  if (config.uploadKeyring !== undefined && !existsSync(config.uploadKeyring))
    throw new UsageError(`upload keyring ${config.uploadKeyring}: no such file`);
  const progress = progressFor(opts);
  // The attestation's code is loaded only when one is asked for.
  let attest: { key: Ed25519Key; write: typeof writeAttestation } | undefined;
  if (opts.attest !== undefined) {
    const [{ isValidKeyName }, { loadKeyFile }, attestFile] = await Promise.all([
      import('../publish/signed-note.js'),
      import('../publish/log-keys.js'),
      import('./attest-file.js'),
    ]);
    if (!isValidKeyName(opts.attestName))
      throw new UsageError(`--attest-name ${JSON.stringify(opts.attestName)}: a key name has no spaces and no "+"`);
    try {
      attest = { key: await loadKeyFile(opts.attest), write: attestFile.writeAttestation };
    } catch (err) {
      throw new UsageError(`--attest: ${(err as Error).message}`);
    }
  }
  const startedOn = new Date();
  let report: VerifyReport;
  try {
    // The keyrings load while the tag is fetched (the signature check awaits
    // them); a keyring that cannot be loaded is still reported as below,
    // since the report's notes await it in any case.
    const trust = loadTrust(config);
    trust.catch(() => undefined);
    const uploadKeyring = await resolveUploadKeyring(config);
    report = await run(target, config, trust, uploadKeyring, progress);
  } catch (err) {
    if (!isTrustUnavailable(err)) throw err;
    const named =
      target.tag ??
      (target.kind === 'upload' && target.locator.kind === 'archive' ? tagNameForVersion(target.locator.version) : NOT_LOCATED);
    report = unverifiableReport(target.repo ?? NOT_LOCATED, named, reason('KEYRING_UNAVAILABLE', err.message));
  }
  // A tag the user named that the repository does not have is their mistake, not a verdict.
  const mistake = target.kind === 'tag' ? usageMistakeOf(report, opts.repo ?? target.repo, target.tag) : undefined;
  if (mistake) throw mistake;
  progress?.(`verdict: ${report.verdict}`);
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderVerify(report));
  if (attest !== undefined) {
    const path = await attest.write(report, { name: opts.attestName, key: attest.key }, startedOn, opts.attestOut);
    process.stderr.write(`attestation: ${path}\n`);
  }
  setExit(exitCodeFor(report.verdict));
}

async function run(
  target: Target,
  config: Readonly<Config>,
  trust: Promise<Trust>,
  uploadKeyring: UploadKeyring,
  progress: Progress | undefined,
): Promise<VerifyReport> {
  const onPackBytes = progress && byteProgress(progress, 'fetching');
  const deps = {
    ...verifyDepsFrom(config, trust, uploadKeyring, { ...(onPackBytes && { onPackBytes }) }),
    ...(progress ? { progress } : {}),
  };
  const withNotes = async (report: VerifyReport): Promise<VerifyReport> => {
    report.notes.unshift(...keyringNotes(await trust, uploadKeyring));
    return report;
  };
  if (target.kind === 'tag') return withNotes(await verify({ repo: target.repo, tag: target.tag, upload: target.upload }, deps));

  const where = target.locator;
  progress?.(
    where.kind === 'archive'
      ? `obtaining ${where.source} ${where.version} from the verified Sources index of ${where.suite ?? 'sid'}`
      : `obtaining the upload from ${where.kind === 'dsc-path' ? where.path : where.url}`,
  );
  const obtained = await obtainUpload(where, deps.obtain);
  if (!obtained.ok) {
    const name = where.kind === 'archive' ? tagNameForVersion(where.version) : NOT_LOCATED;
    const report = unverifiableReport(target.repo ?? NOT_LOCATED, target.tag ?? name, obtained.reasons[0]!);
    report.reasons.push(...obtained.reasons.slice(1));
    report.notes.push(...obtained.notes);
    return withNotes(report);
  }
  const upload = obtained.upload;
  const { dsc } = upload;
  progress?.(
    `upload ${dsc.source} ${dsc.version}: ${upload.files.length + 1} files, ${formatBytes(upload.files.reduce((n, f) => n + f.size, upload.dscBytes.length))}`,
  );
  if (dsc.gitTagInfo === undefined) {
    await upload.dispose();
    throw new UsageError(
      `${dsc.source} ${dsc.version} (${upload.origin}) is not a tag2upload upload: its .dsc has no Git-Tag-Info field, so no tag made it`,
    );
  }
  const tag = target.tag ?? tagNameForVersion(dsc.version);
  let repo = target.repo;
  if (repo === undefined) {
    const located = await locateTag(
      dsc,
      (url) => openRepository(url, config),
      (c) => progress?.(`looking for ${tag} in ${c.url} (${c.from})`),
    );
    for (const line of located.tried) progress?.(`  ${line}`);
    if (located.repo === undefined) {
      await upload.dispose();
      const skipped = { status: 'skipped' as const, detail: 'no repository holds the tag' };
      return withNotes({
        ...unverifiableReport(NOT_LOCATED, tag, located.reason!),
        notes: [...upload.notes],
        layers: { authenticity: skipped, metadata: skipped, binding: skipped, content: skipped, bits: skipped },
        source: { package: dsc.source, version: dsc.version },
        tag: { name: tag, object: located.tagObject },
      });
    }
    repo = located.repo;
  }
  return withNotes(await verify({ repo, tag, upload: { kind: 'obtained', upload } }, deps));
}

function targetOf(first: string | undefined, version: string | undefined, opts: VerifyOptions, config: Readonly<Config>): Target {
  const mirrorGiven = opts.mirror !== undefined || opts.suite !== undefined;
  if (opts.upload !== undefined && mirrorGiven) throw new UsageError('give either --upload or --mirror/--suite');
  const repo = opts.repo === undefined ? undefined : isUrl(opts.repo) ? opts.repo : resolve(opts.repo);
  if (first === undefined) {
    if (repo === undefined || opts.tag === undefined) throw new UsageError('give SOURCE VERSION, a .dsc, or --repo and --tag');
    return { kind: 'tag', repo, tag: opts.tag, upload: uploadOf(opts, config) };
  }
  if (opts.upload !== undefined)
    throw new UsageError('--upload names the upload of --repo and --tag; with SOURCE VERSION or a .dsc, leave it out');
  const named = { ...(repo !== undefined ? { repo } : {}), ...(opts.tag !== undefined ? { tag: opts.tag } : {}) };
  if (version === undefined) {
    if (!first.endsWith('.dsc')) throw new UsageError(`${first}: give SOURCE VERSION, or a .dsc path or URL`);
    if (mirrorGiven) throw new UsageError('--mirror/--suite find an upload by SOURCE VERSION; a .dsc is the upload');
    return { kind: 'upload', locator: dscLocator(first, 'the .dsc'), ...named };
  }
  if (!SOURCE_NAME.test(first)) throw new UsageError(`${JSON.stringify(first)} is not a source package name`);
  if (!/^(?:[0-9]+:)?[0-9A-Za-z][0-9A-Za-z.+~-]*$/.test(version))
    throw new UsageError(`${JSON.stringify(version)} is not a Debian version`);
  return {
    kind: 'upload',
    locator: {
      kind: 'archive',
      source: first,
      version,
      mirror: opts.mirror ?? config.upload.mirror,
      suite: opts.suite ?? config.upload.suite,
    },
    ...named,
  };
}

function dscLocator(dsc: string, what: string): Extract<UploadLocator, { kind: 'dsc-path' | 'dsc-url' }> {
  if (isUrl(dsc)) {
    try {
      dscNameOfUrl(new URL(dsc));
    } catch (e) {
      throw new UsageError(`${what} ${dsc}: ${isVerificationError(e) ? e.message : 'not a URL'}`);
    }
    return { kind: 'dsc-url', url: dsc };
  }
  if (!existsSync(dsc)) throw new UsageError(`${what} ${dsc}: no such file`);
  if (!isPlainFileName(basename(dsc)))
    throw new UsageError(`${what} ${dsc}: ${JSON.stringify(basename(dsc))} is not a file name dpkg allows for a .dsc`);
  return { kind: 'dsc-path', path: resolve(dsc) };
}

function uploadOf(opts: VerifyOptions, config: Readonly<Config>): VerifyUpload {
  if (opts.upload === undefined)
    return { kind: 'mirror', mirror: opts.mirror ?? config.upload.mirror, suite: opts.suite ?? config.upload.suite };
  return dscLocator(opts.upload, '--upload');
}

async function configFrom(opts: VerifyOptions): Promise<Readonly<Config>> {
  const overrides: Partial<Config> = { ...keyringOverrides(opts) };
  if (opts.dmTxt !== undefined) overrides.dmTxt = opts.dmTxt;
  if (opts.uploadKeyring !== undefined) overrides.uploadKeyring = resolve(opts.uploadKeyring);
  let config: Config = { ...(await loadConfig(opts.config, overrides)) };
  if (opts.allowHttp) config.fetch = { ...config.fetch, allowHttpLoopback: true };
  if (opts.allowExpiredRelease) config = allowingExpiredRelease(config);
  if (opts.timeout !== undefined) {
    const seconds = Number(opts.timeout);
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw new UsageError(`--timeout must be a positive number of seconds, not ${JSON.stringify(opts.timeout)}`);
    config.build = { ...config.build, timeoutMs: Math.round(seconds * 1000) };
  }
  return config;
}
