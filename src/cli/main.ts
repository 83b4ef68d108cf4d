// The t2u-verify command line: one subcommand per job, each with --help.
// Each *-command.ts module only registers its command (options and help
// text) and imports the code that does the work when the command runs, so
// --version and --help load commander and little else (bench/startup.bench.ts).
// Exit codes (docs/architecture.md §4): 0 authentic/reproduced/equivalent, 1 rejected/
// mismatch, 2 usage or configuration error, 3 unverifiable; 141 when standard
// output was closed before everything was written (EXIT_BROKEN_PIPE).
import { createRequire } from 'node:module';
import type * as commander from 'commander';
import { registerCalibrate } from './calibrate-command.js';
import { registerCheckTag } from './check-tag-command.js';
import { registerReproduce } from './reproduce-command.js';
import { registerSandboxCommands } from './sandbox-command.js';
import { registerServe } from './serve-command.js';
import { registerVerify } from './verify-command.js';
import { registerWatch } from './watch-command.js';
import { registerLog } from './log-command.js';
import { registerConsensus } from './consensus-command.js';
import { EXIT } from '../report/exit-codes.js';
import { UsageError } from '../report/usage-error.js';

// commander is CommonJS: required directly, it loads without the ES module
// loader's translation of it (about a third of the start-up time measured).
const { Command, CommanderError } = createRequire(import.meta.url)('commander') as typeof commander;

export const VERSION = '0.1.0';

export function buildProgram(setExit: (code: number) => void): commander.Command {
  const program = new Command('t2u-verify')
    .description("Independent verifier for Debian's tag2upload service")
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  registerVerify(program, setExit);
  registerCheckTag(program, setExit);
  registerReproduce(program, setExit);
  registerSandboxCommands(program, setExit);
  registerCalibrate(program, setExit);
  registerWatch(program, setExit);
  registerServe(program, setExit);
  registerLog(program, setExit);
  registerConsensus(program, setExit);
  return program;
}

/**
 * The shell's status of a process that SIGPIPE ended (128 + 13): what a
 * command whose standard output was closed early (`t2u-verify verify --help |
 * head -1`) ends with, quietly, as it would had node not ignored SIGPIPE.
 */
export const EXIT_BROKEN_PIPE = 141;

export async function run(argv: string[]): Promise<number> {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT_BROKEN_PIPE);
    process.stderr.write(`t2u-verify: cannot write to standard output: ${e.message}\n`);
    process.exit(EXIT.unverifiable);
  });
  let code: number = EXIT.ok;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`t2u-verify: ${err.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`t2u-verify: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.unverifiable;
  }
}
