// Runs one command under bubblewrap: everything that touches fetched content
// (git index-pack, git cat-file, dpkg-source, dgit) goes through here. The
// sandbox has a read-only root, a private /tmp, one writable work directory,
// no network (a fresh network namespace), its own PID namespace, no
// capabilities, an unprivileged uid, a clean environment, and caps on wall
// time, memory, processes and output. The command's own behaviour is data in
// SandboxResult; only a sandbox that could not be set up throws VerificationError.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { Transform, type Readable, type Writable } from 'node:stream';
import { spawn, type StdioOptions } from 'node:child_process';
import { inNicedGroup } from './autogroup.js';
import { bwrapArgs, GITCONFIG_INSIDE, type BwrapPlan, type Rootfs } from './bwrap-args.js';
import { RunCgroups, type CgroupVersion } from './cgroups.js';
import { checkReachable, prepareWorkDir, reachability, sandboxIdentity, type SandboxIdentity } from './identity.js';
import { stagedFor, type StagedLease } from './staging.js';
import { devNullFd, leakingFds } from './inherited-fds.js';
import { seccompBytes } from './seccomp.js';
import { checkKeep, copyOutCap, mentionsNoSpace, reportedFull, treeBytes, UNPACK_ARGV, workBytesFor, wrapCommand } from './work-quota.js';
import { recordSandboxTime } from './time-ledger.js';
import { makeWorkVolume, mountedCommand, workVolumeKind, type WorkVolume } from './work-volume.js';
import { tapCommand } from './output-tap.js';
import { streamed } from './young-garbage.js';
import { VerificationError } from '../report/verification-error.js';

export type { Rootfs } from './bwrap-args.js';
export type { SandboxIdentity } from './identity.js';

export interface SandboxLimits {
  /** Address-space or cgroup memory cap for the whole sandbox. Default 2 GiB. */
  memoryBytes?: number;
  /** Processes (and threads) the sandbox may have at once. Default 256. */
  maxProcesses?: number;
  /** Bytes of stdout plus stderr kept; beyond it the sandbox is killed. Default 64 MiB. */
  maxOutputBytes?: number;
  /**
   * Size of /work, a disk volume or a tmpfs (and the most the copy-out writes to the host).
   * Default: DEFAULT_WORK.factor times the inputs (the work directory's
   * content plus `inputBytes`), at least DEFAULT_WORK.floorBytes.
   */
  workBytes?: number;
  /** Bytes the command is expected to unpack from inputs bound elsewhere (e.g. an upload's files), for the default workBytes. */
  inputBytes?: number;
  /**
   * What the inputs unpack to beyond their own bytes, as the compressed
   * files' headers say (unpackedEstimate, src/tarball/unpacked-size.ts;
   * Infinity when unknown): counted only in the choice of a disk volume or
   * a tmpfs for /work (work-volume.ts), never in workBytes.
   */
  unpackedBytes?: number;
}

export interface SandboxSpec {
  /** The command inside the sandbox; a bare name is looked up in the sandbox's PATH. */
  argv: string[];
  /** 'host': the host's /usr, /bin, /lib* and a minimal /etc (no secrets), read-only. */
  rootfs: Rootfs;
  /**
   * Host directory whose content is /work, the working directory; given to
   * the sandbox uid. /work is a filesystem of limits.workBytes (a loop-mounted
   * disk volume as root for inputs of DISK_VOLUME_FROM or more, counted at
   * their unpacked size (limits.unpackedBytes), else a tmpfs:
   * src/sandbox/work-volume.ts): the
   * directory is copied in when the command starts, and `keep` copied back
   * out when it has ended (src/sandbox/work-quota.ts).
   */
  workDir?: string;
  /** Paths under /work copied back into workDir when the command has ended (default none; `.` is all of /work). */
  keep?: readonly string[];
  /**
   * Binds workDir read-write as it is, without a size limit: only for a
   * persistent store whose writes the caller bounds (the object store, fed a
   * pack of capped size).
   */
  bindWorkDir?: boolean;
  readOnly?: { host: string; inside: string }[];
  /** Added to a clean environment (PATH, HOME=/tmp, LANG=C.UTF-8, git's configuration isolated). */
  env?: Record<string, string>;
  /**
   * The command's standard input. A promise: written when it resolves (the
   * command meanwhile waits on its input), and end of input at once if it
   * rejects.
   */
  stdin?: Uint8Array | string | Promise<Uint8Array | string>;
  timeoutMs: number;
  limits?: SandboxLimits;
  /** Kills everything in the sandbox when aborted (runSandboxed): the result then has signal SIGKILL. */
  signal?: AbortSignal;
  /** Told once the command's process has been started (runSandboxed), before it ends. */
  onSpawn?: () => void;
  /**
   * Runs the whole sandbox at this niceness (1–19, `nice -n`), its
   * session's autogroup too (autogroup.ts), so that it takes a core from
   * other work only when that work leaves it idle.
   */
  nice?: number;
  /** The uid/gid bwrap runs as when we are root (default T2U_SANDBOX_UID/GID, else 65534). */
  identity?: SandboxIdentity;
}

export interface SandboxResult {
  /** The command's exit status; a command killed by signal N reads 128+N (bwrap's init reports it so). Null when the sandbox was killed from outside. */
  exitCode: number | null;
  /** Set when the launcher killed the sandbox (timeout, output cap, kill()). */
  signal: string | null;
  timedOut: boolean;
  stdout: Buffer;
  stderr: Buffer;
  outputTruncated: boolean;
  memoryLimit: CgroupVersion | 'rlimit-as' | 'unavailable';
  processLimit: CgroupVersion | 'rlimit-nproc' | 'unavailable';
  /** The kernel's OOM killer acted in the sandbox's memory cgroup (cgroup mechanisms only). */
  memoryExceeded: boolean;
  /** The size limit of /work; null when there was no work directory or it was bound as it is. */
  workBytes: number | null;
  /** What held /work: a loop-mounted disk volume or a tmpfs (memory); null as for workBytes. */
  workVolume: 'disk' | 'tmpfs' | null;
  /** /work was full when the command ended, or what it kept exceeded the limit: writes beyond the limit failed. */
  workQuotaExceeded: boolean;
  durationMs: number;
}

export interface SandboxProcess {
  readonly stdin: Writable;
  /** The command's stdout; counted against maxOutputBytes. SandboxResult.stdout stays empty. */
  readonly stdout: Readable;
  /** Kills everything in the sandbox; `result` then resolves with signal SIGKILL. */
  kill(): void;
  readonly result: Promise<SandboxResult>;
}

export const DEFAULT_LIMITS = {
  memoryBytes: 2 * 1024 ** 3,
  maxProcesses: 256,
  maxOutputBytes: 64 * 1024 ** 2,
} as const satisfies Required<Omit<SandboxLimits, 'workBytes' | 'inputBytes' | 'unpackedBytes'>>;

const BWRAP = '/usr/bin/bwrap';
/** The seccomp program (src/sandbox/seccomp.ts), made once: it depends on the machine alone. */
let seccompProgramBytes: Buffer | undefined;
const PRLIMIT = '/usr/bin/prlimit';
const NICE = '/usr/bin/nice';

/**
 * git refuses a repository owned by another uid ("dubious ownership") unless
 * safe.directory allows it, and reads that key only from protected (system,
 * global, command-line) configuration; git 2.39 ignores it in
 * GIT_CONFIG_COUNT variables. So a global file is generated, and the
 * system file is skipped for reproducibility. It also bounds how much of a
 * pack git maps at once: by default a 64-bit git maps windows of 1 GiB up to
 * 8 GiB, so reading every blob of a large package (git archive for git
 * deborig, the checkout) puts the whole pack in git's resident set (measured:
 * git archive of a 32 MiB pack of incompressible files: 41 MiB with windows
 * of 16 MiB up to 32 MiB, 13 MiB with windows of 1 MiB up to 4 MiB, in the
 * same time: the pack is read front to back, and a window is a page-cache
 * mapping, cheap to remake). Likewise the delta
 * base cache, 96 MiB by default, fills when a pack's blobs are deltas of one
 * another (measured: git archive of a 1 GiB tree 121 MiB with the default,
 * 39 MiB with 16 MiB, 1.0 s against 0.7 s). What git reads and writes is the
 * same.
 */
const GITCONFIG = new TextEncoder().encode(
  '[safe]\n\tdirectory = *\n[core]\n\tpackedGitWindowSize = 1m\n\tpackedGitLimit = 4m\n\tdeltaBaseCacheLimit = 16m\n',
);

/**
 * xz's decompression at one thread in every sandbox, whatever -T the caller
 * passes (dpkg-source and dgit pass -T0): the threaded decoder holds a whole
 * block per thread (24 MiB at -6, more at -9), a thread per core, where one
 * thread streams in a few MiB. This limit only ever lowers the number of
 * threads, never refuses a file or changes what is decompressed (xz(1),
 * --memlimit-mt-decompress). Compression is not affected.
 */
export const XZ_DECOMPRESS_ONE_THREAD = '--memlimit-mt-decompress=1';

const BASE_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/tmp',
  TMPDIR: '/tmp',
  LANG: 'C.UTF-8',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: GITCONFIG_INSIDE,
  GIT_ATTR_NOSYSTEM: '1',
  XZ_DEFAULTS: XZ_DECOMPRESS_ONE_THREAD,
};

/** Descriptor numbers in the child: 0-2 stdio, then bwrap's side channels. */
const FD_GITCONFIG = 3;
const FD_STATUS = 4;
const FD_BLOCK = 5;
const FD_SECCOMP = 6;
/** The wrapper's tar of the kept paths, and its report of /work's free space (tmpfs work directories only). */
const FD_COPYOUT = 7;
const FD_WORK_REPORT = 8;

type KillReason = 'timeout' | 'output' | 'kill';

/** Runs a command to completion and collects its output. */
export async function runSandboxed(spec: SandboxSpec): Promise<SandboxResult> {
  const started = performance.now();
  const proc = launch(spec, false);
  const onAbort = (): void => proc.kill();
  spec.signal?.addEventListener('abort', onAbort, { once: true });
  if (spec.signal?.aborted) proc.kill();
  try {
    const result = await proc.result;
    tapCommand(spec.argv, result);
    return result;
  } finally {
    spec.signal?.removeEventListener('abort', onAbort);
    recordSandboxTime('command', performance.now() - started);
  }
}

/** Starts a long-running command (e.g. `git cat-file --batch`) with streaming stdin and stdout. */
export function spawnSandboxed(spec: Omit<SandboxSpec, 'stdin'>): SandboxProcess {
  return launch(spec, true);
}

/**
 * Throws SANDBOX_TIMEOUT or SANDBOX_FAILED unless the command ran to its own
 * end (whatever its exit status, which stays for the caller to judge).
 */
export function requireCompleted(r: SandboxResult, what: string): SandboxResult {
  if (r.timedOut) throw new VerificationError('SANDBOX_TIMEOUT', `${what} exceeded its time limit and was killed`);
  if (r.outputTruncated) throw new VerificationError('SANDBOX_FAILED', `${what} wrote more output than allowed and was killed`);
  if (r.memoryExceeded) throw new VerificationError('SANDBOX_FAILED', `${what} exceeded its memory limit and was killed`);
  if (r.workQuotaExceeded) throw new VerificationError('WORK_QUOTA_EXCEEDED', `${what} filled its work directory (${r.workBytes} bytes)`);
  if (r.exitCode === null) throw new VerificationError('SANDBOX_FAILED', `${what} was killed (${r.signal ?? 'unknown signal'})`);
  return r;
}

function launch(spec: SandboxSpec, streaming: boolean): SandboxProcess {
  // Streamed input and output count towards a collection of their dropped chunks (young-garbage.ts).
  const stdin = new Transform({
    transform(chunk: Buffer, _enc, done) {
      streamed(chunk.length);
      done(null, chunk);
    },
  });
  const limits = { ...DEFAULT_LIMITS, ...spec.limits };
  let outputBytes = 0;
  let truncated = false;
  let killReason: KillReason | undefined;
  let killNow: (() => void) | undefined;
  const kill = (reason: KillReason): void => {
    killReason ??= reason;
    killNow?.();
  };
  const stdout = new Transform({
    transform(chunk: Buffer, _enc, done) {
      streamed(chunk.length);
      done(null, takeOutput(chunk));
    },
  });
  // The output cap counts stdout and stderr together: what is over is dropped and the sandbox killed.
  const takeOutput = (chunk: Buffer): Buffer | undefined => {
    if (truncated) return undefined;
    const room = limits.maxOutputBytes - outputBytes;
    if (chunk.length <= room) {
      outputBytes += chunk.length;
      return chunk;
    }
    truncated = true;
    outputBytes += room;
    kill('output');
    return room > 0 ? chunk.subarray(0, room) : undefined;
  };

  const result = (async (): Promise<SandboxResult> => {
    const started = performance.now();
    if (spec.argv.length === 0) throw new VerificationError('SANDBOX_FAILED', 'empty command');
    if (!(spec.timeoutMs > 0)) throw new VerificationError('SANDBOX_FAILED', `invalid timeout ${spec.timeoutMs}`);
    if (spec.nice !== undefined && !(Number.isInteger(spec.nice) && spec.nice >= 1 && spec.nice <= 19)) {
      throw new VerificationError('SANDBOX_FAILED', `invalid niceness ${spec.nice}`);
    }
    const who = sandboxIdentity(spec.identity);
    const seccomp = (seccompProgramBytes ??= seccompBytes());
    if (spec.workDir !== undefined) await prepareWorkDir(spec.workDir, who);
    const keep = spec.keep ?? [];
    checkKeep(keep);
    const inputs = spec.workDir === undefined || spec.bindWorkDir ? undefined : (await treeBytes(spec.workDir)) + (limits.inputBytes ?? 0);
    const sized =
      spec.workDir === undefined || inputs === undefined
        ? undefined
        : {
            host: spec.workDir,
            bytes: limits.workBytes ?? workBytesFor(inputs),
            kind: await workVolumeKind(who, inputs + (limits.unpackedBytes ?? 0)),
          };
    const workBytes = sized?.bytes ?? null;
    if (who && spec.rootfs.kind === 'dir') checkReachable(spec.rootfs.path, who, 'root filesystem');
    // An input the invoking user can read but the sandbox uid cannot reach is staged (src/sandbox/staging.ts).
    const readOnly: { host: string; inside: string }[] = [];
    // A staged copy lives as long as the runs that use it (staging.ts): released when this run is over.
    const leases: StagedLease[] = [];
    const releaseStaged = async (): Promise<void> => {
      await Promise.allSettled(leases.splice(0).map((l) => l.release()));
    };
    let volume: WorkVolume | undefined;
    try {
      for (const ro of spec.readOnly ?? []) {
        if (who && reachability(ro.host, who) === 'unreachable') {
          const lease = await stagedFor(ro.host, who);
          leases.push(lease);
          readOnly.push({ host: lease.path, inside: ro.inside });
        } else {
          if (who) checkReachable(ro.host, who, 'read-only path');
          readOnly.push(ro);
        }
      }
      if (killReason) {
        await releaseStaged();
        return killedBeforeStart(killReason, started);
      }
      volume = sized?.kind === 'disk' ? await makeWorkVolume(dirname(sized.host), sized.bytes, who!) : undefined;
    } catch (e) {
      await releaseStaged();
      throw e;
    }
    const work: BwrapPlan['work'] =
      spec.workDir !== undefined && spec.bindWorkDir
        ? { kind: 'bind', host: spec.workDir }
        : sized && volume
          ? { kind: 'volume', host: sized.host, bytes: sized.bytes, mountPoint: volume.mountPoint }
          : sized
            ? { kind: 'tmpfs', host: sized.host, bytes: sized.bytes }
            : undefined;
    // tmpfs pages are charged to the memory cgroup: a tmpfs work directory's limit comes on top.
    const cgroups = await RunCgroups.create({
      memoryBytes: limits.memoryBytes + (work?.kind === 'tmpfs' ? work.bytes : 0),
      maxProcesses: limits.maxProcesses,
    });
    try {
      return await runInCgroups(cgroups);
    } finally {
      // Not awaited: the kernel may take a few ms to release the cgroups of
      // reaped processes, and the result does not depend on it.
      void cgroups.remove();
      // The mount went with the run's mount namespace; the image file is left.
      await volume?.dispose();
      await releaseStaged();
    }

    async function runInCgroups(cg: RunCgroups): Promise<SandboxResult> {
      // Fallbacks where no cgroup applies: rlimits, set by prlimit just before bwrap.
      // RLIMIT_NPROC counts every process of the real uid, so the budget adds those that already exist.
      const rlimits: string[] = [];
      const canRlimit = hasPrlimit();
      if (!cg.memory && canRlimit) rlimits.push(`--as=${limits.memoryBytes}`);
      const copying = work !== undefined && work.kind !== 'bind';
      if (!cg.pids && canRlimit) rlimits.push(`--nproc=${processesOf(who?.uid ?? process.getuid?.() ?? -1) + limits.maxProcesses + 3}`);
      const block = cg.empty ? undefined : FD_BLOCK;
      // A niceness holds across sandboxes only with the session's autogroup set too (autogroup.ts).
      const inGroup = (argv: readonly string[]): readonly string[] => (spec.nice !== undefined ? inNicedGroup(argv, spec.nice) : argv);
      const args = bwrapArgs({
        rootfs: spec.rootfs,
        ...(work ? { work } : {}),
        readOnly,
        argv: inGroup(copying ? wrapCommand(spec.argv, keep, { copyOut: FD_COPYOUT, report: FD_WORK_REPORT }) : spec.argv),
        tmpBytes: limits.memoryBytes,
        fds: { gitconfig: FD_GITCONFIG, status: FD_STATUS, block, seccomp: FD_SECCOMP },
      });
      const sandboxed = rlimits.length ? [PRLIMIT, ...rlimits, '--', BWRAP, ...args] : [BWRAP, ...args];
      // Set before bwrap starts, so that every process of the sandbox inherits it.
      const command = spec.nice !== undefined && hasNice() ? [NICE, '-n', String(spec.nice), ...sandboxed] : sandboxed;

      const stdio: (string | number)[] = [
        streaming || spec.stdin !== undefined ? 'pipe' : 'ignore',
        'pipe',
        'pipe',
        'pipe',
        'pipe',
        block !== undefined ? 'pipe' : 'ignore',
        'pipe',
        ...(copying ? ['pipe', 'pipe'] : []),
      ];
      for (const fd of leakingFds(stdio.length)) {
        while (stdio.length < fd) stdio.push('ignore');
        stdio[fd] = devNullFd();
      }

      // A disk volume is mounted by root in the run's own mount namespace,
      // then setpriv becomes the sandbox uid (work-volume.ts).
      const [file, fileArgs] = volume
        ? mountedCommand(
            volume,
            who!,
            command,
            stdio.map((_, fd) => fd).filter((fd) => fd > 2),
          )
        : [command[0]!, command.slice(1)];
      // node:child_process rather than execa here: execa costs ~10 ms per
      // spawn (more with many stdio entries), more than bwrap itself.
      const child = spawn(file, fileArgs, {
        stdio: stdio as StdioOptions,
        env: { ...BASE_ENV, ...spec.env },
        // libuv drops supplementary groups (setgroups(0)) before setgid/setuid.
        ...(who && !volume ? { uid: who.uid, gid: who.gid } : {}),
        // Its own process group, so a kill reaches bwrap and not us.
        detached: true,
      });
      spec.onSpawn?.();
      const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
        child.on('error', (error) => {
          // Spawning failed (no bwrap, no prlimit): there will be no 'close' with a status.
          if (child.pid === undefined) resolve({ code: null, signal: null, error });
        });
        // 'exit', not 'close': 'close' also waits for stdout, which a streaming consumer may leave unread.
        child.on('exit', (code, signal) => resolve({ code, signal }));
      });
      const extra = child.stdio as readonly (Readable | Writable | null | undefined)[];
      for (const s of extra) (s as Readable | null | undefined)?.on?.('error', () => undefined);
      (extra[FD_GITCONFIG] as Writable | undefined)?.end(GITCONFIG);
      (extra[FD_SECCOMP] as Writable | undefined)?.end(seccomp);
      let innerPid: number | undefined;
      let exited = false;
      killNow = () => {
        // bwrap's outer process is the group leader; its pid-namespace init dies with it
        // (--die-with-parent), and the kernel then kills every process in the namespace.
        for (const pgid of exited ? [] : [child.pid, innerPid]) {
          if (pgid === undefined) continue;
          try {
            process.kill(-pgid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        cg.killAll();
        if (streaming) {
          // Do not wait for a consumer that may never read the rest.
          child.stdout?.unpipe(stdout);
          child.stdout?.destroy();
          stdout.end();
        }
      };
      if (killReason) killNow();
      const timer = setTimeout(() => kill('timeout'), spec.timeoutMs);

      const stderrChunks: Buffer[] = [];
      const stdoutChunks: Buffer[] = [];
      let setupError: VerificationError | undefined;
      const status = collectStatus(extra[FD_STATUS] as Readable | undefined, (pid) => {
        innerPid = pid;
        if (block === undefined) return;
        // The command waits on the gate until it is in its cgroups; a failed move kills it there.
        cg.attach(child.pid === undefined ? [pid] : [child.pid, pid]).then(
          () => (extra[FD_BLOCK] as Writable).end('x'),
          (e: unknown) => {
            setupError = new VerificationError('SANDBOX_FAILED', `cannot move the sandbox into its cgroup: ${(e as Error).message}`, {
              cause: e,
            });
            kill('kill');
          },
        );
      });

      const ends: Promise<unknown>[] = [status];
      let workFull = false;
      let copyOut: Promise<CopyOutcome> | undefined;
      if (work !== undefined && work.kind !== 'bind') {
        const report = collectText(extra[FD_WORK_REPORT] as Readable | undefined).then((t) => {
          workFull = reportedFull(t);
        });
        ends.push(report);
        // Nothing kept: the wrapper writes nothing (its channel is drained to its end), and no second sandbox is started.
        copyOut =
          keep.length === 0
            ? ended((extra[FD_COPYOUT] as Readable).resume()).then(() => ({ exceeded: false }))
            : copyOutInto(spec, work.host, extra[FD_COPYOUT] as Readable, copyOutCap(work.bytes), {
                early: inputs! + (limits.unpackedBytes ?? 0) < SMALL_INPUT_BELOW_BYTES,
              });
        ends.push(copyOut);
      }
      child.stderr?.on('data', (c: Buffer) => {
        const kept = takeOutput(c);
        if (kept) stderrChunks.push(kept);
      });
      ends.push(ended(child.stderr));
      if (child.stdin) {
        // The command may exit without reading its input: EPIPE is not our failure.
        child.stdin.on('error', () => undefined);
        if (streaming) stdin.pipe(child.stdin);
        else if (spec.stdin instanceof Promise) {
          const input = child.stdin;
          spec.stdin.then(
            (data) => input.end(data),
            () => input.end(),
          );
        } else child.stdin.end(spec.stdin);
      }
      if (streaming) {
        child.stdout?.pipe(stdout);
        ends.push(ended(child.stdout));
      } else {
        child.stdout?.on('data', (c: Buffer) => {
          const kept = takeOutput(c);
          if (kept) stdoutChunks.push(kept);
        });
        ends.push(ended(child.stdout));
        stdout.end();
      }

      const outcome = await exit;
      exited = true;
      // The timer runs on until the output is delivered: a streaming consumer
      // that stops reading would otherwise hold the result forever.
      const [exitCode] = (await Promise.all([status, ...ends.slice(1)])) as [number | undefined];
      clearTimeout(timer);
      const base: Omit<SandboxResult, 'exitCode' | 'signal'> = {
        timedOut: killReason === 'timeout',
        stdout: Buffer.concat(stdoutChunks),
        stderr: Buffer.concat(stderrChunks),
        outputTruncated: truncated,
        memoryLimit: cg.memory?.version ?? (canRlimit ? 'rlimit-as' : 'unavailable'),
        processLimit: cg.pids?.version ?? (canRlimit ? 'rlimit-nproc' : 'unavailable'),
        memoryExceeded: cg.oomKilled(),
        workBytes,
        workVolume: work?.kind === 'volume' ? 'disk' : work?.kind === 'tmpfs' ? 'tmpfs' : null,
        workQuotaExceeded: false,
        durationMs: performance.now() - started,
      };
      const out = await copyOut;
      base.workQuotaExceeded =
        workBytes !== null && (workFull || out?.exceeded === true || mentionsNoSpace(base.stderr.toString('latin1')));
      if (setupError) throw setupError;
      if (out?.error && !killReason && exitCode === 0)
        throw new VerificationError(
          'SANDBOX_FAILED',
          `copying the results of ${JSON.stringify(spec.argv[0])} out of /work failed: ${out.error}`,
        );
      if (killReason) return { ...base, exitCode: null, signal: 'SIGKILL' };
      if (exitCode === undefined) {
        // No "exit-code" status: bwrap never started the command (bad mount, missing program, no user namespaces).
        const why = base.stderr.toString('utf8').trim() || outcome.error?.message || `exit ${outcome.code ?? outcome.signal}`;
        throw new VerificationError('SANDBOX_FAILED', `the sandbox could not start ${JSON.stringify(spec.argv[0])}: ${why}`);
      }
      return { ...base, exitCode, signal: null };
    }
  })();

  // Until the caller awaits it, a failed launch must not become an unhandled
  // rejection; a stdout reader must see the stream end either way.
  result.catch(() => {
    if (!stdout.writableEnded) stdout.end();
  });
  return {
    stdin,
    stdout,
    kill: () => kill('kill'),
    result,
  };

  function killedBeforeStart(reason: KillReason, started: number): SandboxResult {
    stdout.end();
    return {
      exitCode: null,
      signal: 'SIGKILL',
      timedOut: reason === 'timeout',
      stdout: Buffer.alloc(0),
      stderr: Buffer.alloc(0),
      outputTruncated: false,
      memoryLimit: 'unavailable',
      processLimit: 'unavailable',
      memoryExceeded: false,
      workBytes: null,
      workVolume: null,
      workQuotaExceeded: false,
      durationMs: performance.now() - started,
    };
  }
}

/**
 * Reads bwrap's --json-status-fd: one JSON object per line, first
 * `{"child-pid": N, …}` (N is the host pid of the namespace's init), then
 * `{"exit-code": N}` only if the command was started; resolves to that code.
 */
function collectStatus(stream: Readable | undefined, onChild: (pid: number) => void): Promise<number | undefined> {
  return new Promise((resolve) => {
    if (!stream) return resolve(undefined);
    let text = '';
    let exitCode: number | undefined;
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
      let nl;
      while ((nl = text.indexOf('\n')) >= 0) {
        const line = text.slice(0, nl);
        text = text.slice(nl + 1);
        let doc: Record<string, unknown>;
        try {
          doc = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        if (typeof doc['child-pid'] === 'number') onChild(doc['child-pid']);
        if (typeof doc['exit-code'] === 'number') exitCode = doc['exit-code'];
      }
    });
    stream.on('error', () => resolve(exitCode));
    stream.on('close', () => resolve(exitCode));
  });
}

/** All of a small side channel's text (the wrapper's report). */
function collectText(stream: Readable | undefined): Promise<string> {
  return new Promise((resolve) => {
    if (!stream) return resolve('');
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => {
      if (text.length < 4096) text += c;
    });
    stream.on('error', () => resolve(text));
    stream.on('close', () => resolve(text));
  });
}

interface CopyOutcome {
  /** The stream was longer than the cap: the rest was not written. */
  exceeded: boolean;
  /** Unpacking failed (a cut stream after a kill, or tar's own error). */
  error?: string;
}

/**
 * Inputs (an upload's files and what they unpack to) below which the work
 * on them is small: the one bound for three choices, each explained where it
 * is made. A sandbox run's copy-out unpacker starts with the command
 * (copyOutInto); dgit compiles while the tag is checked out, and git
 * deborig runs beside its start (reconstruct/build.ts startsEarly); verify
 * runs the content check and the build at once (pipeline/verify.ts
 * smallUpload). Above it, memory counts more than the milliseconds.
 */
export const SMALL_INPUT_BELOW_BYTES = 16 * 1024 ** 2;

/**
 * Unpacks the wrapper's tar of the kept paths into the host work directory,
 * by GNU tar in a sandbox of its own whose only writable place is that
 * directory, reading at most `cap` bytes. `early`: the unpacker starts with
 * the command rather than when the first kept bytes come. Runs whose inputs
 * come to SMALL_INPUT_BELOW_BYTES or more start it late: such a run takes
 * seconds to minutes (a large upload's build), during which the idle
 * unpacker (two bwrap processes and a shell, about 6 MiB resident) would sit
 * beside the command's own memory, and its start (tens of milliseconds)
 * then follows the command instead of overlapping it. Smaller runs, whose
 * wall time that start would lengthen noticeably, start it with the command.
 */
async function copyOutInto(
  spec: SandboxSpec,
  host: string,
  source: Readable,
  cap: number,
  { early }: { early: boolean },
): Promise<CopyOutcome> {
  let total = 0;
  let exceeded = false;
  // Its time limit covers the command's and its own.
  const start = (): SandboxProcess => {
    const p = spawnSandboxed({
      argv: [...UNPACK_ARGV],
      rootfs: spec.rootfs,
      workDir: host,
      bindWorkDir: true,
      timeoutMs: 2 * spec.timeoutMs,
      ...(spec.identity ? { identity: spec.identity } : {}),
    });
    p.stdout.resume();
    p.stdin.on('error', () => undefined);
    return p;
  };
  // Started early, its start-up (bwrap, the cgroups) overlaps the command's
  // run instead of following it; tar waits on its input, which comes only
  // once the command has ended.
  const started = early ? start() : undefined;
  const first = await firstChunk(source);
  if (!first) {
    // Nothing to keep (or the command was killed before): tar has nothing to unpack.
    started?.kill();
    await started?.result.catch(() => undefined);
    return { exceeded: false };
  }
  const proc = started ?? start();
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      total += chunk.length;
      if (total > cap) {
        exceeded = true;
        proc.kill();
        source.destroy();
        done();
        return;
      }
      done(null, chunk);
    },
  });
  counter.pipe(proc.stdin);
  counter.write(first);
  source.pipe(counter);
  const r = await proc.result.catch((e: unknown) => e as Error);
  source.destroy();
  if (r instanceof Error) return { exceeded, error: r.message };
  if (r.exitCode !== 0)
    return {
      exceeded,
      error: `tar exited with ${r.exitCode ?? r.signal}: ${r.stderr.toString('utf8').trim().split('\n').slice(-3).join(' / ')}`,
    };
  return { exceeded };
}

/**
 * The stream's first chunk, the stream then paused with the rest unread;
 * undefined when it ended (or failed) first. Paused in the listener itself:
 * a stream with chunks already buffered emits them one after another in one
 * go, and any after the first would otherwise reach no listener.
 */
export function firstChunk(source: Readable): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    source.once('data', (c: Buffer) => {
      source.pause();
      resolve(c);
    });
    // Left attached: a later failure of the source is the reader's to see, never an unhandled 'error'.
    source.once('end', () => resolve(undefined));
    source.once('close', () => resolve(undefined));
    source.once('error', () => resolve(undefined));
  });
}

function ended(stream: Readable | null | undefined): Promise<void> {
  if (!stream || stream.destroyed || stream.readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    stream.on('close', resolve);
    stream.on('end', resolve);
    stream.on('error', () => resolve());
  });
}

let niceFound: boolean | undefined;
/** nice (coreutils) sets a sandbox's niceness; without it the sandbox runs at ours. */
function hasNice(): boolean {
  niceFound ??= existsSync(NICE);
  return niceFound;
}

let prlimitFound: boolean | undefined;
/** prlimit (util-linux) sets the fallback rlimits; without it they are reported unavailable. */
function hasPrlimit(): boolean {
  prlimitFound ??= existsSync(PRLIMIT);
  return prlimitFound;
}

/** Processes whose /proc entry belongs to `uid` (the owner of /proc/PID is the process's uid). */
function processesOf(uid: number): number {
  let n = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (statSync(`/proc/${name}`).uid === uid) n++;
    } catch {
      // exited meanwhile
    }
  }
  return n;
}
