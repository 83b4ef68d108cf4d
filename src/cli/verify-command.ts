// `t2u-verify verify`: the verifier's main job. All five layers for one tag
// and one upload: a verdict line, then what differs, or the report object.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { loadTrust, resolveUploadKeyring, TrustSetupError } from '../pipeline/trust.js';
import { INSTALLED_UPLOAD_KEYRING, verify, type VerifyUpload } from '../pipeline/verify.js';
import { keyringNotes, unverifiableReport, verifyDepsFrom } from '../pipeline/verify-setup.js';
import { reason } from '../report/reasons.js';
import { exitCodeForVerify, type VerifyReport } from '../report/report.js';
import { renderVerify } from './render-verify.js';
import { UsageError } from './usage-error.js';

interface VerifyOptions {
  repo: string;
  tag: string;
  upload?: string;
  mirror?: string;
  suite?: string;
  keyring: string[];
  dmTxt?: string;
  uploadKeyring?: string;
  config?: string;
  allowHttp?: boolean;
  allowExpiredRelease?: boolean;
  timeout?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerVerify(program: Command, setExit: (code: number) => void): void {
  program
    .command('verify')
    .description('Prove or refute a tag2upload upload: tag authenticity and metadata, binding, content and bits')
    .requiredOption('--repo <url|path>', 'repository: an https:// URL (smart HTTP) or a local git checkout')
    .requiredOption('--tag <name>', 'tag name, e.g. debian/1.2-3 (without refs/tags/)')
    .option('--upload <dsc>', "the upload's .dsc: a path (files beside it) or an https:// URL (files from the same directory)")
    .option('--mirror <url>', "find the upload in this mirror's verified Sources index (default: the configured mirror, deb.debian.org)")
    .option('--suite <name>', 'the suite whose Sources index to search (default sid)')
    .option('--keyring <file>', "uploader keyring (repeatable); replaces Debian's keyrings and authorises any package", collect, [])
    .option('--dm-txt <file>', "ftp-master's dm.txt: which packages each Debian Maintainer may upload")
    .option('--upload-keyring <file>', `the tag2upload service keyring (default ${INSTALLED_UPLOAD_KEYRING} when installed, else debian-tag2upload-keyring from the Debian mirror)`)
    .option('--config <file>', 'configuration file (JSON; see docs/configuration.md)')
    .option('--allow-http', 'allow plain http:// repositories and uploads on loopback addresses (tests)')
    .option('--allow-expired-release', "accept a mirror's InRelease past its Valid-Until (with a warning)")
    .option('--timeout <seconds>', 'time limit per sandboxed build or unpacking')
    .option('--json', 'print the report object (schema t2u-verify/report/v1)')
    .addHelpText('after', [
      '',
      'Without --upload, the upload is the archive entry for the tag\'s source and version in the mirror.',
      'Exit status: 0 reproduced or equivalent, 1 mismatch or rejected, 2 usage or configuration error,',
      '3 unverifiable.',
    ].join('\n'))
    .action(async (opts: VerifyOptions) => {
      if (opts.upload !== undefined && (opts.mirror !== undefined || opts.suite !== undefined)) throw new UsageError('give either --upload or --mirror/--suite');
      const config = await configFrom(opts);
      const upload = uploadOf(opts, config);
      if (config.uploadKeyring !== undefined && !existsSync(config.uploadKeyring)) throw new UsageError(`upload keyring ${config.uploadKeyring}: no such file`);
      let report: VerifyReport;
      try {
        const trust = await loadTrust(config);
        const uploadKeyring = await resolveUploadKeyring(config);
        report = await verify({ repo: opts.repo, tag: opts.tag, upload }, verifyDepsFrom(config, trust, uploadKeyring));
        report.notes.unshift(...keyringNotes(trust, uploadKeyring));
      } catch (err) {
        if (!(err instanceof TrustSetupError)) throw err;
        if (err.kind === 'usage') throw new UsageError(err.message);
        report = unverifiableReport(opts.repo, opts.tag, reason('KEYRING_UNAVAILABLE', err.message));
      }
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderVerify(report));
      setExit(exitCodeForVerify(report.verdict));
    });
}

function uploadOf(opts: VerifyOptions, config: Readonly<Config>): VerifyUpload {
  if (opts.upload === undefined) return { kind: 'mirror', mirror: opts.mirror ?? config.upload.mirror, suite: opts.suite ?? config.upload.suite };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(opts.upload)) return { kind: 'dsc-url', url: opts.upload };
  if (!existsSync(opts.upload)) throw new UsageError(`--upload ${opts.upload}: no such file`);
  return { kind: 'dsc-path', path: resolve(opts.upload) };
}

async function configFrom(opts: VerifyOptions): Promise<Readonly<Config>> {
  const overrides: Partial<Config> = {};
  if (opts.keyring.length > 0) overrides.keyrings = opts.keyring.map((path) => ({ path, role: 'uploader' as const }));
  if (opts.dmTxt !== undefined) overrides.dmTxt = opts.dmTxt;
  if (opts.uploadKeyring !== undefined) overrides.uploadKeyring = resolve(opts.uploadKeyring);
  let config: Config;
  try {
    config = { ...(await loadConfig(opts.config, overrides)) };
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  if (opts.allowHttp) config.fetch = { ...config.fetch, allowHttpLoopback: true };
  if (opts.allowExpiredRelease) config.upload = { ...config.upload, allowExpiredRelease: true };
  if (opts.timeout !== undefined) {
    const seconds = Number(opts.timeout);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout must be a positive number of seconds, not ${JSON.stringify(opts.timeout)}`);
    config.build = { ...config.build, timeoutMs: Math.round(seconds * 1000) };
  }
  return config;
}
