// The verification the service's workers run, made from the service's
// configuration (keyrings, upload keyring, mirror, policy, fetch limits): the
// join between the worker loop and the verify pipeline (src/pipeline/). The
// trust configuration (Debian's keyrings take about a second to index) is
// loaded once, on the first job, and again after a failure; the upload keyring
// is resolved on the first job, again when it could not be obtained, and
// again once the cached package is older than debianKeyrings.maxAgeHours.
import { cacheDir } from '../../config/load.js';
import { isUrl, urlPolicyOf } from '../../pipeline/open-repository.js';
import { loadTrust, resolveUploadKeyring, isTrustUnavailable, type Trust, type UploadKeyring } from '../../pipeline/trust.js';
import { verify, type VerifyUpload } from '../../pipeline/verify.js';
import { keyringNotes, unverifiableReport, verifyDepsFrom } from '../../pipeline/verify-setup.js';
import { reason } from '../../report/reasons.js';
import { UsageError } from '../../report/usage-error.js';
import { withSandboxOutput } from '../../sandbox/output-tap.js';
import { builderSandbox } from '../../sandbox/index.js';
import { fetchSourcesIndex, type SourcesIndex } from '../../upload/index.js';
import type { ServiceConfig } from '../service-config.js';
import type { VerifyJob } from './worker.js';

/**
 * How long a verified Sources index serves jobs that name no upload. Parsing
 * sid's takes seconds and hundreds of megabytes, so it is not done per job;
 * an upload not yet in it is UPLOAD_NOT_FOUND, retried after the index is
 * fetched again.
 */
export const INDEX_MAX_AGE_MS = 5 * 60_000;

export function makeVerifyJob(config: Readonly<ServiceConfig>): VerifyJob {
  let trust: Promise<Trust> | undefined;
  let index: { at: number; index: Promise<SourcesIndex> } | undefined;
  let uploadKeyring: { at: number; keyring: Promise<UploadKeyring> } | undefined;
  const maxAgeMs = config.debianKeyrings.maxAgeHours * 3600_000;
  const policy = urlPolicyOf(config);
  return async (req, ctx) => {
    // Only a .dsc URL: a job must never make the service read a path on its own host.
    let upload: VerifyUpload;
    if (req.upload === undefined) upload = { kind: 'mirror', mirror: config.mirror ?? config.upload.mirror, suite: config.upload.suite };
    else if (isUrl(req.upload)) upload = { kind: 'dsc-url', url: req.upload };
    else
      return unverifiableReport(
        req.repo,
        req.tag,
        reason('UPLOAD_URL_INVALID', `the job's upload ${JSON.stringify(req.upload.slice(0, 200))} is not a URL`),
      );
    let t: Trust;
    try {
      trust ??= loadTrust(config);
      t = await trust;
    } catch (err) {
      trust = undefined;
      if (!isTrustUnavailable(err) && !(err instanceof UsageError)) throw err;
      return unverifiableReport(req.repo, req.tag, reason('KEYRING_UNAVAILABLE', err.message));
    }
    if (uploadKeyring === undefined || Date.now() - uploadKeyring.at >= maxAgeMs)
      uploadKeyring = { at: Date.now(), keyring: resolveUploadKeyring(config) };
    const uk = await uploadKeyring.keyring;
    // Not kept: the next job asks the mirror again.
    if (uk.path === undefined) uploadKeyring = undefined;
    // One verified index for every job within INDEX_MAX_AGE_MS; a failed
    // fetch is not kept, and obtaining the upload then says why itself.
    let sources: SourcesIndex | undefined;
    if (upload.kind === 'mirror') {
      if (index === undefined || Date.now() - index.at >= INDEX_MAX_AGE_MS) {
        index = {
          at: Date.now(),
          index: fetchSourcesIndex({
            mirror: upload.mirror ?? config.upload.mirror,
            suite: upload.suite ?? config.upload.suite,
            policy,
            archiveKeyring: config.upload.archiveKeyring,
            allowExpiredRelease: config.upload.allowExpiredRelease,
          }),
        };
      }
      try {
        sources = await index.index;
      } catch {
        index = undefined;
      }
    }
    ctx.log.debug({ upload, uploadKeyring: uk.origin }, 'verifying');
    const deps = verifyDepsFrom(config, t, uk, { ...(sources ? { index: sources } : {}), signal: ctx.signal });
    const output = ctx.output;
    const report =
      output === undefined
        ? await verify({ repo: req.repo, tag: req.tag, upload }, deps)
        : // What the verification prints is the attempt's log: its progress (the rootfs's included) and every sandboxed command's output.
          await withSandboxOutput(output, () => {
            const progress = (line: string): void => output(`[t2u-verify] ${line}\n`);
            const sandboxFor = (name: string) =>
              builderSandbox(name, { cache: cacheDir(config), onProgress: (line) => progress(`rootfs ${name}: ${line}`) });
            return verify({ repo: req.repo, tag: req.tag, upload }, { ...deps, progress, sandboxFor });
          });
    report.notes.unshift(...keyringNotes(t, uk));
    // A webhook names the tag object that was pushed (GitLab's `after`); the
    // fetch reads the tag as it is now. Another object means the tag was
    // replaced in between: the report is about the one fetched, and says so.
    const fetched = report.tag.object;
    if (req.tagObject !== undefined && fetched !== undefined && fetched !== req.tagObject) {
      report.notes.push(
        reason(
          'TAG_MOVED',
          `refs/tags/${req.tag} was announced as tag object ${req.tagObject} but names ${fetched} now; the report is about ${fetched}`,
        ),
      );
    }
    return report;
  };
}
