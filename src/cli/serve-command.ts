// `t2u-verify serve` (intake, API, health, metrics and workers in one
// process; SQLite by default) and `t2u-verify worker` (workers only, sharing
// the queue of a `serve` process through --database PostgreSQL, or the SQLite
// file of one on the same machine). Both run until SIGTERM or SIGINT and then
// stop gracefully; a second signal ends the process at once (Node's default
// once our one-shot handler is gone).
import type { Command } from 'commander';
import type { DestinationStream } from 'pino';
import type { ServiceConfig, ServiceFlags } from '../server/service-config.js';
import type { ServiceHandle } from '../server/service.js';
import type { VerifyJob } from '../server/queue/worker.js';
import type { SecretFlags } from './secret-sources.js';

export interface ServeDeps {
  /** The verification the workers run (default: the pipeline, src/server/queue/verify-job.ts, each job in its own process: src/server/queue/job-process.ts). */
  readonly makeVerifyJob?: (config: Readonly<ServiceConfig>) => VerifyJob;
  /** Stops the service when aborted; without it, SIGTERM and SIGINT do. */
  readonly signal?: AbortSignal;
  readonly onStarted?: (handle: ServiceHandle) => void;
  /** Where logs go (default: stdout, one JSON object per line). */
  readonly logDestination?: DestinationStream;
}

export interface Flags extends ServiceFlags, SecretFlags {
  logLevel: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

function common(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'configuration file (JSON; see docs/service.md)')
    .option('--data-dir <dir>', 'data directory (the SQLite queue when --database is absent)')
    .option('--database <url>', 'postgres:// URL of a shared queue (several worker processes, several machines)')
    .option('--workers <n>', 'verifications run at once by this process')
    .option('--keyring <file>', "uploader keyring added to Debian's keyrings (repeatable); its keys may upload any package", collect, [])
    .option('--no-default-keyrings', "use only the --keyring files, not Debian's keyrings (nor the configuration's keyrings)")
    .option('--dm-txt <file>', "ftp-master's dm.txt")
    .option('--upload-keyring <file>', "the tag2upload service's keyring (signs the uploads' .dsc)")
    .option('--mirror <url>', 'Debian mirror the uploads are obtained from')
    .option('--alert-url <url>', 'POST the report here on mismatch, rejected or a ledger alarm (repeatable)', collect, [])
    .option(
      '--alert-signing-secret-file <file>',
      'sign alerts with the whsec_ secrets in FILE, one a line (repeatable; also $T2U_ALERT_SIGNING_SECRET, $CREDENTIALS_DIRECTORY/alert-signing-secret; default: DATA-DIR/alert-signing-secret, generated)',
      collect,
      [],
    )
    .option('--allow-http', 'allow plain http:// repositories and uploads on loopback addresses (tests)')
    .option('--log-level <level>', `log level (${LOG_LEVELS.join(', ')})`, 'info')
    .addHelpText('after', '\nExit status: 0 after a graceful stop, 2 usage or configuration error.');
}

export function registerServe(program: Command, setExit: (code: number) => void, deps: ServeDeps = {}): void {
  common(
    program
      .command('serve')
      .description(
        'Run the verification service: GitLab webhook and API intake, read API, health, metrics, workers and (--watch-mirror) the archive watcher',
      )
      .option('--listen <host:port>', 'address to listen on (default 127.0.0.1:8080)')
      .option(
        '--webhook-secret <secret>',
        'GitLab webhook secret token, or signing token (whsec_…) (repeatable; visible in ps: prefer the file)',
        collect,
        [],
      )
      .option(
        '--webhook-secret-file <file>',
        'read webhook secrets from FILE, one a line (repeatable; also $T2U_WEBHOOK_SECRET, $CREDENTIALS_DIRECTORY/webhook-secret)',
        collect,
        [],
      )
      .option('--api-token <token>', 'bearer token for the API (repeatable; visible in ps: prefer the file)', collect, [])
      .option(
        '--api-token-file <file>',
        'read API tokens from FILE, one a line (repeatable; also $T2U_API_TOKEN, $CREDENTIALS_DIRECTORY/api-token)',
        collect,
        [],
      )
      .option(
        '--watch-mirror <url>',
        'run the archive watcher in the service: poll this Debian mirror and queue every tag2upload upload (see watch)',
      )
      .option('--watch-suite <name>', 'suite the watcher polls (repeatable; default unstable)', collect, [])
      .option('--watch-interval <seconds>', 'time between polls of the watched mirror (default 900)'),
  ).action(async (flags: Flags) => {
    const { runService } = await import('./serve-action.js');
    setExit(await runService('serve', flags, deps));
  });
  common(
    program
      .command('worker')
      .description('Run workers only, on the queue of a serve process (--database for PostgreSQL)')
      .option('--listen <host:port>', 'serve /healthz and /metrics on this address (default: no HTTP)'),
  ).action(async (flags: Flags) => {
    const { runService } = await import('./serve-action.js');
    setExit(await runService('worker', flags, deps));
  });
}
