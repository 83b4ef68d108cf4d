// The parts of a Debian archive's indices that the keyring download needs:
// the SHA256 file list of a (verified) Release file and one package's stanza
// in a Packages file (Debian Policy §5.1 control-file syntax; the Release and
// Packages formats of https://wiki.debian.org/DebianRepository/Format).
import type { Deb822Paragraph } from '../deb822/paragraph.js';
import { parseDeb822 } from '../deb822/parse.js';

/** One control-file stanza; fields are looked up case-insensitively. */
export type Stanza = Deb822Paragraph;

/** Control-file stanzas, read with dpkg's rules (src/deb822); throws Deb822Error on malformed input. */
export function parseStanzas(text: string): Stanza[] {
  return parseDeb822(text);
}

export interface IndexedFile {
  readonly sha256: string;
  readonly size: number;
}

/** The SHA256 field of a Release file: path → hash and size. */
export function releaseSha256(release: Stanza): Map<string, IndexedFile> {
  const files = new Map<string, IndexedFile>();
  for (const line of (release.get('sha256') ?? '').split('\n')) {
    const m = /^\s*([0-9a-f]{64})\s+(\d+)\s+(\S+)\s*$/i.exec(line);
    if (m) files.set(m[3]!, { sha256: m[1]!.toLowerCase(), size: Number(m[2]) });
  }
  return files;
}

export interface PackageEntry {
  readonly version: string;
  readonly filename: string;
  readonly sha256: string;
  readonly size: number;
}

/** The stanzas of `name` in a Packages file that name a file with its SHA256 and size. */
export function findPackage(packages: string, name: string): PackageEntry[] {
  const found: PackageEntry[] = [];
  for (const s of parseStanzas(packages)) {
    if (s.get('package') !== name) continue;
    const version = s.get('version');
    const filename = s.get('filename');
    const sha256 = s.get('sha256')?.toLowerCase();
    const size = Number(s.get('size'));
    if (!version || !filename || !sha256 || !/^[0-9a-f]{64}$/.test(sha256) || !Number.isSafeInteger(size)) continue;
    found.push({ version, filename, sha256, size });
  }
  return found;
}
