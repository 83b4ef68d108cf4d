// What `t2u-verify sandbox build` and `sandbox status` do once their command
// line is parsed (sandbox-command.ts registers them); loaded only when one of
// them runs.
import { EXIT } from '../report/report.js';
import { buildRootfs, loadRecipes, rootfsStatus, type CachedRootfs } from '../sandbox/rootfs.js';
import { defaultCacheDir } from '../config/load.js';
import { UsageError } from '../report/usage-error.js';
import { DEFAULT_PROFILE, type BuildOptions } from './sandbox-command.js';

export async function sandboxBuildAction(setExit: (code: number) => void, opts: BuildOptions): Promise<void> {
  if (opts.all && opts.profile !== undefined) throw new UsageError('give either --profile or --all, not both');
  const known = Object.keys(loadRecipes());
  const names = opts.all ? known : [opts.profile ?? DEFAULT_PROFILE];
  for (const n of names) {
    if (!known.includes(n)) throw new UsageError(`unknown rootfs profile ${JSON.stringify(n)} (known: ${known.join(', ')})`);
  }
  for (const name of names) {
    try {
      const built = await buildRootfs(name, { force: opts.force === true });
      process.stdout.write(`${describeLine(built)}\n`);
    } catch (err) {
      process.stderr.write(`t2u-verify: building rootfs ${name} failed: ${err instanceof Error ? err.message : String(err)}\n`);
      setExit(EXIT.unverifiable);
      return;
    }
  }
  setExit(EXIT.ok);
}

export async function sandboxStatusAction(setExit: (code: number) => void, opts: { json?: boolean }): Promise<void> {
  const entries = await rootfsStatus();
  const profiles = loadRecipes();
  if (opts.json) {
    const missing = Object.keys(profiles).filter((p) => !entries.some((e) => e.name === p && e.current));
    process.stdout.write(
      `${JSON.stringify({ schema: 't2u-verify/rootfs-status/v1', cache: defaultCacheDir(), rootfs: entries, notBuilt: missing }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(`cache: ${defaultCacheDir()}\n`);
    for (const e of entries) process.stdout.write(`${describeLine(e)}\n`);
    for (const p of Object.keys(profiles)) {
      if (!entries.some((e) => e.name === p && e.current))
        process.stdout.write(`${p}: not built (t2u-verify sandbox build --profile ${p})\n`);
    }
  }
  setExit(EXIT.ok);
}

function describeLine(e: CachedRootfs): string {
  const versions = Object.entries(e.packages)
    .map(([p, v]) => `${p} ${v}`)
    .join(', ');
  const size = `${(e.sizeBytes / 1024 ** 2).toFixed(0)} MiB`;
  return `${e.name}${e.current ? '' : ' (stale recipe)'}: key ${e.key.slice(0, 16)}, ${size}, built ${e.builtAt}, ${e.path}; ${versions}`;
}
