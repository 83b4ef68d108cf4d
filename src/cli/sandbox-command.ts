// `t2u-verify sandbox build|status`: the builder root filesystems the sandbox
// runs dpkg-source and dgit in (recipe: sandbox/rootfs.json).
import type { Command } from 'commander';

export interface BuildOptions {
  profile?: string;
  all?: boolean;
  force?: boolean;
}

export const DEFAULT_PROFILE = 'trixie';

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
    .addHelpText(
      'after',
      [
        '',
        'Progress goes to stderr; the cache is $T2U_VERIFY_CACHE, else $XDG_CACHE_HOME/t2u-verify,',
        'else ~/.cache/t2u-verify (/var/cache/t2u-verify for root). Needs mmdebstrap and network',
        'access to the mirror; runs mmdebstrap in root mode as root, in unshare mode otherwise.',
        'Exit status: 0 built or cached, 2 usage error, 3 build failed.',
      ].join('\n'),
    )
    .action(async (opts: BuildOptions) => (await import('./sandbox-action.js')).sandboxBuildAction(setExit, opts));

  sandbox
    .command('status')
    .description('List the cached builder root filesystems: profile, key, path, size, date, key package versions')
    .option('--json', 'print a JSON object instead of a table')
    .action(async (opts: { json?: boolean }) => (await import('./sandbox-action.js')).sandboxStatusAction(setExit, opts));
}
