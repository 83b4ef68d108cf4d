// Backfill throughput: real `t2u-verify verify` jobs (the compiled CLI, each
// job in a process of its own as the worker pool runs them, the upload
// fixtures made by Debian's own tooling, their repositories served by a
// loopback smart-HTTP git server) run one at a time and then W at a time;
// jobs per minute of each and their ratio (goal: W workers on W cores ≥
// 0.85·W× one), with the machine's load average and its busy CPU share
// (/proc/stat) during each, so that a shortfall can be told from a machine
// that had no idle core to give.
//
// Then a projection for the tag2upload uploads in a Sources index (the
// stanzas with a Git-Tag-Info field), bucketed by the size of their source
// package (the sum of the Files sizes): each bucket's per-job time is the
// median measured here for a case of that bucket's size, never interpolated;
// a bucket with no measured case is printed as not measured and left out
// of the total.
// Needs `npx tsc -p tsconfig.build.json` first.
// Usage: npx tsx bench/backfill.bench.ts [--jobs N] [--workers W] [--cases gbp,native]
//          [--sources FILE|URL of Sources.gz] [--buckets 1048576,10485760]
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { VerifyReport } from '../src/report/report.js';
import { startGitHttpServer } from '../test/helpers/git-http-server.js';
import { REPO_ROOT, SERVICE_KEYRING, bundleOf, dscOf, uploadCase, type UploadCase } from '../test/reconstruct/upload-fixtures.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const JOBS = Number(arg('--jobs')) || 4;
const WORKERS = Number(arg('--workers')) || 2;
const CASES = (arg('--cases') ?? 'gbp,native').split(',');
const SOURCES = arg('--sources') ?? 'http://deb.debian.org/debian/dists/sid/main/source/Sources.gz';
const BUCKETS = (arg('--buckets') ?? `${1 << 20},${10 << 20}`).split(',').map(Number);

const KEYS = join(REPO_ROOT, 'fixtures', 'keys', 'keyrings');
const BIN = join(REPO_ROOT, 'bin', 't2u-verify.js');
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Busy and total jiffies of the whole machine. */
function cpuTicks(): [number, number] {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3]! + f[4]!;
  const total = f.reduce((a, b) => a + b, 0);
  return [total - idle, total];
}

const scratch = mkdtempSync(join(tmpdir(), 't2u-bench-backfill-'));
// The sandbox user (when run as root) reads the origin repositories.
chmodSync(scratch, 0o755);
const repos = join(scratch, 'repos');
mkdirSync(repos);
const cases = CASES.map((c) => uploadCase(c));
for (const u of cases) execFileSync('git', ['clone', '-q', '--mirror', bundleOf(u), join(repos, `${u.case}.git`)]);
const server = await startGitHttpServer({ root: repos });

/** The size of an upload as a Sources index counts it: the .dsc and every file it names. */
const uploadSize = (u: UploadCase): number =>
  [u.dsc, ...u.dscFiles.map((f) => f.name)].reduce((sum, name) => sum + statSync(join(REPO_ROOT, u.dir, name)).size, 0);

/** One job: the CLI in a process of its own; its wall time. */
function job(u: UploadCase): Promise<number> {
  const t0 = performance.now();
  const argv = [
    BIN,
    'verify',
    '--repo',
    `${server.url}/${u.case}.git`,
    '--tag',
    u.tag,
    '--upload',
    dscOf(u),
    '--allow-http',
    '--keyring',
    join(KEYS, 'uploaders.gpg'),
    '--dm-txt',
    join(KEYS, 'dm.txt'),
    '--upload-keyring',
    SERVICE_KEYRING,
    '--timeout',
    '600',
    '--json',
    '--no-progress',
  ];
  return new Promise((resolve, reject) =>
    execFile(process.execPath, argv, { cwd: scratch, maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const wall = performance.now() - t0;
      let r: VerifyReport;
      try {
        r = JSON.parse(stdout) as VerifyReport;
      } catch {
        reject(new Error(`${u.case}: no report (${err?.message ?? ''}): ${stderr}`));
        return;
      }
      if (r.verdict !== 'reproduced' && r.verdict !== 'equivalent') reject(new Error(`${u.case}: ${r.verdict}`));
      else resolve(wall);
    }),
  );
}

/** JOBS jobs of each case, `width` at a time: jobs per minute, each job's wall, the machine's busy share. */
async function pool(width: number): Promise<{ perMin: number; walls: Map<string, number[]>; busy: number; load: string }> {
  const queue = cases.flatMap((u) => Array.from({ length: JOBS }, () => u));
  const walls = new Map<string, number[]>(cases.map((u) => [u.case, []]));
  const [b0, t0] = cpuTicks();
  const began = performance.now();
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let u = queue.shift(); u !== undefined; u = queue.shift()) walls.get(u.case)!.push(await job(u));
    }),
  );
  const elapsed = performance.now() - began;
  const [b1, t1] = cpuTicks();
  return { perMin: (cases.length * JOBS * 60_000) / elapsed, walls, busy: (b1 - b0) / (t1 - t0), load: load() };
}

console.log(`backfill: ${JOBS} jobs of each of ${CASES.join(', ')}, 1 then ${WORKERS} at a time; load average at start ${load()}`);
await job(cases[0]!); // warm-up: page cache, the rootfs
const one = await pool(1);
const many = await pool(WORKERS);
const fmt = (r: typeof one): string =>
  `${r.perMin.toFixed(2)} jobs/min; median job ${[...r.walls].map(([c, w]) => `${c} ${(median(w) / 1000).toFixed(1)} s`).join(', ')}; machine busy ${(100 * r.busy).toFixed(0)}% [load ${r.load}]`;
console.log(`  1 worker:  ${fmt(one)}`);
console.log(`  ${WORKERS} workers: ${fmt(many)}`);
const ratio = many.perMin / one.perMin;
console.log(`  ratio ${ratio.toFixed(2)}× (goal ≥ ${(0.85 * WORKERS).toFixed(2)}×: ${ratio >= 0.85 * WORKERS ? 'met' : 'NOT met'})`);

// The projection.
const raw = /^https?:/.test(SOURCES) ? Buffer.from(await (await fetch(SOURCES)).arrayBuffer()) : readFileSync(SOURCES);
const text = (SOURCES.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
const sizes: number[] = [];
for (const stanza of text.split(/\n\n+/)) {
  if (!/^Git-Tag-Info:/m.test(stanza)) continue;
  const files = /^Files:\n((?:[ \t].*\n?)*)/m.exec(stanza);
  sizes.push((files?.[1] ?? '').split('\n').reduce((sum, line) => sum + (Number(line.trim().split(/\s+/)[1]) || 0), 0));
}
const edges = [0, ...BUCKETS, Infinity];
const label = (n: number): string => (n === Infinity ? '∞' : n >= 1 << 20 ? `${n / (1 << 20)} MiB` : `${n} B`);
console.log(
  `\nprojection: ${sizes.length} tag2upload uploads in ${SOURCES} on ${WORKERS} workers (the measured ${WORKERS}-worker rate, ${ratio.toFixed(2)}× one)`,
);
let totalS = 0;
let unmeasured = 0;
for (let b = 0; b + 1 < edges.length; b++) {
  const [lo, hi] = [edges[b]!, edges[b + 1]!];
  const n = sizes.filter((s) => s >= lo && s < hi).length;
  const measured = cases.filter((u) => uploadSize(u) >= lo && uploadSize(u) < hi);
  const times = measured.flatMap((u) => one.walls.get(u.case)!);
  if (times.length === 0) {
    unmeasured += n;
    console.log(`  ${label(lo)}–${label(hi)}: ${n} uploads; per-job time NOT measured (no case of this size)`);
    continue;
  }
  const perJob = median(times) / 1000;
  const s = (n * perJob) / ratio;
  totalS += s;
  console.log(
    `  ${label(lo)}–${label(hi)}: ${n} uploads × ${perJob.toFixed(1)} s (median of ${measured.map((u) => `${u.case} ${uploadSize(u)} B`).join(', ')}) / ${ratio.toFixed(2)} = ${(s / 3600).toFixed(1)} h`,
  );
}
console.log(
  `  total ${(totalS / 3600).toFixed(1)} h for the measured buckets${unmeasured > 0 ? `; ${unmeasured} uploads in buckets not measured are not in it` : ''}`,
);
await server.close();
rmSync(scratch, { recursive: true, force: true });
