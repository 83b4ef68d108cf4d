// Confining a bench and everything it starts to some of the machine's CPUs,
// and checking that the confinement held. The mechanism is the scheduler's
// CPU affinity (sched_setaffinity(2), set with util-linux's `taskset -a -p`
// on every thread of every process of the tree): a process inherits its
// parent's affinity at fork and keeps it across execve, so the job processes'
// later children, bwrap and the sandboxed commands start confined too. What
// could undo it is a move into a cgroup of the cpuset controller (the kernel
// then narrows or resets the affinity to the cpuset's CPUs); the sandbox
// moves its processes into memory and pids cgroups only, and the sampler
// below reads each process's Cpus_allowed_list while the jobs run, so that a
// process that escaped is counted rather than assumed away.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** The CPUs this process may run on now, from its Cpus_allowed_list (a list like 0-1,3). */
export function allowedCpus(pid: number | 'self' = 'self'): number[] {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^Cpus_allowed_list:\s*(\S+)$/m.exec(status);
  if (!m) throw new Error(`/proc/${pid}/status has no Cpus_allowed_list`);
  return parseCpuList(m[1]!);
}

export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.split(',')) {
    const [lo, hi] = part.split('-').map(Number);
    for (let c = lo!; c <= (hi ?? lo!); c++) cpus.push(c);
  }
  return cpus;
}

/** Each live process's parent and command name, from /proc/PID/stat. */
function processTable(): Map<number, { ppid: number; comm: string }> {
  const table = new Map<number, { ppid: number; comm: string }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      table.set(Number(name), {
        ppid: Number(stat.slice(close + 2).split(' ')[1]),
        comm: stat.slice(stat.indexOf('(') + 1, close),
      });
    } catch {
      // gone
    }
  }
  return table;
}

/** `root` and every live process descended from it, each with whether it runs under a bwrap (a sandboxed process). */
export function processTree(root: number): { pid: number; comm: string; sandboxed: boolean }[] {
  const table = processTable();
  const children = new Map<number, number[]>();
  for (const [pid, p] of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  const out: { pid: number; comm: string; sandboxed: boolean }[] = [];
  const walk = (pid: number, sandboxed: boolean): void => {
    const comm = table.get(pid)?.comm ?? '?';
    out.push({ pid, comm, sandboxed });
    for (const c of children.get(pid) ?? []) walk(c, sandboxed || comm === 'bwrap');
  };
  walk(root, false);
  return out;
}

/**
 * Confines `root` (default this process) and every process descended from it,
 * each of its threads, to `cpus`; those started later inherit it. A process
 * that ends meanwhile is skipped. A process that forks while the tree is
 * walked may start a child the walk does not see, with the old affinity:
 * pin a quiet tree (the backfill bench pins between runs, its job processes
 * idle), and let samplePinning say whether it held.
 */
export function pinTree(cpus: readonly number[], root: number = process.pid): void {
  for (const { pid } of processTree(root)) {
    try {
      execFileSync('taskset', ['-a', '-c', '-p', cpus.join(','), String(pid)], { stdio: 'ignore' });
    } catch {
      // ended between the listing and taskset
    }
  }
}

/** What the sampler saw: processes (distinct pids) of the tree, those under a bwrap, and those allowed on other CPUs. */
export interface PinningCheck {
  readonly samples: number;
  readonly processes: number;
  readonly sandboxed: number;
  /** Processes seen allowed on a CPU outside the set, as `comm(pid): list`. */
  readonly escaped: readonly string[];
  /** CPU milliseconds the sampling itself took (it reads every process's /proc/PID/stat: a few ms a sample). */
  readonly cpuMs: number;
}

/**
 * Reads the Cpus_allowed_list of every process of the tree under `root`
 * every `everyMs` until stopped (each sample costs this process a few ms of CPU, on the CPUs measured): whether the confinement to `cpus` held for
 * the sandboxes' processes too.
 */
export function samplePinning(cpus: readonly number[], everyMs = 1000, root: number = process.pid): { stop(): PinningCheck } {
  const want = new Set(cpus);
  const seen = new Set<number>();
  const sandboxed = new Set<number>();
  const escaped = new Map<number, string>();
  let samples = 0;
  let cpuUs = 0;
  const sample = (): void => {
    samples++;
    const c0 = process.cpuUsage();
    for (const p of processTree(root)) {
      let allowed: number[];
      try {
        allowed = allowedCpus(p.pid);
      } catch {
        continue;
      }
      seen.add(p.pid);
      if (p.sandboxed) sandboxed.add(p.pid);
      if (allowed.some((c) => !want.has(c))) escaped.set(p.pid, `${p.comm}(${p.pid}): ${allowed.join(',')}`);
    }
    const c = process.cpuUsage(c0);
    cpuUs += c.user + c.system;
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { samples, processes: seen.size, sandboxed: sandboxed.size, escaped: [...escaped.values()], cpuMs: cpuUs / 1000 };
    },
  };
}
