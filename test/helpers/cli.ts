// The CLI as a test runs it, three ways, each answering the exit code and
// what was written: the CLI's bundle in a process of its own (`node
// bin/t2u-verify.js`, what `npx t2u-verify` runs: `npm run build` first), the
// entry point `run` in this process, and one command registered on a program
// of its own (its errors returned, as commander's exitOverride throws them).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { vi } from 'vitest';
import { run } from '../../src/cli/main.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 't2u-verify.js');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface BinOptions {
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** The child is killed after this long (its code is then -1). */
  readonly timeoutMs?: number;
}

/** `node bin/t2u-verify.js ...args` from the checkout's root. */
export function runBin(args: readonly string[], options: BinOptions = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      'node',
      [BIN, ...args],
      { cwd: ROOT, env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** Captures what this process writes to stdout and stderr while `body` runs. */
async function captured<T>(body: () => Promise<T>): Promise<{ value: T; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    const value = await body();
    return { value, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** `t2u-verify ...args` through the CLI's entry point, in this process. */
export async function runMain(...args: string[]): Promise<CliRun> {
  const { value: code, stdout, stderr } = await captured(() => run(['node', 't2u-verify', ...args]));
  return { code, stdout, stderr };
}

export interface CommandRun {
  /** What the command set as its exit code, if it got that far. */
  readonly code: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
  /** What parsing or the action threw (a UsageError, commander's CommanderError for --help or a missing option, ...). */
  readonly error?: unknown;
}

/** The exit code commander ended the run with (its CommanderError, as for --help or a missing option); undefined when it did not end it. */
export function commanderExitCode(r: CommandRun): number | undefined {
  return r.error instanceof CommanderError ? r.error.exitCode : undefined;
}

/** `t2u-verify ...args` on a program where only `register` registered its command, in this process; commander's own output is dropped. */
export async function runCommand(
  register: (program: Command, setExit: (code: number) => void) => void,
  args: readonly string[],
): Promise<CommandRun> {
  let code: number | undefined;
  const program = new Command('t2u-verify').exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  register(program, (c) => (code = c));
  const {
    value: error,
    stdout,
    stderr,
  } = await captured(() =>
    program.parseAsync(['node', 't2u-verify', ...args]).then(
      () => undefined,
      (e: unknown) => e ?? new Error('thrown: undefined'),
    ),
  );
  return { code, stdout, stderr, ...(error !== undefined && { error }) };
}
