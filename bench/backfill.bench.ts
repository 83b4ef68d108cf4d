// Backfill throughput: real verification jobs (the upload fixtures made by
// Debian's own tooling, their repositories served by a loopback smart-HTTP
// git server) run one at a time and then W at a time; jobs per minute of
// each and their ratio (goal: W workers on W cores ≥ 0.85·W× one; widths
// above the core count are measured too, without a goal), with the machine's
// load average and its busy CPU share (/proc/stat) during each, so that a
// shortfall can be told from a machine that had no idle core to give.
// --via pool (the default) runs them as the service's worker pool does: in
// its job processes (src/server/queue/job-process.ts), each kept for the
// next job with its modules and keyrings loaded, the upload a .dsc URL on a
// loopback HTTP server; --via cli runs the compiled CLI, a process per job,
// the upload a .dsc path, as a user runs it.
//
// Then a projection for the tag2upload uploads in a Sources index (the
// stanzas with a Git-Tag-Info field), bucketed by the size of their source
// package (the sum of the Files sizes): each bucket's per-job time at W is the
// median wall measured here, W at a time, for a case of that bucket's size,
// divided by W, never interpolated;
// a bucket with no measured case is printed as not measured and left out
// of the total. --large BYTES,... adds uploads of about that size, made by
// Debian's own tools (bench/lib/large-upload.sh: git debpush, dgit's builder
// mode, the orig by git deborig; its content incompressible, so the upload
// is about as large as asked), for the buckets the fixtures do not reach;
// --large-dir keeps them between runs.
// Where a job's time goes is printed per case at 1 and at W workers (the
// report's timings), with the CPU seconds per job of the job's node process
// and of all its processes (sandboxes included, from a cpuacct cgroup of the
// bench's own) and the machine's I/O-wait share.
// Needs `npx tsc -p tsconfig.build.json` first.
// Usage: npx tsx bench/backfill.bench.ts [--via pool|cli] [--jobs N] [--cases gbp,native]
//          [--workers W,...] [--large BYTES,...] [--large-jobs N] [--large-dir DIR]
//          [--sources FILE|URL of Sources.gz] [--buckets 1048576,10485760]
import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { gunzipSync } from 'node:zlib';
import type { VerifyReport } from '../src/report/report.js';
import { isolatedVerifyJob } from '../src/server/queue/job-process.js';
import { testConfig } from '../test/server/service-helpers.js';
import { startGitHttpServer } from '../test/helpers/git-http-server.js';
import { FIXTURE_KEYRINGS } from '../test/helpers/fixture-keyrings.js';
import { fixtureVerifyArgs } from './lib/verify-args.js';
import { REPO_ROOT, SERVICE_KEYRING, bundleOf, dscOf, uploadCase } from '../test/reconstruct/upload-fixtures.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const JOBS = Number(arg('--jobs')) || 4;
/** Widths to compare with one at a time: the machine's cores, and more (a job waits on its sandboxes' start-ups and I/O). */
const WIDTHS = (arg('--workers') ?? '2').split(',').map(Number);
const CORES = availableParallelism();
const CASES = (arg('--cases') ?? 'gbp,native').split(',').filter(Boolean);
const SOURCES = arg('--sources') ?? 'http://deb.debian.org/debian/dists/sid/main/source/Sources.gz';
const BUCKETS = (arg('--buckets') ?? `${1 << 20},${10 << 20}`).split(',').map(Number);
const LARGE = (arg('--large') ?? '').split(',').filter(Boolean).map(Number);
const LARGE_JOBS = Number(arg('--large-jobs')) || 2;
/** `pool`: the service's job processes, kept from job to job (a backfill); `cli`: the CLI, a process per job (as a user runs it). */
const VIA = arg('--via') ?? 'pool';
if (VIA !== 'pool' && VIA !== 'cli') throw new Error(`--via pool|cli, not ${VIA}`);

const BIN = join(REPO_ROOT, 'bin', 't2u-verify.js');
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Busy, I/O-wait and total jiffies of the whole machine. */
function cpuTicks(): [number, number, number] {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3]! + f[4]!;
  const total = f.reduce((a, b) => a + b, 0);
  return [total - idle, f[4]!, total];
}

/** CPU seconds (user + system) of this process's live node children: the pool's job processes, kept from job to job. */
function jobProcessesCpuS(): number {
  let sum = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) !== process.pid || stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'node') continue;
      sum += (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      // gone
    }
  }
  return sum;
}

/** Loaded into each CLI job: its own CPU seconds (not its children's), on stderr as it exits. */
const CPU_HOOK = `data:text/javascript,process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('\\nt2u-bench-cpu '+(u.user+u.system)/1e6+'\\n')})`;

/**
 * CPU seconds (user + system) of everything this process starts, the
 * sandboxes included whichever process reaps them: a cpuacct cgroup (v1)
 * of its own that this process joins before the first job, so that its
 * children and theirs are counted there; undefined where none can be made.
 * It counts the loopback git server's `git http-backend` too (the remote's
 * side of each fetch), and this process itself (subtracted).
 */
const cpuacct = ((): string | undefined => {
  const dir = `/sys/fs/cgroup/cpuacct/t2u-bench-backfill-${process.pid}`;
  const leave = (): void => {
    try {
      writeFileSync(join(dir, '..', 'cgroup.procs'), String(process.pid));
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
  // Back to the parent group as this process ends, so that this one can be removed (an interrupted run too).
  process.on('exit', leave);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  return dir;
})();
function groupCpuS(): number | undefined {
  if (cpuacct === undefined) return undefined;
  const [user, sys] = ['cpuacct.usage_user', 'cpuacct.usage_sys'].map((f) => Number(readFileSync(join(cpuacct, f), 'utf8')));
  const self = process.cpuUsage();
  return (user! + sys!) / 1e9 - (self.user + self.system) / 1e6;
}

const scratch = mkdtempSync(join(tmpdir(), 't2u-bench-backfill-'));
// The sandbox user (when run as root) reads the origin repositories.
chmodSync(scratch, 0o755);
const repos = join(scratch, 'repos');
mkdirSync(repos);
interface Case {
  readonly case: string;
  readonly tag: string;
  /** The upload's .dsc (its files beside it). */
  readonly dsc: string;
  /** The size of the upload as a Sources index counts it: the .dsc and every file it names. */
  readonly size: number;
  /** Jobs of this case in each run. */
  readonly jobs: number;
}
const sizeOf = (dir: string, names: readonly string[]): number => names.reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
const cases: Case[] = CASES.map((c) => {
  const u = uploadCase(c);
  execFileSync('git', ['clone', '-q', '--mirror', bundleOf(u), join(repos, `${u.case}.git`)]);
  return {
    case: u.case,
    tag: u.tag,
    dsc: dscOf(u),
    size: sizeOf(join(REPO_ROOT, u.dir), [u.dsc, ...u.dscFiles.map((f) => f.name)]),
    jobs: JOBS,
  };
});
const largeDir = arg('--large-dir') ?? join(scratch, 'large');
for (const bytes of LARGE) {
  const out = join(largeDir, String(bytes));
  if (!existsSync(join(out, 'upload.json'))) {
    console.log(`making an upload of ${bytes} bytes with bench/lib/large-upload.sh [load ${load()}]`);
    execFileSync('bash', [join(REPO_ROOT, 'bench/lib/large-upload.sh'), String(bytes), out], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const { dsc, tag } = JSON.parse(readFileSync(join(out, 'upload.json'), 'utf8')) as { dsc: string; tag: string };
  const name = `large-${bytes}`;
  execFileSync('git', ['clone', '-q', '--mirror', join(out, 't2u-large.git'), join(repos, `${name}.git`)]);
  const dir = join(out, 'upload');
  cases.push({ case: name, tag, dsc: join(dir, dsc), size: sizeOf(dir, readdirSync(dir)), jobs: LARGE_JOBS });
}
const server = await startGitHttpServer({ root: repos });

/** The uploads over loopback HTTP: /CASE/NAME, a file of that case's upload directory (a plain name, nothing else). */
const files = await (async () => {
  const dirs = new Map(cases.map((u) => [u.case, dirname(u.dsc)]));
  const http = createServer((req, res) => {
    const m = /^\/([^/]+)\/([A-Za-z0-9][A-Za-z0-9._+~-]*)$/.exec(req.url ?? '');
    const dir = m ? dirs.get(m[1]!) : undefined;
    if (!m || dir === undefined || !existsSync(join(dir, m[2]!))) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': statSync(join(dir, m[2]!)).size });
    createReadStream(join(dir, m[2]!)).pipe(res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
})();

interface JobTime {
  readonly wall: number;
  /** The report's timings, and `outsideMs`: the wall less the report's totalMs (start-up, keyrings, output). */
  readonly timings: Record<string, number>;
  /** Each builder attempt: profile=ms. */
  readonly attempts: string;
  /** CPU seconds of the CLI's own node process (not its children's); pool jobs are counted per run. */
  readonly nodeCpuS?: number;
}

/** The job's outcome from its report. */
function jobTime(u: Case, r: VerifyReport, wall: number, nodeCpuS?: number): JobTime {
  if (r.verdict !== 'reproduced' && r.verdict !== 'equivalent')
    throw new Error(`${u.case}: ${r.verdict} ${r.reasons.map((x) => `${x.code} ${x.message}`).join('; ')}`);
  return {
    wall,
    timings: { ...r.timings, outsideMs: wall - (r.timings['totalMs'] ?? 0) },
    attempts: (r.reconstruction?.attempts ?? []).map((a) => `${a.profile}=${a.durationMs}`).join(','),
    ...(nodeCpuS !== undefined && { nodeCpuS }),
  };
}

/** One job as a user runs it: the CLI in a process of its own; its wall time and the report's split of it. */
function cliJob(u: Case): Promise<JobTime> {
  const t0 = performance.now();
  const argv = [
    '--import',
    CPU_HOOK,
    BIN,
    ...fixtureVerifyArgs(`${server.url}/${u.case}.git`, u.tag, u.dsc, 600),
    // Debian's keyrings from the mirror this machine reaches, which may be a snapshot past its Valid-Until.
    '--allow-expired-release',
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
      const cpu = /\nt2u-bench-cpu ([0-9.]+)\n/.exec(stderr);
      try {
        resolve(jobTime(u, r, wall, cpu ? Number(cpu[1]) : undefined));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    }),
  );
}

/**
 * The service's job processes (src/server/queue/job-process.ts), each kept
 * for the next job with its keyrings loaded, as the worker pool runs them;
 * the upload a .dsc URL on a loopback HTTP server (a job may name no path).
 */
const jobProcesses =
  VIA === 'pool'
    ? isolatedVerifyJob({
        config: testConfig({
          dataDir: join(scratch, 'data'),
          mode: 'worker',
          config: {
            fetch: { allowHttpLoopback: true },
            extraKeyrings: [{ path: FIXTURE_KEYRINGS.uploaders, role: 'uploader' }],
            dmTxt: FIXTURE_KEYRINGS.dmTxt,
            uploadKeyring: SERVICE_KEYRING,
            // Debian's keyrings from the mirror this machine reaches, which may be a snapshot past its Valid-Until.
            debianKeyrings: { allowExpiredRelease: true },
            jobTimeoutMs: 600_000,
          },
        }),
      })
    : undefined;
const silent = pino({ level: 'silent' });

async function poolJob(u: Case): Promise<JobTime> {
  const t0 = performance.now();
  const r = await jobProcesses!(
    { repo: `${server.url}/${u.case}.git`, tag: u.tag, upload: `${files.url}/${u.case}/${basename(u.dsc)}` },
    { signal: new AbortController().signal, log: silent },
  );
  return jobTime(u, r, performance.now() - t0);
}

const job = VIA === 'pool' ? poolJob : cliJob;

interface PoolRun {
  readonly perMin: number;
  readonly jobs: Map<string, JobTime[]>;
  /** The machine's busy and I/O-wait shares of all its CPU time during the run. */
  readonly busy: number;
  readonly iowait: number;
  /** CPU seconds (user + system) per job of the job's node process (with what it reaped), and of every process of the job (sandboxes included; undefined without a cgroup). */
  readonly cpuPerJob: { readonly node: number; readonly all: number | undefined };
  readonly elapsed: number;
  readonly load: string;
}

/** JOBS jobs of each case, `width` at a time: jobs per minute, each job's split, the machine's busy share and the jobs' CPU. */
async function pool(width: number): Promise<PoolRun> {
  // The largest first, so that the W at a time run alongside jobs of their own size and no large one is left alone at the end.
  const queue = cases.flatMap((u) => Array.from({ length: u.jobs }, () => u)).sort((a, b) => b.size - a.size);
  const jobs = new Map<string, JobTime[]>(cases.map((u) => [u.case, []]));
  const [b0, w0, t0] = cpuTicks();
  const c0 = jobProcessesCpuS();
  const g0 = groupCpuS();
  const began = performance.now();
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let u = queue.shift(); u !== undefined; u = queue.shift()) {
        const j = await job(u);
        jobs.get(u.case)!.push(j);
        process.stderr.write(`  [${width} at a time] ${u.case} ${(j.wall / 1000).toFixed(1)} s [load ${load()}]\n`);
      }
    }),
  );
  const elapsed = performance.now() - began;
  const [b1, w1, t1] = cpuTicks();
  const n = cases.reduce((sum, u) => sum + u.jobs, 0);
  return {
    perMin: (n * 60_000) / elapsed,
    jobs,
    busy: (b1 - b0) / (t1 - t0),
    iowait: (w1 - w0) / (t1 - t0),
    cpuPerJob: {
      node: VIA === 'pool' ? (jobProcessesCpuS() - c0) / n : [...jobs.values()].flat().reduce((sum, j) => sum + (j.nodeCpuS ?? 0), 0) / n,
      all: g0 === undefined ? undefined : (groupCpuS()! - g0) / n,
    },
    elapsed,
    load: load(),
  };
}

console.log(
  `backfill: ${cases.map((u) => `${u.jobs} × ${u.case} (${u.size} B)`).join(', ')}, 1 then ${WIDTHS.join(', ')} at a time on ${CORES} cores, ${VIA === 'pool' ? "the service's job processes" : 'the CLI, a process per job'}; load average at start ${load()}`,
);
const total = cases.reduce((sum, u) => sum + u.jobs, 0);
if (total < 2 * Math.max(...WIDTHS))
  console.log(`  (${total} jobs in all: fewer than twice the widest run, whose ratio then mostly shows its last jobs running alone)`);
// Warm-up, not counted: the page cache, the rootfs, and (pool) as many job processes as the widest run, each with its keyrings loaded.
await Promise.all(Array.from({ length: VIA === 'pool' ? Math.max(1, ...WIDTHS) : 1 }, () => job(cases[0]!)));
const one = await pool(1);
const runs = new Map<number, PoolRun>([[1, one]]);
for (const w of WIDTHS) runs.set(w, await pool(w));
const walls = (r: PoolRun, c: string): number[] => r.jobs.get(c)!.map((j) => j.wall);
const fmt = (r: PoolRun): string =>
  `${r.perMin.toFixed(2)} jobs/min; median job ${cases.map((u) => `${u.case} ${(median(walls(r, u.case)) / 1000).toFixed(1)} s`).join(', ')}; ` +
  `CPU a job: ${r.cpuPerJob.all === undefined ? '' : `${r.cpuPerJob.all.toFixed(1)} s in all, `}${r.cpuPerJob.node.toFixed(1)} s node; machine busy ${(100 * r.busy).toFixed(0)}%, I/O wait ${(100 * r.iowait).toFixed(0)}% [load ${r.load}]`;
for (const [w, r] of runs) {
  const ratio = r.perMin / one.perMin;
  // The goal is for W workers on W cores; more workers than cores are compared with one, without a goal.
  const goal = w > 1 && w <= CORES ? ` (goal ≥ ${(0.85 * w).toFixed(2)}×: ${ratio >= 0.85 * w ? 'met' : 'NOT met'})` : '';
  console.log(`  ${w} at a time: ${fmt(r)}${w > 1 ? `; ${ratio.toFixed(2)}× one${goal}` : ''}`);
}
// Where a job's time goes at each width: the median of each of the report's timings, in the order the report has them.
const PHASES = [...new Set([...runs.values()].flatMap((r) => [...r.jobs.values()].flat().flatMap((j) => Object.keys(j.timings))))];
for (const u of cases)
  for (const [w, r] of runs) {
    const js = r.jobs.get(u.case)!;
    const split = PHASES.filter((k) => js.some((j) => j.timings[k] !== undefined))
      .map((k) => `${k.replace(/Ms$/, '')}=${median(js.map((j) => j.timings[k] ?? 0)).toFixed(0)}`)
      .join(' ');
    console.log(`  ${u.case} at ${w}: ${split}; attempts ${js.at(-1)!.attempts}`);
  }

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
for (const w of WIDTHS) {
  const r = runs.get(w)!;
  console.log(
    `\nprojection: ${sizes.length} tag2upload uploads in ${SOURCES}, ${w} at a time: each bucket's uploads × the median wall of its measured cases when ${w} ran at a time, / ${w}`,
  );
  let totalS = 0;
  let unmeasured = 0;
  for (let b = 0; b + 1 < edges.length; b++) {
    const [lo, hi] = [edges[b]!, edges[b + 1]!];
    const inBucket = sizes.filter((s) => s >= lo && s < hi);
    const n = inBucket.length;
    const mean = n === 0 ? 0 : inBucket.reduce((a, x) => a + x, 0) / n;
    const shape = `${n} uploads (median ${median(inBucket.length ? inBucket : [0])} B, mean ${mean.toFixed(0)} B)`;
    const measured = cases.filter((u) => u.size >= lo && u.size < hi);
    const times = measured.flatMap((u) => walls(r, u.case));
    if (times.length === 0) {
      unmeasured += n;
      console.log(`  ${label(lo)}–${label(hi)}: ${shape}; per-job time NOT measured (no case of this size)`);
      continue;
    }
    const perJob = median(times) / 1000 / w;
    totalS += n * perJob;
    console.log(
      `  ${label(lo)}–${label(hi)}: ${shape} × ${perJob.toFixed(1)} s (median of ${measured.map((u) => `${u.case} ${u.size} B`).join(', ')}: ${(median(times) / 1000).toFixed(1)} s a job / ${w}) = ${((n * perJob) / 3600).toFixed(2)} h`,
    );
  }
  console.log(
    `  total ${(totalS / 3600).toFixed(1)} h for the measured buckets${unmeasured > 0 ? `; ${unmeasured} uploads in buckets not measured are not in it` : ''}`,
  );
}
console.log(`load average at end: ${load()}`);
await jobProcesses?.close();
await files.close();
await server.close();
rmSync(scratch, { recursive: true, force: true });
