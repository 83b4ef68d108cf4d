// What `t2u-verify serve` and `t2u-verify worker` run once their command line
// is parsed (serve-command.ts registers them): the configuration, the logger,
// the service, and the graceful stop on SIGTERM or SIGINT; loaded only when
// one of the two commands runs, so --help need not load the service.
import pino, { type Logger } from 'pino';
import { EXIT } from '../report/report.js';
import { loadServiceConfig, type ServiceConfig } from '../server/service-config.js';
import { startService, type ServiceHandle, type ServiceMode } from '../server/service.js';
import { isolatedVerifyJob } from '../server/queue/job-process.js';
import { resolveAlertSigningSecrets, resolveSecrets } from './secret-sources.js';
import { UsageError } from '../report/usage-error.js';
import { LOG_LEVELS, type Flags, type ServeDeps } from './serve-command.js';

/** Log bytes waiting for standard output beyond which lines are dropped rather than held in memory. */
const MAX_LOG_BUFFER = 16 * 1024 * 1024;

export async function runService(mode: ServiceMode, flags: Flags, deps: ServeDeps): Promise<number> {
  if (!LOG_LEVELS.includes(flags.logLevel)) throw new UsageError(`--log-level: must be one of ${LOG_LEVELS.join(', ')}`);
  const alertSigningSecret = resolveAlertSigningSecrets(flags);
  const config: Readonly<ServiceConfig> = await loadServiceConfig(
    { ...flags, ...(mode === 'serve' && resolveSecrets(flags)), alertSigningSecret },
    mode,
  );
  // Lines are written to standard output asynchronously: a slow reader of the
  // log (a full pipe, journald under load) never holds the event loop, and
  // so never an acknowledgement. At most MAX_LOG_BUFFER bytes wait; what is
  // buffered is written at exit (pino flushes its destination then) or below.
  const log: Logger = pino(
    { level: flags.logLevel, base: { pid: process.pid, mode } },
    deps.logDestination ?? pino.destination({ dest: 1, sync: false, maxLength: MAX_LOG_BUFFER }),
  );
  const verifyJob = (deps.makeVerifyJob ?? ((c) => isolatedVerifyJob({ config: c })))(config);
  let handle: ServiceHandle;
  try {
    handle = await startService(config, { verifyJob, log }, mode);
  } catch (err) {
    await verifyJob.close?.();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new UsageError(`cannot listen on ${flags.listen ?? 'the configured address'}: ${(err as Error).message}`);
    }
    throw err;
  }
  deps.onStarted?.(handle);
  await new Promise<void>((resolve) => {
    if (deps.signal !== undefined) {
      if (deps.signal.aborted) resolve();
      deps.signal.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    const onSignal = (name: string): void => {
      log.info({ signal: name }, 'signal received: stopping gracefully (send it again to stop at once)');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await handle.stop();
  await verifyJob.close?.();
  await new Promise<void>((resolve) => log.flush(() => resolve()));
  return EXIT.ok;
}
