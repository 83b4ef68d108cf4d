// The benches' CPU confinement (bench/lib/cpu-pinning.ts): a process tree
// confined to one CPU stays confined through bwrap, the check reads it from
// each process, and a process that widens its own affinity is reported as
// escaped, not assumed away.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { allowedCpus, parseCpuList, pinTree, processTree, samplePinning } from '../../bench/lib/cpu-pinning.js';
import { waitFor } from '../server/service-helpers.js';

const cpus = allowedCpus();

describe('CPU pinning of a bench', () => {
  it('reads a CPU list as the kernel writes it', () => {
    expect(parseCpuList('0-2,5,7-8')).toEqual([0, 1, 2, 5, 7, 8]);
    expect(parseCpuList('3')).toEqual([3]);
  });

  it.skipIf(cpus.length < 2)('holds through bwrap, and a process that widens its affinity is reported', async () => {
    const one = [cpus[0]!];
    // Waits for a line, then widens its own affinity to every CPU and says so.
    const child = spawn(
      'bwrap',
      [
        '--die-with-parent',
        '--dev-bind',
        '/',
        '/',
        'sh',
        '-c',
        `read x; taskset -cp ${cpus.join(',')} $$ >/dev/null; echo widened; exec sleep 30`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      await once(child, 'spawn');
      // Pinned once the tree is quiet (the shell waiting for its line), as the bench pins between runs.
      await waitFor(
        () => (processTree(child.pid!).some((p) => p.sandboxed && p.comm === 'sh') ? true : undefined),
        'the shell under bwrap',
      );
      pinTree(one, child.pid);
      const check = samplePinning(one, 20, child.pid);
      const before = samplePinning(one, 1_000, child.pid).stop();
      expect(before.escaped).toEqual([]);
      expect(before.sandboxed).toBeGreaterThan(0);

      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stdin.write('go\n');
      await waitFor(() => (out.includes('widened') ? true : undefined), 'the shell widened its affinity');
      const after = check.stop();
      expect(after.escaped.length).toBeGreaterThan(0);
      expect(after.escaped[0]).toMatch(/^(sh|sleep)\(\d+\): /);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
