// The tag2upload service keyring that signs every upload's .dsc: Debian's
// debian-tag2upload-keyring package, obtained from a mirror the way apt would
// and cached (src/archive/mirror-package.ts), for hosts where the
// package is not installed (bookworm has none).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DebianKeyringError, obtainMirrorPackage, type MirrorPackageOptions, type MirrorPackageSpec } from '../archive/mirror-package.js';

/** Where the package installs the keyring (and where it is in the unpacked .deb). */
export const TAG2UPLOAD_KEYRING_FILE = 'usr/share/keyrings/debian-tag2upload.pgp';

/**
 * 1.1 (trixie) carries the service key with an expiry of 2026-03-13; 1.2
 * extends it to 2027-02-04. An older keyring would make every later upload's
 * .dsc signature look expired, so it is refused rather than used.
 */
export const MIN_TAG2UPLOAD_KEYRING_VERSION = '1.2';

export interface Tag2uploadKeyring {
  readonly version: string;
  /** The keyring file (OpenPGP binary). */
  readonly path: string;
  readonly fetchedAt: Date;
  readonly fromCache: boolean;
  readonly warnings: readonly string[];
}

const TAG2UPLOAD_KEYRING: MirrorPackageSpec<string> = {
  name: 'debian-tag2upload-keyring',
  label: 'the tag2upload service keyring',
  cacheSubdir: 'tag2upload-keyring',
  minVersion: {
    version: MIN_TAG2UPLOAD_KEYRING_VERSION,
    why: `versions before ${MIN_TAG2UPLOAD_KEYRING_VERSION} carry a tag2upload service key that expired on 2026-03-13; use a suite with ${MIN_TAG2UPLOAD_KEYRING_VERSION} or later (e.g. sid) or give the keyring with --upload-keyring`,
  },
  select(dir, version) {
    const path = join(dir, TAG2UPLOAD_KEYRING_FILE);
    if (!existsSync(path)) throw new DebianKeyringError('format', `debian-tag2upload-keyring ${version} has no ${TAG2UPLOAD_KEYRING_FILE}`);
    return path;
  },
};

/** The service keyring, from the cache when fresh, else from the mirror (falling back to the cache when offline). */
export async function obtainTag2uploadKeyring(options: MirrorPackageOptions = {}): Promise<Tag2uploadKeyring> {
  const p = await obtainMirrorPackage(TAG2UPLOAD_KEYRING, options);
  return { version: p.version, path: p.files, fetchedAt: p.fetchedAt, fromCache: p.fromCache, warnings: p.warnings };
}
