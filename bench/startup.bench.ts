// Start-up of the CLI as users run it (`node bin/t2u-verify.js`, which runs
// the bundle, dist/bundle/main.js) against `node -e 0` on the same machine in
// the same run: --version, --help, `verify --help`, and `verify` as far as its
// action's first step (a --config that does not exist: exit 2 once the
// verification's modules are loaded); and --version and the last two again from the compiled
// tree the bundle is made from (dist/cli/main.js, as bin/t2u-verify.js ran it
// before there was a bundle), so the bundle's gain is measured in the same run.
// Each run is interleaved with the others so that a change in the machine's
// load touches all alike; medians of ROUNDS runs of each, their ratio to the
// baseline's median, and the load average before and after. The goal is
// ≤ 1.5× for --version and --help: a command module registers its options and
// help from light modules and imports its action only when it runs
// (test/cli/startup-loads.test.ts checks what is loaded).
// Needs `npm run build` first. Run: npx tsx bench/startup.bench.ts [ROUNDS]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { COMPILED_MAIN, compiledCli } from './lib/compiled-cli.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/t2u-verify.js', import.meta.url));
const rounds = Number(process.argv[2] ?? 9);

if (!existsSync(fileURLToPath(new URL('../dist/bundle/main.js', import.meta.url))) || !existsSync(COMPILED_MAIN)) {
  process.stderr.write('startup.bench: build first (npm run build)\n');
  process.exit(2);
}
const scratch = mkdtempSync(join(tmpdir(), 't2u-startup-'));
const UNBUNDLED = compiledCli(scratch);
const missing = join(scratch, 'no-such-config.json');
const verifyArgs = ['verify', 'hello', '2.10-5', '--config', missing];

const cases: ReadonlyArray<{ name: string; args: string[]; status?: number }> = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 't2u-verify --version', args: [BIN, '--version'] },
  { name: 't2u-verify --help', args: [BIN, '--help'] },
  { name: 't2u-verify verify --help', args: [BIN, 'verify', '--help'] },
  { name: 't2u-verify verify (to its action)', args: [BIN, ...verifyArgs], status: 2 },
  { name: '  dist/cli: --version', args: [UNBUNDLED, '--version'] },
  { name: '  dist/cli: verify --help', args: [UNBUNDLED, 'verify', '--help'] },
  { name: '  dist/cli: verify (to its action)', args: [UNBUNDLED, ...verifyArgs], status: 2 },
];

/** Wall time of one run of node with `args`, in ms; a run that ends otherwise than `status` stops the bench. */
function time(args: string[], status = 0): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== status) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return ms;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const loadBefore = loadavg();
for (const c of cases) time(c.args, c.status); // warm the file cache
const samples = cases.map(() => [] as number[]);
for (let i = 0; i < rounds; i++) {
  // Interleaved, in a rotating order: no case always runs right after another.
  for (let k = 0; k < cases.length; k++) {
    const j = (i + k) % cases.length;
    samples[j]!.push(time(cases[j]!.args, cases[j]!.status));
  }
}
const loadAfter = loadavg();
rmSync(scratch, { recursive: true, force: true });

const base = median(samples[0]!);
const fmt = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
process.stdout.write(
  `start-up, medians of ${rounds} interleaved runs (node ${process.version}); load average ${fmt(loadBefore)} before, ${fmt(loadAfter)} after\n`,
);
for (const [k, c] of cases.entries()) {
  const m = median(samples[k]!);
  process.stdout.write(
    `  ${c.name.padEnd(36)} ${m.toFixed(0).padStart(6)} ms  ${k === 0 ? 'baseline' : `${(m / base).toFixed(2)}×`}  (min ${Math.min(...samples[k]!).toFixed(0)}, max ${Math.max(...samples[k]!).toFixed(0)})\n`,
  );
}
