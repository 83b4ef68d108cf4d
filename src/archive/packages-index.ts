// A binary package's entries in a suite's Packages index (Debian Policy §5.3;
// the Packages format of https://wiki.debian.org/DebianRepository/Format):
// the version, the pool file and its SHA256 and size.
import { parseDeb822 } from '../deb822/parse.js';

export interface PackageEntry {
  readonly version: string;
  readonly filename: string;
  readonly sha256: string;
  readonly size: number;
}

/** The stanzas of `name` in a Packages file that name a file with its SHA256 and size; throws a FormatError on malformed input. */
export function findPackage(packages: string, name: string): PackageEntry[] {
  const found: PackageEntry[] = [];
  for (const s of parseDeb822(packages)) {
    if (s.get('Package') !== name) continue;
    const version = s.get('Version');
    const filename = s.get('Filename');
    const sha256 = s.get('SHA256')?.toLowerCase();
    const size = Number(s.get('Size'));
    if (!version || !filename || !sha256 || !/^[0-9a-f]{64}$/.test(sha256) || !Number.isSafeInteger(size)) continue;
    found.push({ version, filename, sha256, size });
  }
  return found;
}
