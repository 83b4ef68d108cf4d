// `t2u-verify reproduce`: the bits layer alone. Rebuilds a tag of a
// repository as tag2upload's builder would, under builder profiles, and
// compares the result byte for byte with a given upload.
import type { Command } from 'commander';
import { PROFILES } from '../sandbox/builder-profiles.js';
import type { ReproduceOptions } from './reproduce-action.js';

export function registerReproduce(program: Command, setExit: (code: number) => void): void {
  program
    .command('reproduce')
    .description(
      "Rebuild a tag as tag2upload's builder would (in the sandbox, under builder profiles) and compare it byte for byte with an upload",
    )
    .option('--repo <path>', 'local git repository (work tree, bare repository or bundle) holding the tag and its upstream tag')
    .option('--tag <name>', 'tag name, e.g. debian/1.2-3 (without refs/tags/)')
    .option(
      '--tree <dir>',
      'a source tree: a git checkout (rebuilt from --tag, default debian/<.dsc version>) or what dpkg-source -x gives',
    )
    .requiredOption('--dsc <file>', "the upload's .dsc; the files it names are read from beside it")
    .option('--upload-keyring <file>', "the tag2upload service keyring: the .dsc's signature must verify by one of its keys")
    .option('--profile <name>', `try only this builder profile (${PROFILES.map((p) => p.name).join(', ')})`)
    .option('--existing-orig', "treat the origs beside the .dsc as the archive's existing ones, even one git deborig could make")
    .option('--timeout <seconds>', 'time limit per build', '600')
    .option('--json', 'print the report object (schema t2u-verify/report/v1)')
    .addHelpText(
      'after',
      [
        '',
        'Profiles are tried most recent first (those in service when the .dsc was signed first) until one',
        'reproduces every file and the .dsc body. Everything from the repository runs in the sandbox.',
        'Exit status: 0 reproduced or equivalent, 1 mismatch, 2 usage error, 3 unverifiable.',
      ].join('\n'),
    )
    .action(async (opts: ReproduceOptions) => (await import('./reproduce-action.js')).reproduceAction(setExit, opts));
}
