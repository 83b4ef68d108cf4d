// ftp-master's dm.txt: which packages each Debian Maintainer key may upload.
// Stanzas of `Fingerprint:`, `Uid:` and `Allow:` fields; `Allow:` lists
// `package (granting DD's fingerprint)` items separated by commas, continued
// on lines that start with white space. dgit-repos-server's dm_txt_check
// matches the signer's *primary* fingerprint (gpgv VALIDSIG field 10) against
// `Fingerprint:` case-insensitively, reads the first stanza that matches, and
// strips the parenthesised granter before comparing package names.

export class DmPermissions {
  private readonly allow: Map<string, Set<string>>;

  constructor(allow: Map<string, Set<string>>) {
    this.allow = allow;
  }

  /** True when `primaryFingerprint` may upload source package `pkg`. */
  isDmAuthorised(primaryFingerprint: string, pkg: string): boolean {
    return this.allow.get(primaryFingerprint.toLowerCase())?.has(pkg) ?? false;
  }

  /** The packages a fingerprint may upload (empty when it has no stanza). */
  packagesOf(primaryFingerprint: string): ReadonlySet<string> {
    return this.allow.get(primaryFingerprint.toLowerCase()) ?? new Set();
  }

  get size(): number {
    return this.allow.size;
  }
}

/** Splits deb822-like text into stanzas of field name (lower case) → value (continuation lines joined with "\n"). */
function stanzas(text: string): Array<Map<string, string>> {
  const out: Array<Map<string, string>> = [];
  let current: Map<string, string> | undefined;
  let field: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') {
      current = undefined;
      field = undefined;
      continue;
    }
    if (/^[ \t]/.test(line)) {
      if (current && field !== undefined) current.set(field, `${current.get(field)}\n${line.trim()}`);
      continue;
    }
    const m = /^([^:\s]+):(.*)$/.exec(line);
    if (!m) {
      field = undefined;
      continue;
    }
    if (!current) {
      current = new Map();
      out.push(current);
    }
    field = m[1]!.toLowerCase();
    current.set(field, m[2]!.trim());
  }
  return out;
}

/** Parses dm.txt; stanzas without a fingerprint are ignored, and the first stanza of a fingerprint wins. */
export function parseDmTxt(text: string): DmPermissions {
  const allow = new Map<string, Set<string>>();
  for (const stanza of stanzas(text)) {
    const fpr = stanza.get('fingerprint')?.replace(/\s+/g, '').toLowerCase();
    if (!fpr || allow.has(fpr)) continue;
    const packages = new Set<string>();
    const value = stanza.get('allow') ?? '';
    // "hello (FPR),\nother (FPR)": drop the granters, then split on commas and white space.
    for (const item of value.replace(/\([^()]*\)/g, ' ').split(/[,\s]+/)) {
      if (item !== '') packages.add(item);
    }
    allow.set(fpr, packages);
  }
  return new DmPermissions(allow);
}
