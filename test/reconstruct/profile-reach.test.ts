// Which profiles a build's differences leave to try: derived from the settings
// each profile of the table fixes. The property that matters most: an upload
// made under any profile is never skipped after a build under another, for
// every difference the settings in which the two differ produce.
import { describe, expect, it } from 'vitest';
import type { FileComparison } from '../../src/compare/rebuilt-package.js';
import { differencesOf, whyNotReachable, type BuildDifferences } from '../../src/reconstruct/profile-reach.js';
import { PROFILES, profileByName, type BuilderProfile } from '../../src/sandbox/builder-profiles.js';

const d = { size: 1, sha256: 'a' };
const e = { size: 1, sha256: 'b' };
const differs = (name: string): FileComparison => ({ name, expected: d, got: e, match: false, origin: 'rebuilt' });
const same = (name: string): FileComparison => ({ name, expected: d, got: d, match: true, origin: 'rebuilt' });
const build = (x: Partial<BuildDifferences>): BuildDifferences => ({ files: [], fields: [], dscIdentical: false, ...x });
const p = (name: string): BuilderProfile => profileByName(name)!;
const reachable = (tried: string, x: BuildDifferences): string[] =>
  PROFILES.filter((c) => c.name !== tried && whyNotReachable(c, p(tried), differencesOf(x)) === undefined).map((c) => c.name);

const ORIG = 'p_1.0.orig.tar.xz';

/** What a build under `tried` shows against an upload made under `actual`: the bytes each differing setting touches. */
function shows(tried: BuilderProfile, actual: BuilderProfile): BuildDifferences {
  const files: FileComparison[] = [];
  const fields: { field: string }[] = [];
  const rootfs =
    tried.rootfs !== actual.rootfs ||
    tried.packages['dpkg-dev'] !== actual.packages['dpkg-dev'] ||
    tried.packages.dgit !== actual.packages.dgit;
  if (tried.umask !== actual.umask || rootfs) files.push(differs('p_1.0-1.debian.tar.xz'));
  if (tried.xzThreads !== actual.xzThreads || tried.gitattributes !== actual.gitattributes || rootfs) files.push(differs(ORIG));
  if (tried.packages['dpkg-dev'] !== actual.packages['dpkg-dev']) fields.push({ field: 'Package-List' }, { field: 'Uploaders' });
  if (tried.packages.dgit !== actual.packages.dgit) fields.push({ field: 'Dgit' });
  if (files.length) fields.push({ field: 'Checksums-Sha256' }, { field: 'Files' });
  return build({ files, fields, deborigName: ORIG });
}

describe('profile reach', () => {
  it('an honest upload is never skipped: every pair of profiles, every difference their settings make', () => {
    for (const tried of PROFILES) {
      for (const actual of PROFILES) {
        if (tried === actual) continue;
        const diffs = differencesOf(shows(tried, actual));
        expect(diffs.length, `${tried.name} against ${actual.name}`).toBeGreaterThan(0);
        expect(whyNotReachable(actual, tried, diffs), `${tried.name} against an upload of ${actual.name}`).toBeUndefined();
      }
    }
  });

  it('a .dsc field no profile writes, or a file on one side only, leaves no profile to try', () => {
    expect(reachable('trixie', build({ fields: [{ field: 'Build-Depends' }] }))).toEqual([]);
    expect(whyNotReachable(p('forky'), p('trixie'), differencesOf(build({ fields: [{ field: 'Build-Depends' }] })))).toBe(
      'trixie showed a difference no profile setting changes: the .dsc field Build-Depends',
    );
    expect(reachable('trixie', build({ files: [{ name: 'p_1.0-1.debian.tar.gz', got: d, match: false, origin: 'rebuilt' }] }))).toEqual([]);
  });

  it('a debian.tar that differs: umask, dgit, dpkg-dev or the rootfs can change it, xz threading cannot', () => {
    expect(reachable('trixie', build({ files: [differs('p_1.0-1.debian.tar.xz'), same(ORIG)], deborigName: ORIG }))).toEqual([
      'trixie-umask002',
      'forky',
      'forky-umask002',
    ]);
    expect(whyNotReachable(p('trixie-xz-single'), p('trixie'), differencesOf(build({ files: [differs('p_1.0-1.debian.tar.xz')] })))).toBe(
      'trixie showed a difference only umask, dgit, dpkg-dev, rootfs can change, which trixie-xz-single shares with it: p_1.0-1.debian.tar.xz',
    );
  });

  it("git deborig's orig that differs: xz threading, dgit's gitattributes or the rootfs, not the umask", () => {
    expect(reachable('trixie', build({ files: [differs(ORIG)], deborigName: ORIG }))).toEqual([
      'trixie-xz-single',
      'forky',
      'forky-umask002',
    ]);
  });

  it('Package-List or Uploaders: dpkg-dev only; the Dgit field: dgit only', () => {
    expect(reachable('trixie', build({ fields: [{ field: 'Package-List' }] }))).toEqual(['forky', 'forky-umask002']);
    expect(reachable('forky-umask002', build({ fields: [{ field: 'Dgit' }] }))).toEqual(['trixie', 'trixie-umask002', 'trixie-xz-single']);
  });

  it('a difference explained by the builder, or a match, constrains nothing', () => {
    const leak: FileComparison = { ...differs('p_1.0-1.debian.tar.xz'), explainedBy: 'CHECKOUT_MTIME_LEAK' };
    expect(differencesOf(build({ files: [leak, same(ORIG)], dscIdentical: true }))).toEqual([]);
  });

  it('several differences: a profile must be able to change every one', () => {
    // Package-List needs another dpkg-dev, which can change the debian.tar too: the forky profiles only.
    expect(reachable('trixie', build({ files: [differs('p_1.0-1.debian.tar.xz')], fields: [{ field: 'Package-List' }] }))).toEqual([
      'forky',
      'forky-umask002',
    ]);
  });
});
