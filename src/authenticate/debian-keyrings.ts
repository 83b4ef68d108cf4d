// Debian's real uploader keyrings: the debian-keyring package, obtained from a
// mirror the way apt would and cached (src/archive/mirror-package.ts),
// its three keyring files given dgit's AUTH-SPEC roles.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyringRole, KeyringSource } from './openpgp/keyring-index.js';
import { DebianKeyringError, obtainMirrorPackage, type MirrorPackageOptions, type MirrorPackageSpec } from '../archive/mirror-package.js';

export {
  DEFAULT_ARCHIVE_KEYRING,
  DEFAULT_MAX_AGE_MS,
  DEFAULT_MIRROR,
  DEFAULT_SUITE,
  DebianKeyringError,
  verifyInRelease,
} from '../archive/mirror-package.js';

export type DebianKeyringOptions = MirrorPackageOptions;

export interface DebianKeyrings {
  /** The debian-keyring package version. */
  readonly version: string;
  readonly dir: string;
  /** debian-keyring (uploader), debian-maintainers (dm), debian-nonupload (nonupload): dgit's order. */
  readonly keyrings: readonly KeyringSource[];
  readonly fetchedAt: Date;
  readonly fromCache: boolean;
  readonly warnings: readonly string[];
}

/** The keyring files of the debian-keyring package, with dgit's AUTH-SPEC roles, in dgit's order. */
const KEYRING_FILES: ReadonlyArray<readonly [string, KeyringRole]> = [
  ['debian-keyring', 'uploader'],
  ['debian-maintainers', 'dm'],
  ['debian-nonupload', 'nonupload'],
];

const DEBIAN_KEYRING: MirrorPackageSpec<KeyringSource[]> = {
  name: 'debian-keyring',
  label: "Debian's keyrings",
  cacheSubdir: 'keyrings',
  select(dir, version) {
    return KEYRING_FILES.map(([base, role]) => {
      // The package ships .gpg files; keyring.debian.org's own tree calls them .pgp.
      const path = [`${base}.gpg`, `${base}.pgp`].map((f) => join(dir, 'usr/share/keyrings', f)).find((p) => existsSync(p));
      if (!path) throw new DebianKeyringError('format', `debian-keyring ${version} has no ${base}.gpg`);
      return { path, role };
    });
  },
};

/** Debian's keyrings, from the cache when fresh, else from the mirror (falling back to the cache when offline). */
export async function obtainDebianKeyrings(options: DebianKeyringOptions = {}): Promise<DebianKeyrings> {
  const p = await obtainMirrorPackage(DEBIAN_KEYRING, options);
  return { version: p.version, dir: p.dir, keyrings: p.files, fetchedAt: p.fetchedAt, fromCache: p.fromCache, warnings: p.warnings };
}
