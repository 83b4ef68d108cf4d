// Debian architecture names as dpkg-source minimises a source package's
// Architecture field (Dpkg::Arch: debarch_is_wildcard, debarch_is and the
// tuple table /usr/share/dpkg/tupletable, abi-libc-os-cpu).
import { UnsupportedInput } from './unsupported-input.js';

/** The tupletable entries that are not `base-gnu-linux-<cpu>`. */
const SPECIAL: Record<string, string> = {
  'uclibc-linux-armel': 'eabi-uclibc-linux-arm',
  'musl-linux-armhf': 'eabihf-musl-linux-arm',
  armhf: 'eabihf-gnu-linux-arm',
  armel: 'eabi-gnu-linux-arm',
  mipsn32r6el: 'abin32-gnu-linux-mips64r6el',
  mipsn32r6: 'abin32-gnu-linux-mips64r6',
  mipsn32el: 'abin32-gnu-linux-mips64el',
  mipsn32: 'abin32-gnu-linux-mips64',
  mips64r6el: 'abi64-gnu-linux-mips64r6el',
  mips64r6: 'abi64-gnu-linux-mips64r6',
  mips64el: 'abi64-gnu-linux-mips64el',
  mips64: 'abi64-gnu-linux-mips64',
  powerpcspe: 'spe-gnu-linux-powerpc',
  x32: 'x32-gnu-linux-amd64',
  'kfreebsd-amd64': 'base-gnu-kfreebsd-amd64',
  'kfreebsd-i386': 'base-gnu-kfreebsd-i386',
  'kopensolaris-amd64': 'base-gnu-kopensolaris-amd64',
  'kopensolaris-i386': 'base-gnu-kopensolaris-i386',
  'hurd-amd64': 'base-gnu-hurd-amd64',
  'hurd-i386': 'base-gnu-hurd-i386',
};

/** /usr/share/dpkg/cputable's names (the same in 1.22 and 1.23): what `<cpu>` stands for. */
const CPUS = new Set([
  'alpha',
  'amd64',
  'arc',
  'armeb',
  'arm',
  'arm64',
  'hppa',
  'loong64',
  'i386',
  'ia64',
  'm68k',
  'mips',
  'mipsel',
  'mipsr6',
  'mipsr6el',
  'mips64',
  'mips64el',
  'mips64r6',
  'mips64r6el',
  'nios2',
  'or1k',
  'powerpc',
  'powerpcel',
  'ppc64',
  'ppc64el',
  'riscv64',
  's390',
  's390x',
  'sh3',
  'sh3eb',
  'sh4',
  'sh4eb',
  'sparc',
  'sparc64',
]);

/** Prefixes of the `<cpu>` rows with an os part. */
const PREFIXED: Record<string, string> = {
  'uclibc-linux-': 'base-uclibc-linux-',
  'musl-linux-': 'base-musl-linux-',
  'openbsd-': 'base-bsd-openbsd-',
  'netbsd-': 'base-bsd-netbsd-',
};

/**
 * debarch_to_debtuple: the first tupletable row naming the architecture,
 * or undefined for a name the table does not have (such as "all"). The
 * kfreebsd, kopensolaris and powerpcspe rows are 1.22's (1.23 dropped them).
 */
function archTuple(arch: string): string[] | undefined {
  const special = SPECIAL[arch];
  if (special) return special.split('-');
  for (const [p, t] of Object.entries(PREFIXED)) {
    if (arch.startsWith(p)) return CPUS.has(arch.slice(p.length)) ? `${t}${arch.slice(p.length)}`.split('-') : undefined;
  }
  return CPUS.has(arch) ? ['base', 'gnu', 'linux', arch] : undefined;
}

/** debwildcard_to_debtuple for a name with an "any" part, padded on the left with "any". */
function wildcardTuple(arch: string): string[] | undefined {
  const parts = arch.split('-');
  if (parts.length > 4 || !parts.includes('any')) return undefined;
  return [...Array<string>(4 - parts.length).fill('any'), ...parts];
}

export function isWildcard(arch: string): boolean {
  return arch !== 'all' && wildcardTuple(arch) !== undefined;
}

/** debarch_is(real, wildcard): every part equal or "any". */
function archIs(real: string, wildcard: string): boolean {
  if (real === wildcard || wildcard === 'any') return true;
  if (isWildcard(real)) return false;
  const w = wildcardTuple(wildcard);
  if (!w) return false;
  const r = archTuple(real);
  return r !== undefined && w.every((part, i) => part === 'any' || part === r[i]);
}

/**
 * The Architecture field from the binary packages' fields, as dpkg-source
 * builds it: "any" or "all" taken whole, other lists split; "any" wins
 * (keeping "all" beside it); otherwise wildcards first, then the names no
 * wildcard covers, each once in order of appearance.
 */
export function sourceArchitecture(binaryArchitectures: readonly string[]): string {
  const seen = new Set<string>();
  const list: string[] = [];
  const add = (a: string): void => {
    if (!seen.has(a)) {
      seen.add(a);
      list.push(a);
    }
  };
  for (const v of binaryArchitectures) {
    if (v === 'any' || v === 'all') add(v);
    else {
      for (const a of v.split(/\s+/).filter((x) => x !== '')) {
        if (a === 'any' || a === 'all') throw new UnsupportedInput(`architecture ${a} only allowed on its own (list is '${v}')`);
        add(a);
      }
    }
  }
  if (list.includes('any')) return list.includes('all') ? 'any all' : 'any';
  const wildcards = list.filter(isWildcard);
  return [...wildcards, ...list.filter((a) => !wildcards.some((w) => archIs(a, w)))].join(' ');
}
