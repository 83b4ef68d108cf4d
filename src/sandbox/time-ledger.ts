// An account of the wall time spent in sandboxed commands, for whoever runs
// the process and wants the cost of its sandboxes visible (the test suite's
// closing summary). When T2U_VERIFY_SANDBOX_LEDGER names a directory, each
// finished one-shot sandboxed command appends one line, "KIND MS", to a file
// named after this process's id there; unset (the default), nothing is
// written and the cost is one environment lookup.
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SANDBOX_LEDGER_ENV = 'T2U_VERIFY_SANDBOX_LEDGER';

/** `build`: a source package build (reconstruct/build.ts); `command`: every one-shot sandboxed command, builds included. */
export type SandboxTimeKind = 'build' | 'command';

export function recordSandboxTime(kind: SandboxTimeKind, ms: number): void {
  const dir = process.env[SANDBOX_LEDGER_ENV];
  if (!dir) return;
  try {
    appendFileSync(join(dir, String(process.pid)), `${kind} ${Math.round(ms)}\n`);
  } catch {
    // An account, not a result: a ledger that cannot be written changes nothing.
  }
}

export interface SandboxTimes {
  readonly runs: number;
  readonly ms: number;
}

/** The totals of every process's file under `dir`, by kind. */
export function readSandboxLedger(dir: string): Record<SandboxTimeKind, SandboxTimes> {
  const out: Record<SandboxTimeKind, { runs: number; ms: number }> = { build: { runs: 0, ms: 0 }, command: { runs: 0, ms: 0 } };
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return out;
  }
  for (const f of files) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const [kind, ms] = line.split(' ');
      if ((kind === 'build' || kind === 'command') && /^\d+$/.test(ms ?? '')) {
        out[kind].runs++;
        out[kind].ms += Number(ms);
      }
    }
  }
  return out;
}
