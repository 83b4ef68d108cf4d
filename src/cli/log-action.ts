// `t2u-verify log audit URL --key VKEY [--state DIR]`: checks a verifier's
// transparency log as any client can (docs/transparency.md): the checkpoint's
// signature, the root rebuilt from the tiles, every entry bundle re-hashed
// against the tiles' leaf hashes, and consistency with the checkpoint last
// seen (kept in DIR). A rewritten history or a split view is
// the alarm LOG_INCONSISTENT, printed with both signed checkpoints.
// Exit status: 0 consistent, 1 an alarm, 2 usage error, 3 unreachable.
// This module is the command's action: log-command.ts registers the command
// (its options and help) and loads this only when the command runs.
import { auditLog, defaultStateDir, LogClient, LogProblem, SeenStore } from '../publish/log-client.js';
import { isAlarm } from '../publish/consensus.js';
import { rotateLogKey } from '../publish/key-rotation.js';
import { EXIT } from '../report/report.js';
import { UsageError } from '../report/usage-error.js';

export interface AuditOptions {
  key: string;
  witness: string[];
  state?: string;
  json?: boolean;
}

export async function logAuditAction(setExit: (code: number) => void, url: string, opts: AuditOptions): Promise<void> {
  if (!/^https?:\/\//.test(url)) throw new UsageError(`${url}: not an http(s) URL`);
  let client: LogClient;
  try {
    client = new LogClient(url, opts.key, opts.witness);
  } catch (e) {
    throw new UsageError(`--key/--witness: ${(e as Error).message}`);
  }
  const state = new SeenStore(opts.state ?? defaultStateDir());
  try {
    const { current, previous } = await auditLog(client, state, { entries: true });
    const cp = current.checkpoint;
    const since = previous === undefined ? 'first seen' : `consistent with size ${previous.checkpoint.size} seen before`;
    process.stdout.write(
      opts.json
        ? `${JSON.stringify({ status: 'ok', origin: cp.origin, size: cp.size, root: cp.root.toString('base64'), previousSize: previous?.checkpoint.size ?? null, checkpoint: current.note })}\n`
        : `OK: ${cp.origin} size ${cp.size} root ${cp.root.toString('base64')}: tiles rebuild it, entries hash to its leaves, ${since}\n`,
    );
    setExit(EXIT.ok);
  } catch (e) {
    if (!(e instanceof LogProblem)) throw e;
    const alarm = isAlarm(e.code);
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify({ status: alarm ? 'alarm' : 'unverifiable', code: e.code, message: e.message, ...(e.evidence !== undefined && { evidence: e.evidence }) })}\n`,
      );
    } else {
      const evidence =
        e.evidence === undefined
          ? ''
          : `\ncheckpoint seen before:\n${e.evidence.previous.trimEnd()}\n\ncheckpoint served now:\n${e.evidence.current.trimEnd()}\n`;
      process.stdout.write(`${e.code}: ${e.message}\n${evidence}`);
    }
    setExit(alarm ? EXIT.failed : EXIT.unverifiable);
  }
}

export interface RotateOptions {
  dataDir: string;
  origin: string;
  keyFile?: string;
}

export async function logKeyRotateAction(setExit: (code: number) => void, opts: RotateOptions): Promise<void> {
  const r = await rotateLogKey({
    dataDir: opts.dataDir,
    newOrigin: opts.origin,
    ...(opts.keyFile !== undefined && { keyFile: opts.keyFile }),
  });
  process.stdout.write(
    [
      `retired: ${r.oldOrigin} at size ${r.oldSize}, its checkpoint, tiles and key in ${r.retiredDir}`,
      `old vkey: ${r.oldVkey} (kept at /attestations/key for the attestations it signed)`,
      `new vkey: ${r.newVkey}`,
      `next: set log.origin to ${r.newOrigin} in the configuration, start the service (the new log begins with the old log's ${r.oldSize} entries),`,
      `      publish the new vkey beside the old one, and keep serving ${r.retiredDir}/log under the old log's URL.`,
      '',
    ].join('\n'),
  );
  setExit(EXIT.ok);
}
