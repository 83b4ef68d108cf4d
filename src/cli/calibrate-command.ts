// `t2u-verify calibrate`: rebuilds a sample of real tag2upload uploads from
// the archive (each unpacked with dpkg-source -x in the sandbox) and reports
// how many the builder profiles reproduce, so an operator can tell whether
// the verifier's model of Debian's builder still holds.
import type { Command } from 'commander';
import { addAllowExpiredRelease } from './expired-release.js';
import type { CalibrateFlags } from './calibrate-action.js';
import { DEFAULT_MIRROR } from '../config/defaults.js';

export function registerCalibrate(program: Command, setExit: (code: number) => void): void {
  addAllowExpiredRelease(program.command('calibrate'))
    .description('Rebuild a sample of real tag2upload uploads from the archive and report how many the builder profiles reproduce')
    .option('--mirror <url>', 'Debian mirror (https)', DEFAULT_MIRROR)
    .option(
      '--suite <name>',
      'suite whose Sources index is read (repeatable; default sid)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--all', 'every tag2upload upload the suites list (each source and version once), not a sample')
    .option('--sample <n>', 'downloadable uploads to rebuild', '10')
    .option('--seed <n>', 'seed of the random sample (default: a fresh one, printed)')
    .option('--smallest', 'take the smallest uploads first instead of a random sample')
    .option('--max-size <bytes>', 'skip uploads whose files add up to more than this')
    .option('--max-candidates <n>', 'index entries to try at most (a partial mirror lacks most); default 40 x sample')
    .option(
      '--upload-keyring <file>',
      "the tag2upload service keyring (debian-tag2upload-keyring): each .dsc's signature must verify by it",
    )
    .option('--timeout <seconds>', 'time limit per build', '600')
    .option('--jobs <n>', 'uploads rebuilt at once (about one per core keeps the machine busy)', '1')
    .option('--json', 'print the calibration report object')
    .addHelpText(
      'after',
      [
        '',
        'The Sources index has no upload date, so uploads are drawn at random (--seed repeats a draw) or',
        'smallest first. Entries the mirror does not serve (HTTP 404) are skipped and counted.',
        'With --all, each upload prints a progress line on stderr (n/N, package, verdict, time) and the',
        'output ends in a table of verdicts by reason code, the median and p90 time per upload and the',
        'load average.',
        'Exit status: 0 every downloadable upload reproduced or equivalent, 1 a miss, 2 usage error,',
        '3 no upload could be obtained.',
      ].join('\n'),
    )
    .action(async (flags: CalibrateFlags) => (await import('./calibrate-action.js')).calibrateAction(setExit, flags));
}
