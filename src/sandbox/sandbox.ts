// The sandbox as the stages see it: a port they receive from their caller
// (pipeline/, the CLI, the service), never a launcher they start
// themselves. A Sandbox runs commands under one root: its programs (dgit,
// dpkg-source, tar, xz, …) and their versions are that root's. The real one,
// bwrapSandbox, is the bubblewrap launcher (launcher.ts) over a builder root
// filesystem or the host's system directories; a stage cannot tell which,
// and does not ask: what it needs of the root is a program by name.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runSandboxed, spawnSandboxed, type Rootfs, type SandboxProcess, type SandboxResult, type SandboxSpec } from './launcher.js';
import { ensureRootfs, type RootfsOptions } from './rootfs.js';

export { requireCompleted, type SandboxLimits, type SandboxProcess, type SandboxResult } from './launcher.js';

/** One command: everything of the launcher's spec but the root, which is the sandbox's own. */
export type SandboxCommand = Omit<SandboxSpec, 'rootfs'>;

export interface Sandbox {
  /** What the commands run on, for messages and as a cache key: `host`, or the root filesystem's path. */
  readonly root: string;
  /**
   * A host directory that belongs to this root alone, where what its own
   * tools made may be kept across processes (undefined: nothing is kept).
   */
  readonly stateDir: string | undefined;
  /** Runs a command to completion and collects its output. */
  run(command: SandboxCommand): Promise<SandboxResult>;
  /** Starts a long-running command with streaming stdin and stdout. */
  spawn(command: Omit<SandboxCommand, 'stdin'>): SandboxProcess;
  /** Whether `program` is installed in the root's /usr/bin or /bin. */
  hasProgram(program: string): boolean;
}

/** The bubblewrap launcher over `rootfs`. */
export function bwrapSandbox(rootfs: Rootfs): Sandbox {
  const base = rootfs.kind === 'dir' ? rootfs.path : '/';
  return {
    root: rootfs.kind === 'dir' ? rootfs.path : 'host',
    // A cached rootfs's directory is named by its recipe's hash: what sits beside it belongs to that recipe.
    stateDir: rootfs.kind === 'dir' ? dirname(rootfs.path) : undefined,
    run: (command) => runSandboxed({ ...command, rootfs }),
    spawn: (command) => spawnSandboxed({ ...command, rootfs }),
    hasProgram: (program) => ['usr/bin', 'bin'].some((d) => existsSync(join(base, d, program))),
  };
}

/**
 * The same sandbox, its commands run at niceness 10: for work beside a
 * build whose end the verdict waits for (the content check, the second
 * toolchain), which then takes a core from the build only when the build
 * leaves it idle.
 */
export function besideTheBuild(sandbox: Sandbox): Sandbox {
  return {
    ...sandbox,
    run: (command) => sandbox.run({ ...command, nice: command.nice ?? 10 }),
    spawn: (command) => sandbox.spawn({ ...command, nice: command.nice ?? 10 }),
  };
}

/** The sandbox of a builder profile's root filesystem, which is built first when the cache does not have it. */
export async function builderSandbox(name: string, options: RootfsOptions = {}): Promise<Sandbox> {
  return bwrapSandbox(await ensureRootfs(name, options));
}
