// Processes this test process started, directly or not, found by their
// command line in /proc: what a test counts to see which sandboxed
// processes are alive at a given moment.
import { readdirSync, readFileSync } from 'node:fs';

/** Whether `pid` descends from this process (its parent links in /proc). */
function ours(pid: number): boolean {
  for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
    if (p === process.pid) return true;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'latin1');
      p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return false;
    }
  }
  return false;
}

/** How many of this process's descendants have `text` in their command line (arguments joined by spaces). */
export function descendantsRunning(text: string): number {
  let n = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').replaceAll('\0', ' ').includes(text) && ours(Number(name))) n++;
    } catch {
      // exited meanwhile
    }
  }
  return n;
}
