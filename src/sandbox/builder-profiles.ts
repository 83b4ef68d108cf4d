// Builder profiles (docs/architecture.md §1, "Builder parameters that the tag does not
// determine"): one table of named parameter sets under which tag2upload's
// builder may have made an upload, and the order in which to try them.
//
// Facts the parameters follow, read from the dgit and xz in each rootfs:
// - gitattributes: `dgit setup-gitattributes` writes `[attr]dgit-defuse-attrs`
//   into .git/info/attributes. dgit 12.16 (trixie, Debian::Dgit) negates
//   `-text -eol -crlf -ident -filter -working-tree-encoding`; dgit 17
//   (forky, Debian::Dgit::Core) adds `-export-ignore -export-subst`, which
//   changes what `git deborig` (git archive) puts in an orig. The regime is the
//   rootfs's dgit: the profile names it, the rootfs provides it.
// - umask: the checkout's file modes, which dpkg-source's tar records in
//   debian.tar and native tarballs (the service's podman default is 022).
// - xz: git-deborig pipes git archive through `xz -c`; xz ≥ 5.6 defaults to
//   multi-threaded mode, whose block headers differ from single-threaded
//   output (xz 5.4, bookworm). XZ_DEFAULTS=-T1 gives the single-threaded
//   format. dpkg-source uses liblzma directly and is not affected.
// - dpkg-dev: 1.23 (forky) adds `profile:v1=` to Package-List and drops a
//   trailing comma in Uploaders.

export type GitattributesRegime = 'dgit<14' | 'dgit>=14';

export interface BuilderProfile {
  /** Stable name, reported in the result. */
  readonly name: string;
  /** The rootfs profile of sandbox/rootfs.json. */
  readonly rootfs: 'trixie' | 'forky';
  /** Versions the rootfs profile carries (documentation; the rootfs's dpkg status is authoritative). */
  readonly packages: { readonly 'dpkg-dev': '1.22' | '1.23'; readonly dgit: string };
  /** The builder's umask, octal. */
  readonly umask: '0022' | '0002';
  readonly gitattributes: GitattributesRegime;
  /** xz threading for `git deborig` origs (only matters when an orig is made). */
  readonly xzThreads: 'multi' | 'single';
  /** How the rootfs's dgit spells the builder's upstream options: `--tag2upload-upstream[-commit]` (12.x), `--t2u-upstream[-commit]` (17). */
  readonly upstreamOption: '--tag2upload-upstream' | '--t2u-upstream';
  /** When tag2upload's builder started to look like this (ISO date): the ordering key. */
  readonly since: string;
}

/** Most recent first within each group of equal `since`: the default order. */
export const PROFILES: readonly BuilderProfile[] = Object.freeze([
  {
    name: 'trixie',
    rootfs: 'trixie',
    packages: { 'dpkg-dev': '1.22', dgit: '12.16' },
    umask: '0022',
    gitattributes: 'dgit<14',
    xzThreads: 'multi',
    upstreamOption: '--tag2upload-upstream',
    since: '2025-06-01',
  },
  {
    name: 'trixie-umask002',
    rootfs: 'trixie',
    packages: { 'dpkg-dev': '1.22', dgit: '12.16' },
    umask: '0002',
    gitattributes: 'dgit<14',
    xzThreads: 'multi',
    upstreamOption: '--tag2upload-upstream',
    since: '2025-06-01',
  },
  {
    name: 'trixie-xz-single',
    rootfs: 'trixie',
    packages: { 'dpkg-dev': '1.22', dgit: '12.16' },
    umask: '0022',
    gitattributes: 'dgit<14',
    xzThreads: 'single',
    upstreamOption: '--tag2upload-upstream',
    since: '2024-06-01',
  },
  {
    name: 'forky',
    rootfs: 'forky',
    packages: { 'dpkg-dev': '1.23', dgit: '17' },
    umask: '0022',
    gitattributes: 'dgit>=14',
    xzThreads: 'multi',
    upstreamOption: '--t2u-upstream',
    since: '2026-01-01',
  },
  {
    name: 'forky-umask002',
    rootfs: 'forky',
    packages: { 'dpkg-dev': '1.23', dgit: '17' },
    umask: '0002',
    gitattributes: 'dgit>=14',
    xzThreads: 'multi',
    upstreamOption: '--t2u-upstream',
    since: '2026-01-01',
  },
] as const satisfies readonly BuilderProfile[]);

export function profileByName(name: string): BuilderProfile | undefined {
  return PROFILES.find((p) => p.name === name);
}

/**
 * The order to try profiles in. With the date the upload was made (the
 * .dsc signature's creation time), the profiles already in service then come
 * first, the most recent first (the one the builder most likely ran), then the
 * others, most recent first; without a date, most recent first. Equal dates
 * keep the table's order (the common umask before the rare one).
 */
export function profileOrder(madeAt?: Date, profiles: readonly BuilderProfile[] = PROFILES): BuilderProfile[] {
  const t = madeAt?.getTime();
  const inService = (p: BuilderProfile): number => (t === undefined || Date.parse(p.since) <= t ? 0 : 1);
  return profiles
    .map((p, i) => ({ p, i }))
    .sort((a, b) => inService(a.p) - inService(b.p) || Date.parse(b.p.since) - Date.parse(a.p.since) || a.i - b.i)
    .map(({ p }) => p);
}
