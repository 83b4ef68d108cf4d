// Checksum lists: the Files and Checksums-* fields of a .dsc or Sources entry
// and the MD5Sum/SHA256 fields of a Release file, one "HASH SIZE NAME" entry
// per continuation line, read as Dpkg::Checksums::add_from_string (and apt's
// Release parser) read them: three words, a lower-case hash of the
// algorithm's length, a decimal size, and each name at most once. What a name
// may be is the caller's (a .dsc names plain files; a Release names paths).
import { FormatError } from '../report/format-error.js';

export const HASH_LENGTH = { md5: 32, sha1: 40, sha256: 64 } as const;
export type ChecksumAlgorithm = keyof typeof HASH_LENGTH;

export interface ChecksumEntry {
  readonly name: string;
  readonly size: number;
  /** Lower-case hex. */
  readonly hash: string;
}

/** The entries of a checksum list field; throws a FormatError on a malformed line or a name given twice. */
export function parseChecksumList(
  value: string,
  algorithm: ChecksumAlgorithm,
  field: string,
  checkName: (name: string) => void = () => undefined,
): ChecksumEntry[] {
  const out: ChecksumEntry[] = [];
  const seen = new Set<string>();
  const hashRe = new RegExp(`^[0-9a-f]{${HASH_LENGTH[algorithm]}}$`);
  for (const line of value.split(/\n */)) {
    if (line === '') continue;
    const parts = line.split(/[ \t]+/);
    if (parts.length !== 3) throw new FormatError('checksum-list', `${field}: invalid line ${JSON.stringify(line.slice(0, 120))}`);
    const [hash, sizeText, name] = parts as [string, string, string];
    if (!hashRe.test(hash))
      throw new FormatError('checksum-list', `${field}: ${JSON.stringify(hash.slice(0, 80))} is not a lower-case ${algorithm} hash`);
    if (!/^[0-9]+$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
      throw new FormatError('checksum-list', `${field}: invalid size ${JSON.stringify(sizeText.slice(0, 40))}`);
    checkName(name);
    if (seen.has(name)) throw new FormatError('checksum-list', `${field} lists ${name} twice`);
    seen.add(name);
    out.push({ name, size: Number(sizeText), hash });
  }
  return out;
}
