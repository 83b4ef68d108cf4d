// Debian version ordering, as Dpkg::Version compares versions (dpkg-dev 1.22
// and 1.23, unchanged between them): epoch, then upstream version, then
// revision, each part by dpkg's verrevcmp. Used for Build-Depends
// simplification and for the minimum versions of Debian packages the
// verifier downloads or finds installed.

interface Version {
  epoch: string;
  upstream: string;
  revision: string;
}

/** Dpkg::Version->new: epoch before the first ":", revision after the last "-". */
function splitVersion(v: string): Version {
  let rest = v;
  let epoch = '0';
  const e = /^([^:]*):(.+)$/s.exec(v);
  if (e) {
    epoch = e[1]!;
    rest = e[2]!;
  }
  // The revision follows the last hyphen.
  const hyphen = rest.lastIndexOf('-');
  return hyphen === -1
    ? { epoch, upstream: rest, revision: '0' }
    : { epoch, upstream: rest.slice(0, hyphen), revision: rest.slice(hyphen + 1) };
}

/** Dpkg::Version::version_check (the Perl one, which Dpkg::Deps and is_valid use), check by check. */
export function isValidVersion(v: string): boolean {
  if (v === '') return false;
  const p = splitVersion(v);
  if (p.epoch === '' || p.upstream === '' || p.revision === '') return false;
  if (/^\D/.test(p.upstream)) return false;
  if (/[^-+:.0-9a-zA-Z~]/.test(v)) return false;
  return /^\d*$/.test(p.epoch);
}

/** dpkg's order(): "~" sorts before everything, then the end, then letters, then the rest. */
function order(c: string | undefined): number {
  if (c === undefined || /[0-9]/.test(c)) return 0;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

/** dpkg's verrevcmp. */
function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let diff = 0;
    while ((i < a.length && !/[0-9]/.test(a[i]!)) || (j < b.length && !/[0-9]/.test(b[j]!))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (i < a.length && /[0-9]/.test(a[i]!) && j < b.length && /[0-9]/.test(b[j]!)) {
      if (!diff) diff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && /[0-9]/.test(a[i]!)) return 1;
    if (j < b.length && /[0-9]/.test(b[j]!)) return -1;
    if (diff) return diff;
  }
  return 0;
}

/** Dpkg::Version's <=> (version_compare_parts). */
export function compareVersions(a: string, b: string): number {
  const x = splitVersion(a);
  const y = splitVersion(b);
  const ea = Number(x.epoch);
  const eb = Number(y.epoch);
  if (ea !== eb) return ea < eb ? -1 : 1;
  return Math.sign(verrevcmp(x.upstream, y.upstream)) || Math.sign(verrevcmp(x.revision, y.revision));
}
