// Which builder profiles could still reproduce an upload, given what one
// profile's build showed. A profile is a set of builder settings
// (profiles.ts); each kind of difference between a build and the upload can
// be changed by some settings only, following what each setting touches:
// - umask: the modes dpkg-source's tar records in debian.tar and native
//   tarballs;
// - dgit (with its gitattributes regime): the patches it writes for
//   linear/smash/auto modes (inside debian.tar), what `git deborig` puts in
//   an orig (export-ignore, export-subst), the Dgit field's view commit;
// - dpkg-dev: Package-List and Uploaders, the .dsc's layout, how the upstream
//   signature is checked, and (with the rootfs's tar and liblzma) every
//   tarball it writes;
// - xz threading: the orig `git deborig` makes;
// - the rootfs itself (its tar, xz and liblzma): any tarball's bytes.
// A profile that agrees with a tried one on every setting that can change
// some difference that build showed would show that difference too: it is
// not tried. A difference no setting changes (a .dsc field no profile
// writes, a file present on one side only) leaves no profile to try.
import type { FieldDifference, FileComparison } from '../compare/index.js';
import type { BuilderProfile } from '../sandbox/builder-profiles.js';

/** A builder setting a profile fixes. */
export type ProfileSetting = 'umask' | 'dgit' | 'dpkg-dev' | 'xz-threads' | 'rootfs';

const VALUE: Record<ProfileSetting, (p: BuilderProfile) => string> = {
  umask: (p) => p.umask,
  dgit: (p) => `${p.packages.dgit} ${p.gitattributes} ${p.upstreamOption}`,
  'dpkg-dev': (p) => p.packages['dpkg-dev'],
  'xz-threads': (p) => p.xzThreads,
  rootfs: (p) => p.rootfs,
};

/** One difference a build showed, and the settings that can change it (none: no profile can). */
export interface Difference {
  readonly what: string;
  readonly settings: readonly ProfileSetting[];
}

/** What a build showed against the upload, as compareBuild and the build report it. */
export interface BuildDifferences {
  readonly files: readonly FileComparison[];
  readonly fields: readonly FieldDifference[];
  readonly dscIdentical: boolean;
  /** The orig `git deborig` made, when one was made (not the archive's). */
  readonly deborigName?: string;
}

const TARBALL = ['dpkg-dev', 'rootfs'] as const;

/** The settings that can change each unexplained difference. */
export function differencesOf(d: BuildDifferences): Difference[] {
  const out: Difference[] = [];
  for (const f of d.files) {
    if (f.match || f.explainedBy) continue;
    if (!f.expected || !f.got) {
      // Which files a build makes follows the source format and the origs given, which no profile sets.
      out.push({ what: `${f.name} (${f.got ? 'not rebuilt' : 'not in the upload'})`, settings: [] });
    } else if (f.name === d.deborigName) {
      out.push({ what: f.name, settings: ['xz-threads', 'dgit', ...TARBALL] });
    } else if (/\.debian\.tar\.[a-z0-9]+$/.test(f.name)) {
      out.push({ what: f.name, settings: ['umask', 'dgit', ...TARBALL] });
    } else if (/\.tar\.[a-z0-9]+$/.test(f.name) && !f.name.includes('.orig')) {
      out.push({ what: f.name, settings: ['umask', ...TARBALL] });
    } else {
      // A given orig matches by construction; anything else no setting writes.
      out.push({ what: f.name, settings: [] });
    }
  }
  for (const x of d.fields) {
    const name = x.field.toLowerCase();
    // The checksum fields follow the files, judged above.
    if (name === 'files' || name === 'checksums-sha1' || name === 'checksums-sha256') continue;
    const settings: ProfileSetting[] = name === 'package-list' || name === 'uploaders' ? ['dpkg-dev'] : name === 'dgit' ? ['dgit'] : [];
    out.push({ what: `the .dsc field ${x.field}`, settings });
  }
  if (d.fields.length === 0 && !d.dscIdentical && d.files.every((f) => f.match || f.explainedBy)) {
    out.push({ what: 'the .dsc layout', settings: ['dpkg-dev'] });
  }
  return out;
}

/**
 * Why `candidate` cannot reproduce the upload, given that `tried` showed
 * `differences`: the first difference that no setting in which the two
 * profiles differ can change; undefined when the candidate might.
 */
export function whyNotReachable(candidate: BuilderProfile, tried: BuilderProfile, differences: readonly Difference[]): string | undefined {
  for (const d of differences) {
    if (d.settings.every((s) => VALUE[s](candidate) === VALUE[s](tried))) {
      return d.settings.length === 0
        ? `${tried.name} showed a difference no profile setting changes: ${d.what}`
        : `${tried.name} showed a difference only ${d.settings.join(', ')} can change, which ${candidate.name} shares with it: ${d.what}`;
    }
  }
  return undefined;
}
