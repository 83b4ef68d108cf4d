// `t2u-verify log audit URL --key VKEY [--state DIR]`: checks a verifier's
// transparency log as any client can (docs/transparency.md): the checkpoint's
// signature, the root rebuilt from the tiles, and consistency with the
// checkpoint last seen (kept in DIR). A rewritten history or a split view is
// the alarm LOG_INCONSISTENT, printed with both signed checkpoints.
// Exit status: 0 consistent, 1 an alarm, 2 usage error, 3 unreachable.
// `t2u-verify log key rotate --data-dir DIR --origin NEW`: the operator's
// step that retires a log and its key for a new log (src/publish/key-rotation.ts).
import type { Command } from 'commander';
import { defaultStateDir } from '../publish/state-dir.js';
import type { AuditOptions, RotateOptions } from './log-action.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerLog(program: Command, setExit: (code: number) => void): void {
  const log = program.command('log').description("Check a verifier's transparency log");
  log
    .command('audit')
    .description('Verify the checkpoint, rebuild its root from the tiles, and check it extends the checkpoint seen before')
    .argument('<url>', "the verifier's base URL (its log is under URL/log/)")
    .requiredOption('--key <vkey>', "the log's verifier key (name+hash+base64, as served at /log/key)")
    .option('--witness <vkey>', 'a witness whose cosignature the checkpoint must carry (repeatable)', collect, [])
    .option('--state <dir>', `where the checkpoints seen are kept (default ${defaultStateDir()})`)
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExit status: 0 consistent, 1 alarm (LOG_INCONSISTENT, LOG_SIGNATURE_INVALID, LOG_TILES_INVALID), 2 usage error, 3 unreachable.',
    )
    .action(async (url: string, opts: AuditOptions) => (await import('./log-action.js')).logAuditAction(setExit, url, opts));
  log
    .command('key')
    .description("Manage this instance's log key")
    .command('rotate')
    .description('With the service stopped: retire the log and its key, make a new key, for a new log under a new origin')
    .requiredOption('--data-dir <dir>', "the service's data directory")
    .requiredOption('--origin <origin>', "the new log's origin (set log.origin to it before starting the service again)")
    .option('--key-file <file>', "the configured log.keyFile, when not the data directory's log-key.pem")
    .addHelpText(
      'after',
      '\nThe old log (checkpoint, tiles, key) moves to DATA_DIR/retired-logs/; its vkey is kept in DATA_DIR/retired-attestation-keys.\nExit status: 0 rotated, 2 usage error (nothing changed).',
    )
    .action(async (opts: RotateOptions) => (await import('./log-action.js')).logKeyRotateAction(setExit, opts));
}
