// A benchmark's own cgroup: made under `parent`, joined by this process so
// that everything it starts later is counted there, and left (this process
// back in `parent`, the group removed) as it exits, an interrupted run too.

import { mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The group's directory, or undefined where it cannot be made or joined (not root, no such hierarchy). */
export function joinOwnCgroup(parent: string, name: string): string | undefined {
  const dir = join(parent, name);
  const leave = (): void => {
    try {
      writeFileSync(join(parent, 'cgroup.procs'), String(process.pid));
      rmdirSync(dir);
    } catch {
      // a process of a job still in it: the group stays, empty once it ends
    }
  };
  try {
    mkdirSync(dir);
    writeFileSync(join(dir, 'cgroup.procs'), String(process.pid));
  } catch {
    leave();
    return undefined;
  }
  process.on('exit', leave);
  // An interrupted run exits through process.exit, which runs the 'exit' handlers.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    if (process.listenerCount(signal) === 0) process.once(signal, () => process.exit(130));
  return dir;
}
