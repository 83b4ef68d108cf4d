// The committed test keyrings (fixtures/keys/keyrings, made by
// fixtures/keys/make.sh): the uploaders' keyring, the DM keyring and dm.txt,
// named once for what the tests and benches make of them: a
// configuration's trust section, the CLI's flags, and the trust a stage is
// given (keyrings loaded, dm.txt read, the policy), with the repository
// opener that a check-tag or a verify takes beside it.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { CheckTagDeps } from '../../src/pipeline/check-tag.js';
import { openRepository } from '../../src/pipeline/open-repository.js';
import { loadTrust, type Trust } from '../../src/pipeline/trust.js';
import { KeyringIndex } from '../../src/authenticate/openpgp/keyring-index.js';
import { DEFAULT_SIGNATURE_POLICY } from '../../src/authenticate/openpgp/verify-tag-signature.js';

const DIR = fileURLToPath(new URL('../../fixtures/keys/keyrings', import.meta.url));

export const FIXTURE_KEYRINGS = {
  uploaders: join(DIR, 'uploaders.gpg'),
  dm: join(DIR, 'dm.gpg'),
  dmTxt: join(DIR, 'dm.txt'),
} as const;

/** A configuration's trust: both keyrings in their roles, and dm.txt. */
export function fixtureTrustConfig(): Pick<Config, 'keyrings' | 'dmTxt'> {
  return {
    keyrings: [
      { path: FIXTURE_KEYRINGS.uploaders, role: 'uploader' },
      { path: FIXTURE_KEYRINGS.dm, role: 'dm' },
    ],
    dmTxt: FIXTURE_KEYRINGS.dmTxt,
  };
}

/** The CLI's flags for the same trust instead of Debian's keyrings (the DM keyring is not a flag: dm.txt names its keys' rights). */
export const FIXTURE_KEYRING_FLAGS: readonly string[] = [
  '--no-default-keyrings',
  '--keyring',
  FIXTURE_KEYRINGS.uploaders,
  '--dm-txt',
  FIXTURE_KEYRINGS.dmTxt,
];

export interface FixtureTrust {
  readonly config: Readonly<Config>;
  readonly trust: Trust;
  /** What check-tag takes, and verify with its upload and build settings added. */
  readonly deps: CheckTagDeps;
}

/** The configuration with the fixture trust and `overrides` (which may replace it), and that trust loaded. */
export async function loadFixtureTrust(overrides: Partial<Config> = {}): Promise<FixtureTrust> {
  const config = await loadConfig(undefined, { ...fixtureTrustConfig(), ...overrides });
  const trust = await loadTrust(config);
  return {
    config,
    trust,
    deps: { openRepository: (r) => openRepository(r, config), keyrings: trust.keyrings, dm: trust.dm, policy: trust.policy },
  };
}

/** A trust with no keys at all (for a stage that must be given one but judges no signature). */
export function emptyTrust(): Trust {
  return {
    keyrings: new KeyringIndex(),
    dm: undefined,
    policy: { ...DEFAULT_SIGNATURE_POLICY, rejectDigests: [...DEFAULT_SIGNATURE_POLICY.rejectDigests] },
    keyringOrigin: 'test',
    warnings: [],
  };
}
