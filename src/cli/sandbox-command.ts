// `t2u-verify sandbox build|status`: the builder root filesystems the sandbox
// runs dpkg-source and dgit in (recipe: sandbox/rootfs.json).
import type { Command } from 'commander';
import { EXIT } from '../report/report.js';
import { buildRootfs, loadRecipes, rootfsStatus, type CachedRootfs } from '../sandbox/rootfs.js';
import { defaultCacheDir } from '../config/load.js';
import { UsageError } from './usage-error.js';

interface BuildOptions {
  profile?: string;
  all?: boolean;
  force?: boolean;
}

const DEFAULT_PROFILE = 'trixie';

export function registerSandboxCommands(program: Command, setExit: (code: number) => void = (c) => (process.exitCode = c)): void {
  const sandbox = program
    .command('sandbox')
    .description('Manage the builder root filesystems of the sandbox (built with mmdebstrap, cached)');

  sandbox
    .command('build')
    .description('Build a builder root filesystem with mmdebstrap, unless the cache has it for the current recipe')
    .option('--profile <name>', `rootfs profile from sandbox/rootfs.json (default: ${DEFAULT_PROFILE})`)
    .option('--all', 'build every profile of the recipe')
    .option('--force', 'rebuild even when the cache has it')
    .addHelpText('after', [
      '',
      'Progress goes to stderr; the cache is $T2U_VERIFY_CACHE, else $XDG_CACHE_HOME/t2u-verify,',
      'else ~/.cache/t2u-verify (/var/cache/t2u-verify for root). Needs mmdebstrap and network',
      'access to the mirror; runs mmdebstrap in root mode as root, in unshare mode otherwise.',
      'Exit status: 0 built or cached, 2 usage error, 3 build failed.',
    ].join('\n'))
    .action(async (opts: BuildOptions) => {
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
    });

  sandbox
    .command('status')
    .description('List the cached builder root filesystems: profile, key, path, size, date, key package versions')
    .option('--json', 'print a JSON object instead of a table')
    .action(async (opts: { json?: boolean }) => {
      const entries = await rootfsStatus();
      const profiles = loadRecipes();
      if (opts.json) {
        const missing = Object.keys(profiles).filter((p) => !entries.some((e) => e.name === p && e.current));
        process.stdout.write(`${JSON.stringify({ schema: 't2u-verify/rootfs-status/v1', cache: defaultCacheDir(), rootfs: entries, notBuilt: missing }, null, 2)}\n`);
      } else {
        process.stdout.write(`cache: ${defaultCacheDir()}\n`);
        for (const e of entries) process.stdout.write(`${describeLine(e)}\n`);
        for (const p of Object.keys(profiles)) {
          if (!entries.some((e) => e.name === p && e.current)) process.stdout.write(`${p}: not built (t2u-verify sandbox build --profile ${p})\n`);
        }
      }
      setExit(EXIT.ok);
    });
}

function describeLine(e: CachedRootfs): string {
  const versions = Object.entries(e.packages).map(([p, v]) => `${p} ${v}`).join(', ');
  const size = `${(e.sizeBytes / 1024 ** 2).toFixed(0)} MiB`;
  return `${e.name}${e.current ? '' : ' (stale recipe)'}: key ${e.key.slice(0, 16)}, ${size}, built ${e.builtAt}, ${e.path}; ${versions}`;
}
