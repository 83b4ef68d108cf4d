// The builder root filesystems: built on demand by mmdebstrap from the recipe
// in sandbox/rootfs.json, cached outside the repository under a key derived
// from the recipe, and bound read-only into the sandbox.
//
// Layout of the cache: `<cache>/rootfs/<name>-<key>/` holds `root/` (the
// filesystem) and `manifest.json` (recipe, key, package versions, size). A
// build goes to `<cache>/rootfs/.building-…` and is renamed into place, so a
// rootfs either exists whole or not at all.
//
// mmdebstrap needs root or its unshare mode to make a directory (a chroot
// has files of many owners and device nodes): as root we use root mode;
// otherwise unshare mode, which needs unprivileged user namespaces and a
// subordinate id range for the user in /etc/subuid and /etc/subgid.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Rootfs } from './bwrap-args.js';
import { installedVersions, KEY_PACKAGES } from './dpkg-status.js';
import { isRoot } from './identity.js';
import { defaultCacheDir } from '../config/load.js';

const RecipeSchema = z
  .object({
    description: z.string(),
    suite: z.string().regex(/^[a-z][-a-z0-9]*$/),
    mirror: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), 'an http(s) mirror'),
    components: z.array(z.string().regex(/^[a-z][-a-z0-9/]*$/)).nonempty(),
    variant: z.enum(['extract', 'custom', 'essential', 'apt', 'required', 'minbase', 'buildd', 'important', 'standard']),
    include: z.array(z.string().regex(/^[a-z0-9][-+.a-z0-9]*$/)),
    /** apt configuration lines (mmdebstrap --aptopt), e.g. to accept a Release file past its Valid-Until. */
    aptOptions: z.array(z.string().regex(/^[A-Za-z][-A-Za-z0-9:]* "[^"\n]*"$/)).optional(),
    /** Why the apt options are needed: documentation only, but part of the key like the rest. */
    aptOptionsWhy: z.string().optional(),
  })
  .strict();

const RecipeFileSchema = z
  .object({
    schema: z.literal('t2u-verify/rootfs-recipe/v1'),
    comment: z.string().optional(),
    profiles: z.record(z.string().regex(/^[a-z][-a-z0-9]*$/), RecipeSchema),
  })
  .strict();

export type RootfsRecipe = z.infer<typeof RecipeSchema>;

export interface RootfsManifest {
  schema: 't2u-verify/rootfs/v1';
  name: string;
  key: string;
  architecture: string;
  recipe: RootfsRecipe;
  builtAt: string;
  buildSeconds: number;
  mmdebstrap: string;
  sizeBytes: number;
  /** Versions of the packages that change tag2upload's output (dgit, dpkg-dev, git, xz-utils) and of the included ones. */
  packages: Record<string, string>;
}

export interface CachedRootfs {
  name: string;
  key: string;
  /** The filesystem root, to pass as `{ kind: 'dir', path }`. */
  path: string;
  sizeBytes: number;
  builtAt: string;
  /** Versions read from the rootfs's dpkg status now. */
  packages: Record<string, string>;
  /** Whether the current recipe still produces this key (otherwise it is a leftover of an older recipe). */
  current: boolean;
}

export const DEFAULT_RECIPE_FILE = fileURLToPath(new URL('../../sandbox/rootfs.json', import.meta.url));

export function loadRecipes(file = DEFAULT_RECIPE_FILE): Record<string, RootfsRecipe> {
  const parsed = RecipeFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid recipe'}`);
  }
  return parsed.data.profiles;
}

/** JSON with object keys sorted at every level: the same recipe always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The cache key: sha256 of the canonical JSON of the recipe and the architecture it is built for. */
export function rootfsKey(recipe: RootfsRecipe, architecture: string): string {
  return createHash('sha256').update(canonicalJson({ architecture, recipe })).digest('hex');
}

/**
 * Debian architectures that Node's own process.arch names without doubt: no
 * process is run to ask dpkg. Others (arm: armel or armhf; ia32; a big-endian
 * ppc64) ask `dpkg --print-architecture`.
 */
function unambiguousArchitecture(): string | undefined {
  switch (process.arch) {
    case 'x64':
      return 'amd64';
    case 'arm64':
      return 'arm64';
    case 'riscv64':
      return 'riscv64';
    case 's390x':
      return 's390x';
    case 'ppc64':
      return endianness() === 'LE' ? 'ppc64el' : undefined;
    default:
      return undefined;
  }
}

let hostArch: string | undefined;
export async function hostArchitecture(): Promise<string> {
  if (hostArch) return hostArch;
  const known = unambiguousArchitecture();
  const dpkg =
    known ??
    (await new Promise<string | undefined>((resolve) =>
      execFile('dpkg', ['--print-architecture'], (err, stdout) => resolve(err ? undefined : stdout.trim())),
    ));
  hostArch = dpkg || ({ ia32: 'i386' } as Record<string, string>)[process.arch] || process.arch;
  return hostArch;
}

const dirName = (name: string, key: string): string => `${name}-${key.slice(0, 16)}`;

export interface RootfsOptions {
  recipeFile?: string;
  cache?: string;
  /** Progress lines (mmdebstrap's "I: …" lines and ours). */
  onProgress?: (line: string) => void;
}

/** Where a profile's rootfs is (or would be) cached, under the current recipe. */
export async function locateRootfs(
  name: string,
  opts: RootfsOptions = {},
): Promise<{ recipe: RootfsRecipe; key: string; dir: string; root: string; architecture: string }> {
  const recipes = loadRecipes(opts.recipeFile);
  const recipe = recipes[name];
  if (!recipe) throw new Error(`no rootfs profile ${JSON.stringify(name)} (known: ${Object.keys(recipes).join(', ')})`);
  const architecture = await hostArchitecture();
  const key = rootfsKey(recipe, architecture);
  const dir = join(opts.cache ?? defaultCacheDir(), 'rootfs', dirName(name, key));
  return { recipe, key, dir, root: join(dir, 'root'), architecture };
}

/** The profile's rootfs for the sandbox, built first if the cache does not have it under the current recipe. */
export async function ensureRootfs(name: string, opts: RootfsOptions = {}): Promise<Rootfs & { kind: 'dir' }> {
  const where = await locateRootfs(name, opts);
  if (existsSync(join(where.dir, 'manifest.json'))) return { kind: 'dir', path: where.root };
  const built = await buildRootfs(name, opts);
  return { kind: 'dir', path: built.path };
}

/**
 * Builds a profile's rootfs with mmdebstrap, unless the cache already has it
 * under the same key (then it is returned as is; `force` rebuilds).
 */
export async function buildRootfs(name: string, opts: RootfsOptions & { force?: boolean } = {}): Promise<CachedRootfs> {
  const progress = opts.onProgress ?? ((line: string) => process.stderr.write(`rootfs ${name}: ${line}\n`));
  const where = await locateRootfs(name, opts);
  const parent = dirname(where.dir);
  if (!opts.force && existsSync(join(where.dir, 'manifest.json'))) {
    progress(`cached at ${where.dir}`);
    return describe(where.dir, true);
  }
  // 0755 all the way: the sandbox uid binds the rootfs, so it must traverse to it.
  await mkdir(parent, { recursive: true, mode: 0o755 });
  await chmod(parent, 0o755).catch(() => undefined);
  const tmp = await mkdtemp(join(parent, `.building-${dirName(name, where.key)}-`));
  // apt downloads as _apt into the target: mkdtemp's 0700 would make it fall back to root.
  await chmod(tmp, 0o755);
  const root = join(tmp, 'root');
  const started = performance.now();
  const mode = isRoot() ? 'root' : 'unshare';
  const args = [
    `--mode=${mode}`,
    `--variant=${where.recipe.variant}`,
    '--format=directory',
    `--architectures=${where.architecture}`,
    `--components=${where.recipe.components.join(',')}`,
    ...(where.recipe.include.length ? [`--include=${where.recipe.include.join(',')}`] : []),
    ...(where.recipe.aptOptions ?? []).map((o) => `--aptopt=${o}`),
    where.recipe.suite,
    root,
    where.recipe.mirror,
  ];
  progress(`building ${where.recipe.suite} (${mode} mode) into ${tmp}`);
  // Loaded only to build: a verification with the rootfs cached never needs it.
  const { execa } = await import('execa');
  try {
    const sub = execa('mmdebstrap', args, { reject: false, stdin: 'ignore', all: true, buffer: false, env: { LC_ALL: 'C.UTF-8' } });
    let pending = '';
    const tail: string[] = [];
    sub.all?.setEncoding('utf8');
    sub.all?.on('data', (chunk: string) => {
      pending += chunk;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        tail.push(line);
        if (tail.length > 20) tail.shift();
        // mmdebstrap's own progress ("I: …", "W: …", "E: …"), not apt's and dpkg's chatter.
        if (/^[IWE]: /.test(line)) progress(line);
      }
    });
    const r = await sub;
    if (r.exitCode !== 0) {
      throw new Error(
        `mmdebstrap failed (${r.exitCode ?? r.signal ?? r.code ?? 'not started'}): ${tail.slice(-8).join('\n') || r.message}`,
      );
    }
    await chmod(root, 0o755);
    const packages = await installedVersions(root, [...new Set([...KEY_PACKAGES, ...where.recipe.include])]);
    const mm = await execa('mmdebstrap', ['--version'], { reject: false });
    const du = await execa('du', ['-sx', '-B1', root], { reject: false });
    const manifest: RootfsManifest = {
      schema: 't2u-verify/rootfs/v1',
      name,
      key: where.key,
      architecture: where.architecture,
      recipe: where.recipe,
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((performance.now() - started) / 100) / 10,
      mmdebstrap: mm.stdout.trim(),
      sizeBytes: Number(du.stdout.split(/\s/)[0]) || 0,
      packages,
    };
    await writeFile(join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    if (opts.force && existsSync(where.dir)) await removeTree(where.dir);
    try {
      await rename(tmp, where.dir);
    } catch (e) {
      // Another build of the same key won the race: its result is as good as ours.
      if (!existsSync(join(where.dir, 'manifest.json'))) throw e;
      await removeTree(tmp);
    }
    progress(`built in ${manifest.buildSeconds} s: ${where.dir} (${KEY_PACKAGES.map((p) => `${p} ${packages[p] ?? '-'}`).join(', ')})`);
    return describe(where.dir, true);
  } catch (e) {
    await removeTree(tmp).catch(() => undefined);
    throw e;
  }
}

/** `rm --one-file-system`: an interrupted root-mode build may leave /proc or /sys mounted inside. */
async function removeTree(path: string): Promise<void> {
  const { execa } = await import('execa');
  await execa('rm', ['-rf', '--one-file-system', '--', path]);
}

async function describe(dir: string, current: boolean): Promise<CachedRootfs> {
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as RootfsManifest;
  const root = join(dir, 'root');
  const packages = await installedVersions(root, KEY_PACKAGES).catch(() => ({}));
  return {
    name: manifest.name,
    key: manifest.key,
    path: root,
    sizeBytes: manifest.sizeBytes,
    builtAt: manifest.builtAt,
    packages,
    current,
  };
}

/** Every rootfs in the cache, with whether the current recipe still uses it. */
export async function rootfsStatus(opts: RootfsOptions = {}): Promise<CachedRootfs[]> {
  const base = join(opts.cache ?? defaultCacheDir(), 'rootfs');
  let names: string[];
  try {
    names = await readdir(base);
  } catch {
    return [];
  }
  const recipes = loadRecipes(opts.recipeFile);
  const architecture = await hostArchitecture();
  const out: CachedRootfs[] = [];
  for (const n of names.sort()) {
    if (n.startsWith('.') || !existsSync(join(base, n, 'manifest.json'))) continue;
    const entry = await describe(join(base, n), false);
    const recipe = recipes[entry.name];
    out.push({ ...entry, current: recipe !== undefined && rootfsKey(recipe, architecture) === entry.key });
  }
  return out;
}
