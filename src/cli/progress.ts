// Progress lines for the long steps of a command (rootfs build, fetch, each
// profile's build, comparison): on stderr, each with the seconds since the
// start, when stderr is a terminal and the output is not --json; `--progress`
// forces them on (logs, CI), `--no-progress` off. A fetch adds a line with
// its running byte count at most once a second while it receives.
import { performance } from 'node:perf_hooks';
import { formatBytes } from '../pipeline/verify.js';

export type Progress = (line: string) => void;

export interface ProgressFlags {
  readonly json?: boolean;
  /** commander: true for --progress, false for --no-progress, undefined when neither is given. */
  readonly progress?: boolean;
}

export function progressFor(flags: ProgressFlags, stream: NodeJS.WriteStream = process.stderr): Progress | undefined {
  const on = flags.progress ?? (stream.isTTY === true && flags.json !== true);
  if (!on) return undefined;
  const t0 = performance.now();
  return (line) => {
    stream.write(`t2u-verify: [${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);
  };
}

/**
 * A running byte count as progress lines: `${label}: N MiB received`, at most
 * once per `intervalMs` and only when the count moved, the first once the
 * transfer has lasted `intervalMs` (a short fetch prints none: its total
 * follows on the step's own line).
 */
export function byteProgress(
  progress: Progress,
  label: string,
  intervalMs = 1000,
  now: () => number = () => performance.now(),
): (bytes: number) => void {
  let last: number | undefined;
  let shown = 0;
  return (bytes) => {
    const t = now();
    last ??= t;
    if (t - last < intervalMs || bytes === shown) return;
    last = t;
    shown = bytes;
    progress(`${label}: ${formatBytes(bytes)} received`);
  };
}
