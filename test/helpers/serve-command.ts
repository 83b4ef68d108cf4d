// `t2u-verify serve` (or `worker`) run in-process as the CLI registers it:
// the flags and --config file a user gives, the log kept line by line, the
// service's handle once it listens, and a stop that aborts it as SIGTERM
// would and answers the command's exit code. The end-to-end tests of the
// service start it this way, with the real verification as an operator
// configures it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { registerServe, type ServeDeps } from '../../src/cli/serve-command.js';
import type { ServiceHandle } from '../../src/server/service.js';
import { SERVICE_KEYRING } from '../reconstruct/upload-fixtures.js';
import { API_TOKEN, TOKEN, waitFor } from '../server/service-helpers.js';
import { FIXTURE_KEYRINGS, fixtureTrustConfig } from './fixture-keyrings.js';

export interface ServeCommand {
  /** The log as written, one entry per write (pino writes a line at a time). */
  readonly log: readonly string[];
  /** The log's lines parsed. */
  records(): Record<string, unknown>[];
  /** The service once it listens. */
  started(timeoutMs?: number): Promise<ServiceHandle>;
  /** Aborts the command and waits for it to end: its exit code (-1 if it set none). Idempotent. */
  stop(): Promise<number>;
}

/** Runs `t2u-verify ...argv`; `makeVerifyJob` stands in for the real verification. */
export function runServeCommand(argv: readonly string[], deps: Pick<ServeDeps, 'makeVerifyJob'> = {}): ServeCommand {
  const log: string[] = [];
  const controller = new AbortController();
  let handle: ServiceHandle | undefined;
  let code = -1;
  const program = new Command().exitOverride();
  registerServe(program, (c) => (code = c), {
    ...deps,
    signal: controller.signal,
    onStarted: (h) => (handle = h),
    logDestination: new Writable({ write: (c: Buffer, _e, cb) => (log.push(c.toString('utf8')), cb()) }),
  });
  const done = program.parseAsync(['node', 't2u-verify', ...argv]);
  return {
    log,
    records: () =>
      log
        .join('')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    started: (timeoutMs) => waitFor(() => handle, 'the service to start', timeoutMs),
    stop: async () => {
      controller.abort();
      await done;
      return code;
    },
  };
}

/** `t2u-verify serve` on an ephemeral loopback port, taking webhooks with the test token, and `flags`. */
export function runServe(flags: readonly string[], deps: Pick<ServeDeps, 'makeVerifyJob'> = {}): ServeCommand {
  return runServeCommand(['serve', '--listen', '127.0.0.1:0', '--webhook-secret', TOKEN, ...flags], deps);
}

/**
 * `t2u-verify serve` with the real verification and the fixture trust, as an
 * operator configures it: what flags cannot say (the keyrings' roles, and
 * `config`) in `<dir>/service.json`, the store in `<dir>/data`, the API token,
 * dm.txt, the test service's upload keyring, loopback HTTP allowed, one
 * worker; then `flags`.
 */
export function runVerifyingServe(dir: string, config: Record<string, unknown>, flags: readonly string[] = []): ServeCommand {
  const configFile = join(dir, 'service.json');
  writeFileSync(configFile, JSON.stringify({ keyrings: fixtureTrustConfig().keyrings, ...config }));
  return runServe([
    '--config',
    configFile,
    '--data-dir',
    join(dir, 'data'),
    '--api-token',
    API_TOKEN,
    '--dm-txt',
    FIXTURE_KEYRINGS.dmTxt,
    '--upload-keyring',
    SERVICE_KEYRING,
    '--allow-http',
    '--workers',
    '1',
    ...flags,
  ]);
}
