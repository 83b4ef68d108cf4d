// Debian version syntax, exactly as dpkg checks it (Dpkg::Version::version_check,
// dpkg-dev 1.22): the epoch is what precedes the first ":", the revision what
// follows the last "-"; dpkg-parsechangelog prints "Version: unknown" for an
// entry whose version fails these checks.

export interface DebianVersion {
  /** The epoch as written, or undefined when the version has none. */
  readonly epoch?: string;
  readonly upstream: string;
  /** The Debian revision, or undefined for a native version. */
  readonly revision?: string;
}

/** Splits a version as Dpkg::Version->new does (no validation). */
export function splitVersion(version: string): DebianVersion {
  let rest = version;
  let epoch: string | undefined;
  const e = /^([^:]*):(.+)$/s.exec(rest);
  if (e) {
    epoch = e[1]!;
    rest = e[2]!;
  }
  const dash = rest.lastIndexOf('-');
  if (dash === -1) return { ...(epoch === undefined ? {} : { epoch }), upstream: rest };
  return { ...(epoch === undefined ? {} : { epoch }), upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) };
}

/** Why `version` is not a valid Debian version (dpkg's message), or undefined when it is. */
export function versionProblem(version: string): string | undefined {
  if (version === '') return 'version number cannot be empty';
  const v = splitVersion(version);
  if (v.epoch === '') return 'epoch part of the version number cannot be empty';
  if (v.upstream === '') return 'upstream version cannot be empty';
  if (v.revision === '') return 'revision cannot be empty';
  if (!/^[0-9]/.test(v.upstream)) return 'version number does not start with digit';
  const bad = /[^-+:.0-9a-zA-Z~]/.exec(version);
  if (bad) return `version number contains illegal character '${bad[0]}'`;
  if (v.epoch !== undefined && !/^[0-9]*$/.test(v.epoch)) {
    return `epoch part of the version number is not a number: '${v.epoch}'`;
  }
  return undefined;
}

/** The upstream part without epoch and revision, as in orig tarball names ("1:2.0~rc1-1" → "2.0~rc1"). */
export function upstreamVersion(version: string): string {
  return splitVersion(version).upstream;
}
