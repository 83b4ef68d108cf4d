// Progress lines for the long steps of a command (rootfs build, fetch, each
// profile's build, comparison): on stderr, each with the seconds since the
// start, when stderr is a terminal and the output is not --json; `--progress`
// forces them on (logs, CI), `--no-progress` off.
import { performance } from 'node:perf_hooks';

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
