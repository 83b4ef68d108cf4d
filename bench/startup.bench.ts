// Start-up of the CLI as users run it (`node bin/t2u-verify.js`, the compiled
// code) against `node -e 0` on the same machine in the same run: --version,
// --help and `verify --help`, each run interleaved with the baseline so that
// a change in the machine's load touches both alike; medians of ROUNDS runs
// of each, their ratio to the baseline's median, and the load average before
// and after. The goal is ≤ 1.5× for --version and --help: a command module
// registers its options and help from light modules and imports its action
// only when it runs (test/cli/startup-loads.test.ts checks what is loaded).
// Needs `npx tsc -p tsconfig.build.json` first. Run: npx tsx bench/startup.bench.ts [ROUNDS]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/t2u-verify.js', import.meta.url));
const rounds = Number(process.argv[2] ?? 9);

if (!existsSync(fileURLToPath(new URL('../dist/cli/main.js', import.meta.url)))) {
  process.stderr.write('startup.bench: build first (npx tsc -p tsconfig.build.json)\n');
  process.exit(2);
}

const cases: ReadonlyArray<{ name: string; args: string[] }> = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 't2u-verify --version', args: [BIN, '--version'] },
  { name: 't2u-verify --help', args: [BIN, '--help'] },
  { name: 't2u-verify verify --help', args: [BIN, 'verify', '--help'] },
];

/** Wall time of one run of node with `args`, in ms; a failed run stops the bench. */
function time(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return ms;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const loadBefore = loadavg();
for (const c of cases) time(c.args); // warm the file cache
const samples = cases.map(() => [] as number[]);
for (let i = 0; i < rounds; i++) {
  // Interleaved, in a rotating order: no case always runs right after another.
  for (let k = 0; k < cases.length; k++) {
    const j = (i + k) % cases.length;
    samples[j]!.push(time(cases[j]!.args));
  }
}
const loadAfter = loadavg();

const base = median(samples[0]!);
const fmt = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
process.stdout.write(
  `start-up, medians of ${rounds} interleaved runs (node ${process.version}); load average ${fmt(loadBefore)} before, ${fmt(loadAfter)} after\n`,
);
for (const [k, c] of cases.entries()) {
  const m = median(samples[k]!);
  process.stdout.write(
    `  ${c.name.padEnd(26)} ${m.toFixed(0).padStart(6)} ms  ${k === 0 ? 'baseline' : `${(m / base).toFixed(2)}×`}  (min ${Math.min(...samples[k]!).toFixed(0)}, max ${Math.max(...samples[k]!).toFixed(0)})\n`,
  );
}
