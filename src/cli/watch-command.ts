// `t2u-verify watch`: the archive watcher from the command line. With --once,
// one poll of the mirror and a reconciliation against the store, printing
// what was queued, which tags' two copies differ and which uploads have no
// finished verification; without it, polls until interrupted.
import type { Command } from 'commander';
import { addAllowExpiredRelease } from './expired-release.js';
import type { WatchFlags } from './watch-action.js';
import { DEFAULT_MIRROR } from '../config/defaults.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerWatch(program: Command, setExit: (code: number) => void): void {
  addAllowExpiredRelease(program.command('watch'))
    .description('Find tag2upload uploads in a Debian mirror and queue them for verification')
    .option('--mirror <url>', 'Debian mirror', DEFAULT_MIRROR)
    .option('--suite <name>', 'suite to watch (repeatable; default unstable)', collect, [])
    .option('--component <name>', 'archive component', 'main')
    .option('--archive-keyring <file>', 'keyring that signs the InRelease files (default: debian-archive-keyring)')
    .option('--data-dir <dir>', 'the SQLite store lives here')
    .option('--database <url>', 'the PostgreSQL store (postgres://…)')
    .option(
      '--repo-url-map <from=to>',
      'read repositories whose URL starts with FROM at TO instead (repeatable; nothing is rewritten otherwise)',
      collect,
      [],
    )
    .option('--no-tag-copies', 'do not read the tag from dgit-repos and Vcs-Git before queueing')
    .option('--allow-http', 'allow plain http:// to loopback addresses (tests)')
    .option('--pending-bound <hours>', 'list an upload whose job is not done after this long', '24')
    .option('--interval <seconds>', 'time between polls (without --once)', '900')
    .option('--once', 'one poll and a reconciliation, then exit')
    .option('--json', 'print the poll result object')
    .addHelpText(
      'after',
      [
        '',
        'Jobs name the repositories as the archive does (Dgit field, Vcs-Git); --repo-url-map changes only',
        'where the watcher reads tags. Exit status with --once: 0 every suite polled, 1 a tag whose copies',
        'differ (TAG_COPIES_DIFFER), 2 usage error, 3 a suite could not be polled.',
      ].join('\n'),
    )
    .action(async (flags: WatchFlags) => (await import('./watch-action.js')).watchAction(setExit, flags));
}
