// The trust configuration a verification runs under: the uploader keyrings
// (given, or Debian's own from its keyring package), dm.txt, the signature
// policy, and the tag2upload service keyring (given, installed, or Debian's
// debian-tag2upload-keyring package). Loaded once per process and shared by
// every verification: the full Debian keyring takes about a second to frame
// the first time, and a few tens of milliseconds once its layout is cached
// (authenticate/openpgp/keyring-cache.ts), its keys then read when found.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDir } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { DebianKeyringError, obtainDebianKeyrings } from '../authenticate/index.js';
import { parseDmTxt, type DmPermissions } from '../authenticate/index.js';
import { makeMirrorGet } from '../archive/mirror-http.js';
import type { MirrorGet } from '../archive/release.js';
import type { MirrorPackageOptions } from '../archive/mirror-package.js';
import { urlPolicyOf } from './open-repository.js';
import { MIN_TAG2UPLOAD_KEYRING_VERSION, obtainTag2uploadKeyring } from '../authenticate/index.js';
import { compareVersions } from '../deb822/version-compare.js';
import { loadKeyrings, type KeyringIndex, type KeyringSource } from '../authenticate/index.js';
import type { SignaturePolicy } from '../authenticate/index.js';
import { INSTALLED_UPLOAD_KEYRING } from './upload-keyring-path.js';
import { UsageError } from '../report/usage-error.js';
import { isVerificationError, VerificationError } from '../report/verification-error.js';

export interface Trust {
  readonly keyrings: KeyringIndex;
  readonly dm: DmPermissions | undefined;
  readonly policy: SignaturePolicy;
  /** Where the keyrings came from, for the report. */
  readonly keyringOrigin: string;
  /** Degradations worth reporting (e.g. a stale cached Debian keyring). */
  readonly warnings: readonly string[];
}

/**
 * Whether `err`, thrown by loadTrust, leaves the trust unavailable rather than
 * wrong: Debian's keyrings could not be obtained (KEYRING_UNAVAILABLE, the
 * verdict is unverifiable). A file the configuration names that is missing or
 * unreadable is a UsageError (exit 2).
 */
export function isTrustUnavailable(err: unknown): err is VerificationError {
  return isVerificationError(err) && err.code === 'KEYRING_UNAVAILABLE';
}

/**
 * The keyring mirror's HTTP client: the mirror and every redirect follow the
 * URL policy of the configuration, as every URL a job names does
 * (src/net/url-policy.ts).
 */
export function mirrorHttpGet(config: Pick<Config, 'fetch'>): MirrorGet {
  return makeMirrorGet({ policy: urlPolicyOf(config) });
}

export async function loadTrust(config: Readonly<Config>): Promise<Trust> {
  const warnings: string[] = [];
  let sources: KeyringSource[];
  let keyringOrigin: string;
  if (config.keyrings) {
    sources = config.keyrings.map((k) => ({ path: k.path, role: k.role }));
    keyringOrigin = sources.length > 0 ? 'configured keyrings' : 'no default keyrings';
  } else {
    const d = config.debianKeyrings;
    try {
      const debian = await obtainDebianKeyrings({
        http: mirrorHttpGet(config),
        mirror: d.mirror,
        suite: d.suite,
        cacheDir: cacheDir(config),
        maxAgeMs: d.maxAgeHours * 3600_000,
        allowExpiredRelease: d.allowExpiredRelease,
      });
      sources = [...debian.keyrings];
      warnings.push(...debian.warnings);
      keyringOrigin = `debian-keyring ${debian.version} (${d.suite})`;
    } catch (err) {
      if (err instanceof DebianKeyringError)
        throw new VerificationError('KEYRING_UNAVAILABLE', `Debian's keyrings: ${err.message}`, { cause: err });
      throw err;
    }
  }
  const extra = config.extraKeyrings ?? [];
  if (extra.length > 0) {
    sources.push(...extra.map((k) => ({ path: k.path, role: k.role })));
    keyringOrigin += ` + ${extra.map((k) => k.path).join(', ')}`;
  }
  if (sources.length === 0) throw new UsageError('no uploader keyrings: without the default keyrings, give at least one --keyring FILE');
  // Layouts of large keyrings are cached beside Debian's keyrings (keyed by their sha256).
  const keyrings: KeyringIndex = await loadKeyrings(sources, { cacheDir: join(cacheDir(config), 'keyring-layouts') });
  let dm: DmPermissions | undefined;
  if (config.dmTxt !== undefined) {
    let text: string;
    try {
      text = await readFile(config.dmTxt, 'utf8');
    } catch (err) {
      throw new UsageError(`${config.dmTxt}: cannot read dm.txt: ${(err as Error).message}`, { cause: err });
    }
    dm = parseDmTxt(text);
  }
  return { keyrings, dm, policy: policyOf(config), keyringOrigin, warnings };
}

/** The signature policy of a configuration. */
export function policyOf(config: Readonly<Config>): SignaturePolicy {
  const p = config.policy;
  return {
    rejectDigests: [...p.rejectDigests],
    minRsaBits: p.minRsaBits,
    rejectDsa: p.rejectDsa,
    rejectElgamal: p.rejectElgamal,
    sha1KeyBindings: p.sha1KeyBindings,
  };
}

/** The service keyring to check the .dsc signature with, or why there is none. */
export interface UploadKeyring {
  readonly path?: string;
  /** Set when `path` is absent: the reason, for KEYRING_UNAVAILABLE (subject upload). */
  readonly unavailable?: string;
  /** Where the keyring came from, for logs. */
  readonly origin: string;
  /** Degradations worth reporting (a stale cached package, an expired Release accepted). */
  readonly warnings: readonly string[];
}

export interface UploadKeyringOptions {
  /** The installed package's file (default INSTALLED_UPLOAD_KEYRING). */
  readonly installed?: string;
  /** dpkg's status file, which says the installed package's version (default /var/lib/dpkg/status). */
  readonly dpkgStatus?: string;
  /** Mirror access beyond the configuration (the archive keyring that signs InRelease, the HTTP client). */
  readonly mirror?: Pick<MirrorPackageOptions, 'archiveKeyring' | 'http' | 'now'>;
}

/**
 * `uploadKeyring` when configured; else the installed package's keyring;
 * else debian-tag2upload-keyring (1.2 or later) from the mirror and suite of
 * `debianKeyrings`, cached like Debian's uploader keyrings. Never throws for
 * an unobtainable package: the binding then reports KEYRING_UNAVAILABLE (subject upload)
 * with the reason.
 */
export async function resolveUploadKeyring(config: Readonly<Config>, options: UploadKeyringOptions = {}): Promise<UploadKeyring> {
  if (config.uploadKeyring !== undefined) return { path: config.uploadKeyring, origin: 'configured upload keyring', warnings: [] };
  const installed = options.installed ?? INSTALLED_UPLOAD_KEYRING;
  const warnings: string[] = [];
  if (existsSync(installed)) {
    // trixie's 1.1 carries the service key that expired on 2026-03-13: every
    // later upload would look signed by an expired key. Not used; the mirror's is.
    const version = await installedPackageVersion(options.dpkgStatus ?? '/var/lib/dpkg/status', 'debian-tag2upload-keyring');
    if (version === undefined || compareVersions(version, MIN_TAG2UPLOAD_KEYRING_VERSION) >= 0)
      return { path: installed, origin: `installed ${installed}`, warnings: [] };
    warnings.push(
      `the installed debian-tag2upload-keyring ${version} is older than ${MIN_TAG2UPLOAD_KEYRING_VERSION} (its service key expired on 2026-03-13): ${installed} is not used`,
    );
  }
  const d = config.debianKeyrings;
  try {
    const got = await obtainTag2uploadKeyring({
      http: mirrorHttpGet(config),
      ...options.mirror,
      mirror: d.mirror,
      suite: d.suite,
      cacheDir: cacheDir(config),
      maxAgeMs: d.maxAgeHours * 3600_000,
      allowExpiredRelease: d.allowExpiredRelease,
    });
    return { path: got.path, origin: `debian-tag2upload-keyring ${got.version} (${d.suite})`, warnings: [...warnings, ...got.warnings] };
  } catch (err) {
    if (!(err instanceof DebianKeyringError)) throw err;
    const local = warnings.length > 0 ? `${warnings[0]!}, and` : `${installed} is not installed and`;
    return { unavailable: `${local} debian-tag2upload-keyring could not be obtained: ${err.message}`, origin: 'none', warnings: [] };
  }
}

/** The version dpkg's status file records for an installed package, if it is installed. */
async function installedPackageVersion(statusFile: string, name: string): Promise<string | undefined> {
  const text = await readFile(statusFile, 'utf8').catch(() => '');
  for (const stanza of text.split(/\n\s*\n/)) {
    if (!new RegExp(`^Package: ${name}$`, 'm').test(stanza)) continue;
    if (!/^Status: \S+ \S+ installed$/m.test(stanza)) return undefined;
    return /^Version: (\S+)$/m.exec(stanza)?.[1];
  }
  return undefined;
}
