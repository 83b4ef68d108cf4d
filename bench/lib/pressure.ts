// Where a bench's processes waited: the kernel's pressure stall information
// (PSI, Documentation/accounting/psi.rst) of a cgroup v2 group of the bench's
// own, which this process joins so that everything it starts later is
// counted there (sandboxes included: they move into memory and pids groups of
// the v1 hierarchies, not of this one). `some` is the time during which at
// least one of the group's runnable processes waited for a CPU (cpu) or one
// of its processes waited on I/O (io); `full`, the time all of them did.
// Joined only where the v2 hierarchy does not hold the memory and pids
// controllers (a hybrid layout, those in v1): on a v2-only system moving the
// bench would move its memory and pids accounting too, and with it where the
// sandboxes make their own groups (src/sandbox/cgroups.ts), which is part of
// what is measured.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { joinOwnCgroup } from './join-cgroup.js';

export interface Stalls {
  /** Microseconds, since the group was made. */
  readonly cpuSome: number;
  readonly cpuFull: number;
  readonly ioSome: number;
  readonly ioFull: number;
}

/** The cgroup v2 directory this process is in, from /proc/self/cgroup and /proc/self/mountinfo; undefined without one. */
function ownV2Dir(): string | undefined {
  const path = /^0::(\/.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
  const mount = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .find((f) => f[f.indexOf('-') + 1] === 'cgroup2');
  if (path === undefined || mount === undefined) return undefined;
  // The mount's root within the hierarchy (field 4) is a prefix of our path.
  const root = mount[3]!;
  if (!path.startsWith(root)) return undefined;
  return join(mount[4]!, path.slice(root.length));
}

/**
 * Joins a new group named `name` under this process's own v2 group; the
 * reader of its stall totals, or undefined where none can be joined (no v2
 * hierarchy, not writable, or the sandbox's controllers in it). The process goes
 * back to its group, and the new one is removed, as it exits.
 */
export function joinPressureGroup(name: string): (() => Stalls) | undefined {
  let parent: string | undefined;
  try {
    parent = ownV2Dir();
    if (parent === undefined) return undefined;
    const controllers = readFileSync(join(parent, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
    if (controllers.includes('memory') || controllers.includes('pids')) return undefined;
  } catch {
    return undefined;
  }
  const dir = joinOwnCgroup(parent, name);
  if (dir === undefined) return undefined;
  const totals = (file: string): [number, number] => {
    // Lines "some avg10=… total=N" and "full avg10=… total=N".
    const lines = readFileSync(join(dir, file), 'utf8').split('\n');
    const total = (kind: string): number => Number(lines.find((l) => l.startsWith(`${kind} `))?.split('total=')[1] ?? 0);
    return [total('some'), total('full')];
  };
  return () => {
    const [cpuSome, cpuFull] = totals('cpu.pressure');
    const [ioSome, ioFull] = totals('io.pressure');
    return { cpuSome, cpuFull, ioSome, ioFull };
  };
}
