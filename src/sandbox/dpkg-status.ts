// Installed package versions of a root filesystem, from dpkg's database
// (/var/lib/dpkg/status: deb822 paragraphs with Package, Status, Version).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Packages whose versions change the bytes tag2upload produces (docs/architecture.md §1, builder profiles). */
export const KEY_PACKAGES = ['dgit', 'dpkg-dev', 'git', 'xz-utils'] as const;

/** Installed packages of a dpkg status file, name → version (`name:arch` for multi-arch same packages). */
export function parseDpkgStatus(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const para of text.split(/\n\s*\n/)) {
    const field = (name: string): string | undefined => new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(para)?.[1]?.trim();
    const pkg = field('Package');
    const version = field('Version');
    const status = field('Status');
    // "install ok installed": the last word is the state; half-configured and config-files are not versions we run.
    if (!pkg || !version || !status?.endsWith(' installed')) continue;
    const name = out.has(pkg) ? `${pkg}:${field('Architecture') ?? ''}` : pkg;
    out.set(name, version);
  }
  return out;
}

/** Versions of `names` installed in the root filesystem at `root` (missing ones omitted). */
export async function installedVersions(root: string, names: readonly string[]): Promise<Record<string, string>> {
  const all = parseDpkgStatus(await readFile(join(root, 'var', 'lib', 'dpkg', 'status'), 'utf8'));
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = all.get(n);
    if (v !== undefined) out[n] = v;
  }
  return out;
}
