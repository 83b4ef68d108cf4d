// Benchmark of the sandbox's set-up costs, each as a ratio to a baseline
// measured in the same run:
// - a size-limited /work (inputs copied in, a result copied out by a second
//   sandbox), as a tmpfs and (as root) as a loop-mounted disk volume, against
//   the work directory bound as it is;
// - a read-only input under a mode-0700 directory, staged for the sandbox
//   uid (as root), against the same input bound directly.
//
//   npx tsx bench/sandbox.bench.ts [RUNS]
//
// The staged input is a clone of this repository (every file of its work
// tree and its .git), the size of a small Debian package's history.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSandboxed, type SandboxSpec } from '../src/sandbox/launcher.js';
import { treeBytes } from '../src/sandbox/work-quota.js';

const runs = Number(process.argv[2] ?? 10);
const host = { kind: 'host' } as const;
const scratch = mkdtempSync(join(tmpdir(), 't2u-sandbox-bench-'));
chmodSync(scratch, 0o755);

async function median(spec: () => SandboxSpec): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = await runSandboxed(spec());
    if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}: ${r.stderr.toString()}`);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function workWith(inputBytes: number): string {
  const d = mkdtempSync(join(scratch, 'work-'));
  chmodSync(d, 0o755);
  writeFileSync(join(d, 'input'), Buffer.alloc(inputBytes, 1));
  return d;
}

try {
  const script = 'mkdir -p out && cp input out/result';
  for (const size of [4096, 16 * 1024 ** 2]) {
    const bind = await median(() => ({
      argv: ['sh', '-c', script],
      rootfs: host,
      workDir: workWith(size),
      bindWorkDir: true,
      timeoutMs: 60_000,
    }));
    const limited = (volume: 'tmpfs' | 'disk'): Promise<number> => {
      process.env.T2U_SANDBOX_WORK_VOLUME = volume;
      return median(() => ({
        argv: ['sh', '-c', script],
        rootfs: host,
        workDir: workWith(size),
        keep: ['out'],
        timeoutMs: 60_000,
      })).finally(() => delete process.env.T2U_SANDBOX_WORK_VOLUME);
    };
    const tmpfs = await limited('tmpfs');
    const disk = process.getuid?.() === 0 ? await limited('disk') : undefined;
    console.log(
      `work dir, ${size} B in and out: bound ${bind.toFixed(1)} ms, tmpfs ${tmpfs.toFixed(1)} ms (ratio ${(tmpfs / bind).toFixed(2)})` +
        (disk === undefined ? '' : `, disk volume ${disk.toFixed(1)} ms (ratio ${(disk / bind).toFixed(2)})`),
    );
  }
  if (process.getuid?.() === 0) {
    const open = join(scratch, 'open');
    const hidden = join(scratch, 'hidden');
    mkdirSync(open);
    mkdirSync(hidden, { mode: 0o700 });
    const repo = fileURLToPath(new URL('..', import.meta.url));
    for (const d of [open, hidden]) execFileSync('git', ['clone', '-q', repo, join(d, 'repo')]);
    chmodSync(hidden, 0o700);
    const files = execFileSync('git', ['-C', join(open, 'repo'), 'ls-files'], { encoding: 'utf8' }).split('\n').length;
    const bytes = await treeBytes(join(open, 'repo'));
    const list = (dir: string) => (): SandboxSpec => ({
      argv: ['sh', '-c', 'git -C /x rev-parse HEAD >/dev/null'],
      rootfs: host,
      readOnly: [{ host: join(dir, 'repo'), inside: '/x' }],
      timeoutMs: 60_000,
    });
    const direct = await median(list(open));
    // The first run makes the staged copy; later runs in the same process reuse it.
    const t = performance.now();
    await runSandboxed(list(hidden)());
    const first = performance.now() - t;
    const staged = await median(list(hidden));
    console.log(
      `read-only input (${files} tracked files, ${(bytes / 1024 ** 2).toFixed(1)} MiB): direct ${direct.toFixed(1)} ms; staged: first run ${first.toFixed(1)} ms (ratio ${(first / direct).toFixed(2)}), later runs ${staged.toFixed(1)} ms (ratio ${(staged / direct).toFixed(2)})`,
    );
  }
  console.log(
    `runs ${runs}, load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
