// What an attestation says about the verifier itself: its version (from
// package.json) and the tool versions of the builder profile that
// reproduced. Kept apart from the publisher, which opens the log store, so
// that `verify --attest` signs an attestation without loading a database
// driver.
import { readFileSync } from 'node:fs';
import { PROFILES } from '../sandbox/builder-profiles.js';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export const VERIFIER_VERSION = packageVersion();

/** The tool versions of a builder profile, by name (empty for an unknown name). */
export function profileTools(profile: string | undefined): Record<string, string> {
  const p = PROFILES.find((x) => x.name === profile);
  return p === undefined ? {} : { ...p.packages };
}
