// `t2u-verify consensus`: asks several independent verifiers whether they
// reproduced one .dsc (docs/transparency.md), checking each answer through
// the verifier's signed, append-only log.
// Exit status: 0 agreed, 1 disputed, 2 usage error, 3 insufficient.
import type { Command } from 'commander';
import { defaultStateDir } from '../publish/state-dir.js';
import type { ConsensusOptions } from './consensus-action.js';

export function registerConsensus(program: Command, setExit: (code: number) => void): void {
  program
    .command('consensus')
    .description('Ask several independent verifiers, through their transparency logs, whether they reproduced one .dsc')
    .argument('[source]', 'a source package name (then VERSION): its .dsc from the archive')
    .argument('[version]', 'the version of SOURCE')
    .option('--upload <dsc>', 'the .dsc: a path or an https:// URL')
    .requiredOption('--verifiers <file>', 'the verifiers, one a line: NAME BASE_URL VKEY [WITNESS_VKEY…] (# starts a comment)')
    .option('--threshold <k>', 'verifiers that must attest reproduced or equivalent (default: all listed)')
    .option('--state <dir>', `where the checkpoints seen are kept (default ${defaultStateDir()})`)
    .option('--mirror <url>', 'the mirror whose verified Sources index gives the .dsc of SOURCE VERSION')
    .option('--suite <name>', 'the suite of that index (default sid)')
    .option('--allow-http', 'allow plain http:// mirrors on loopback addresses (tests)')
    .option('--json', 'print the result object (schema t2u-verify/consensus/v1)')
    .addHelpText('after', '\nExit status: 0 agreed, 1 disputed, 2 usage error, 3 insufficient.')
    .action(async (first: string | undefined, version: string | undefined, opts: ConsensusOptions) =>
      (await import('./consensus-action.js')).consensusAction(setExit, first, version, opts),
    );
}
