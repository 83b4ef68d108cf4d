// Per-run control groups for the memory and process caps. Hosts differ: no
// systemd to delegate a subtree; cgroup v1 with a memory controller (our
// process sits in a sub-cgroup of it); cgroup v2 with or without the memory
// controller enabled for our subtree; or nothing writable. We create a child
// of our own cgroup in whichever hierarchy holds each controller, and report
// which one applied; the launcher falls back to rlimits where none does.
import { readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type CgroupVersion = 'cgroup-v1' | 'cgroup-v2';
type Controller = 'memory' | 'pids';

interface Hierarchy {
  readonly version: CgroupVersion;
  /** Our own cgroup's directory in this hierarchy: children are created here. */
  readonly dir: string;
}

interface Layout {
  memory?: Hierarchy;
  pids?: Hierarchy;
}

/** Where a controller lives for this process, from /proc/self/cgroup and /proc/self/mountinfo. */
function detect(): Layout {
  const layout: Layout = {};
  let mountinfo: string;
  let membership: string;
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
    membership = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return layout;
  }
  // mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - FSTYPE SOURCE SUPEROPTS"
  const mounts = mountinfo.split('\n').flatMap((line) => {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) return [];
    const f = pre.split(' ');
    const [fstype, , superopts] = post.split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') return [];
    return [{ root: unescapeMount(f[3] ?? '/'), point: unescapeMount(f[4] ?? ''), fstype, opts: (superopts ?? '').split(',') }];
  });
  for (const line of membership.split('\n')) {
    // "4:memory:/path" (v1) or "0::/path" (v2)
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const controllers = m[2] ?? '';
    const path = m[3] ?? '/';
    if (controllers === '' && m[1] === '0') {
      const mount = mounts.find((x) => x.fstype === 'cgroup2');
      if (!mount) continue;
      const dir = within(mount.point, mount.root, path);
      if (!dir) continue;
      const enabled = read(join(dir, 'cgroup.subtree_control'))?.split(/\s+/) ?? [];
      for (const c of ['memory', 'pids'] as const) {
        if (enabled.includes(c) && !layout[c]) layout[c] = { version: 'cgroup-v2', dir };
      }
      continue;
    }
    for (const c of controllers.split(',')) {
      if (c !== 'memory' && c !== 'pids') continue;
      const mount = mounts.find((x) => x.fstype === 'cgroup' && x.opts.includes(c));
      const dir = mount && within(mount.point, mount.root, path);
      if (dir) layout[c] = { version: 'cgroup-v1', dir };
    }
  }
  return layout;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The directory of cgroup `path` under a mount of hierarchy root `root`, or undefined if outside it. */
function within(point: string, root: string, path: string): string | undefined {
  if (root === '/') return join(point, path);
  if (path === root || path.startsWith(`${root}/`)) return join(point, path.slice(root.length));
  return undefined;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export type CgroupPolicy = 'auto' | 'off';

let cached: Layout | undefined;
/** Controllers found unusable (mkdir refused): not tried again in this process. */
const broken = new Set<Controller>();
let sequence = 0;
let swept = false;

/** T2U_SANDBOX_CGROUPS=off disables cgroups (the rlimit fallback then applies); read per run. */
function policy(): CgroupPolicy {
  return process.env.T2U_SANDBOX_CGROUPS === 'off' ? 'off' : 'auto';
}

export interface CgroupLimits {
  memoryBytes?: number;
  maxProcesses?: number;
}

/** The cgroups of one sandbox run. */
export class RunCgroups {
  private constructor(
    readonly memory: { version: CgroupVersion; dir: string } | undefined,
    readonly pids: { version: CgroupVersion; dir: string } | undefined,
  ) {}

  /**
   * Creates the run's cgroups with their limits. A controller that cannot be
   * used (no hierarchy, or not writable: we are not root, or no delegation) is
   * left out, and the caller falls back to rlimits for it. Off the event loop:
   * the kernel's cgroup creation takes a millisecond or more per directory,
   * and a verification starts a dozen sandboxes.
   */
  static async create(limits: CgroupLimits): Promise<RunCgroups> {
    if (policy() === 'off') return new RunCgroups(undefined, undefined);
    cached ??= detect();
    if (!swept) {
      swept = true;
      sweepStale(cached);
    }
    const name = `t2u-sandbox-${process.pid}-${++sequence}`;
    const layout = cached;
    const [memory, pids] = await Promise.all([
      limits.memoryBytes !== undefined ? make(layout, 'memory', name, (dir, v) => setMemory(dir, v, limits.memoryBytes!)) : undefined,
      limits.maxProcesses !== undefined
        ? make(layout, 'pids', name, (dir) => writeFile(join(dir, 'pids.max'), String(limits.maxProcesses)))
        : undefined,
    ]);
    return new RunCgroups(memory, pids);
  }

  get empty(): boolean {
    return !this.memory && !this.pids;
  }

  /**
   * Moves processes (by host pid) into the run's cgroups; their later
   * children follow. Off the event loop: the kernel makes the first move
   * after a pause wait for an RCU grace period (cgroup_threadgroup_rwsem;
   * measured 6 to 16 ms per run here, under 0.1 ms for the moves that
   * follow at once), which a synchronous write would block every other
   * sandbox's I/O for.
   */
  async attach(pids: readonly number[]): Promise<void> {
    for (const g of [this.memory, this.pids]) {
      if (!g) continue;
      // cgroup.procs takes one pid per write(2).
      for (const pid of pids) await writeFile(join(g.dir, 'cgroup.procs'), String(pid));
    }
  }

  /** SIGKILLs every process in the run's cgroups (v2: cgroup.kill, one atomic write). */
  killAll(): void {
    for (const g of [this.memory, this.pids]) {
      if (!g) continue;
      if (g.version === 'cgroup-v2') {
        try {
          writeFileSync(join(g.dir, 'cgroup.kill'), '1');
          continue;
        } catch {
          // cgroup.kill is Linux ≥ 5.14; fall through to killing pid by pid.
        }
      }
      for (const pid of procs(g.dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }

  /** Pids still in the run's cgroups. */
  members(): number[] {
    return [...new Set([this.memory, this.pids].flatMap((g) => (g ? procs(g.dir) : [])))];
  }

  /** Whether the kernel's OOM killer acted in the memory cgroup. */
  oomKilled(): boolean {
    if (!this.memory) return false;
    const file = this.memory.version === 'cgroup-v2' ? 'memory.events' : 'memory.oom_control';
    const m = /^oom_kill (\d+)$/m.exec(read(join(this.memory.dir, file)) ?? '');
    if (m) return Number(m[1]) > 0;
    // Kernels before 4.13 have no oom_kill counter in v1: a hit limit is the best evidence.
    return Number(read(join(this.memory.dir, 'memory.failcnt')) ?? 0) > 0;
  }

  /** Removes the run's cgroups once empty; retries briefly while the killed processes are reaped. */
  async remove(): Promise<void> {
    for (const g of [this.memory, this.pids]) {
      if (!g) continue;
      for (let attempt = 0; ; attempt++) {
        try {
          await rmdir(g.dir);
          break;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') break;
          if (attempt >= 50) break; // leave it: sweepStale removes it in a later process
          if (attempt >= 5) this.killAll();
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    }
  }
}

function procs(dir: string): number[] {
  return (read(join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean).map(Number);
}

async function make(
  layout: Layout,
  c: Controller,
  name: string,
  configure: (dir: string, v: CgroupVersion) => Promise<void>,
): Promise<{ version: CgroupVersion; dir: string } | undefined> {
  const h = layout[c];
  if (!h || broken.has(c)) return undefined;
  const dir = join(h.dir, name);
  try {
    await mkdir(dir);
  } catch {
    broken.add(c);
    return undefined;
  }
  try {
    await configure(dir, h.version);
  } catch {
    broken.add(c);
    try {
      await rmdir(dir);
    } catch {
      // nothing was attached; nothing to keep
    }
    return undefined;
  }
  return { version: h.version, dir };
}

async function setMemory(dir: string, v: CgroupVersion, bytes: number): Promise<void> {
  if (v === 'cgroup-v2') {
    await writeFile(join(dir, 'memory.max'), String(bytes));
    // No swapping around the limit; the file exists only with swap accounting.
    try {
      await writeFile(join(dir, 'memory.swap.max'), '0');
    } catch {
      // no swap accounting
    }
    return;
  }
  await writeFile(join(dir, 'memory.limit_in_bytes'), String(bytes));
  // memsw (memory+swap) must be ≥ the memory limit, so it is written second.
  try {
    await writeFile(join(dir, 'memory.memsw.limit_in_bytes'), String(bytes));
  } catch {
    // no swap accounting
  }
}

/** Removes empty run cgroups left by processes that died before cleaning up. */
function sweepStale(layout: Layout): void {
  for (const h of [layout.memory, layout.pids]) {
    if (!h) continue;
    let names: string[];
    try {
      names = readdirSync(h.dir);
    } catch {
      continue;
    }
    for (const n of names) {
      const m = /^t2u-sandbox-(\d+)-\d+$/.exec(n);
      if (!m || alive(Number(m[1]))) continue;
      try {
        rmdirSync(join(h.dir, n));
      } catch {
        // still has processes or not ours to remove
      }
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
