// `t2u-verify log audit URL --key VKEY [--state DIR]`: checks a verifier's
// transparency log as any client can (docs/transparency.md): the checkpoint's
// signature, the root rebuilt from the tiles, and consistency with the
// checkpoint last seen (kept in DIR). A rewritten history or a split view is
// the alarm LOG_INCONSISTENT, printed with both signed checkpoints.
// Exit status: 0 consistent, 1 an alarm, 2 usage error, 3 unreachable.
import type { Command } from 'commander';
import { auditLog, defaultStateDir, LogClient, LogProblem, SeenStore } from '../publish/log-client.js';
import { isAlarm } from '../publish/consensus.js';
import { EXIT } from '../report/report.js';
import { UsageError } from './usage-error.js';

interface AuditOptions {
  key: string;
  witness: string[];
  state?: string;
  json?: boolean;
}

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
    .addHelpText('after', '\nExit status: 0 consistent, 1 alarm (LOG_INCONSISTENT, LOG_SIGNATURE_INVALID, LOG_TILES_INVALID), 2 usage error, 3 unreachable.')
    .action(async (url: string, opts: AuditOptions) => {
      if (!/^https?:\/\//.test(url)) throw new UsageError(`${url}: not an http(s) URL`);
      let client: LogClient;
      try {
        client = new LogClient(url, opts.key, opts.witness);
      } catch (e) {
        throw new UsageError(`--key/--witness: ${(e as Error).message}`);
      }
      const state = new SeenStore(opts.state ?? defaultStateDir());
      try {
        const { current, previous } = await auditLog(client, state);
        const cp = current.checkpoint;
        const since = previous === undefined ? 'first seen' : `consistent with size ${previous.checkpoint.size} seen before`;
        process.stdout.write(
          opts.json
            ? `${JSON.stringify({ status: 'ok', origin: cp.origin, size: cp.size, root: cp.root.toString('base64'), previousSize: previous?.checkpoint.size ?? null, checkpoint: current.note })}\n`
            : `OK: ${cp.origin} size ${cp.size} root ${cp.root.toString('base64')}: tiles rebuild it, ${since}\n`,
        );
        setExit(EXIT.ok);
      } catch (e) {
        if (!(e instanceof LogProblem)) throw e;
        const alarm = isAlarm(e.code);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ status: alarm ? 'alarm' : 'unverifiable', code: e.code, message: e.message, ...(e.evidence !== undefined && { evidence: e.evidence }) })}\n`);
        } else {
          const evidence = e.evidence === undefined ? '' : `\ncheckpoint seen before:\n${e.evidence.previous.trimEnd()}\n\ncheckpoint served now:\n${e.evidence.current.trimEnd()}\n`;
          process.stdout.write(`${e.code}: ${e.message}\n${evidence}`);
        }
        setExit(alarm ? EXIT.failed : EXIT.unverifiable);
      }
    });
}
