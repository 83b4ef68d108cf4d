// `t2u-verify check-tag`: layers 1–2 (authenticity, metadata) for one tag.
import type { Command } from 'commander';
import { addKeyringOptions } from './keyring-flags.js';
import { addAllowExpiredRelease } from './expired-release.js';
import type { CheckTagOptions } from './check-tag-action.js';

export function registerCheckTag(program: Command, setExit: (code: number) => void): void {
  const cmd = addAllowExpiredRelease(program.command('check-tag'))
    .description('Authenticate a tag2upload tag: signature over the raw tag bytes, key policy, tag2upload(5) metadata')
    .requiredOption('--repo <url|path>', 'repository: an https:// URL (smart HTTP) or a local git checkout')
    .requiredOption('--tag <name>', 'tag name, e.g. debian/1.2-3 (without refs/tags/)');
  addKeyringOptions(cmd)
    .option('--dm-txt <file>', "ftp-master's dm.txt: which packages each Debian Maintainer may upload")
    .option('--config <file>', 'configuration file (JSON; see docs/configuration.md)')
    .option('--allow-http', 'allow plain http:// repositories on loopback addresses (tests)')
    .option('--json', 'print the report object (schema t2u-verify/report/v1)')
    .addHelpText('after', '\nExit status: 0 authentic, 1 rejected, 2 usage or configuration error, 3 unverifiable.')
    .action(async (opts: CheckTagOptions) => (await import('./check-tag-action.js')).checkTagAction(setExit, opts));
}
