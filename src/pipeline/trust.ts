// The trust configuration a verification runs under: the uploader keyrings
// (given, or Debian's own from its keyring package), dm.txt, and the
// signature policy. Loaded once per process (the full Debian keyring takes
// about a second to index) and shared by every verification.
import { readFile } from 'node:fs/promises';
import { cacheDir } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { DebianKeyringError, obtainDebianKeyrings } from '../authenticate/debian-keyrings.js';
import { parseDmTxt, type DmPermissions } from '../authenticate/dm-txt.js';
import { KeyringLoadError, loadKeyrings, type KeyringIndex, type KeyringSource } from '../authenticate/keyring-index.js';
import type { SignaturePolicy } from '../authenticate/verify-tag-signature.js';

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
 * `usage`: a file the configuration names is missing or unreadable (exit 2);
 * `unavailable`: Debian's keyrings could not be obtained (the verdict is unverifiable).
 */
export class TrustSetupError extends Error {
  override readonly name = 'TrustSetupError';
  constructor(
    readonly kind: 'usage' | 'unavailable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export async function loadTrust(config: Readonly<Config>): Promise<Trust> {
  const warnings: string[] = [];
  let sources: KeyringSource[];
  let keyringOrigin: string;
  if (config.keyrings) {
    sources = config.keyrings.map((k) => ({ path: k.path, role: k.role }));
    keyringOrigin = 'configured keyrings';
  } else {
    const d = config.debianKeyrings;
    try {
      const debian = await obtainDebianKeyrings({
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
      if (err instanceof DebianKeyringError) throw new TrustSetupError('unavailable', `Debian's keyrings: ${err.message}`, { cause: err });
      throw err;
    }
  }
  let keyrings: KeyringIndex;
  try {
    keyrings = await loadKeyrings(sources);
  } catch (err) {
    if (err instanceof KeyringLoadError) throw new TrustSetupError('usage', err.message, { cause: err });
    throw err;
  }
  let dm: DmPermissions | undefined;
  if (config.dmTxt !== undefined) {
    let text: string;
    try {
      text = await readFile(config.dmTxt, 'utf8');
    } catch (err) {
      throw new TrustSetupError('usage', `${config.dmTxt}: cannot read dm.txt: ${(err as Error).message}`, { cause: err });
    }
    dm = parseDmTxt(text);
  }
  const p = config.policy;
  const policy: SignaturePolicy = {
    rejectDigests: [...p.rejectDigests],
    minRsaBits: p.minRsaBits,
    rejectDsa: p.rejectDsa,
    rejectElgamal: p.rejectElgamal,
    sha1KeyBindings: p.sha1KeyBindings,
  };
  return { keyrings, dm, policy, keyringOrigin, warnings };
}
