// Backfill throughput: real verification jobs (the upload fixtures made by
// Debian's own tooling, their repositories served by a loopback smart-HTTP
// git server) run by W workers confined to C of the machine's CPUs, for each
// configuration W@C asked (--configs; the default 1@1, 1@N and N@N on N
// cores), the configurations interleaved round by round (--rounds), so that
// a machine whose other load changes meanwhile weighs on each alike; jobs per
// minute of each (the median of its rounds) and two ratios: N workers on N
// cores against one worker on one core (the goal: ≥ 0.85·N×), and N workers
// on N cores against one worker on the same N cores (what a second worker
// gains a machine; a single job's steps partly run side by side, so one
// worker alone already keeps more than one core partly busy).
// The confinement is the scheduler's CPU affinity of the bench and of every
// process it starts, sandboxes included (bench/lib/cpu-pinning.ts); each run
// prints how many processes it saw (how many under bwrap) and whether any was
// allowed on another CPU. With each run come the load average, the busy,
// I/O-wait and steal shares (/proc/stat) of the run's CPUs and of the whole
// machine, what share of its CPUs the jobs used, and how long some of the
// jobs' processes waited for a CPU or on I/O (the kernel's pressure stall
// information of a cgroup of the bench's own, bench/lib/pressure.ts), so that
// a shortfall can be told from a machine that had no idle core to give.
// --via pool (the default) runs them as the service's worker pool does: in
// its job processes (src/server/queue/job-process.ts), each kept for the
// next job with its modules and keyrings loaded, the upload a .dsc URL on a
// loopback HTTP server; --via cli runs the compiled CLI, a process per job,
// the upload a .dsc path, as a user runs it.
//
// Then a projection for the tag2upload uploads in a Sources index (the
// stanzas with a Git-Tag-Info field), bucketed by the size of their source
// package (the sum of the Files sizes): each bucket's per-job time at W is the
// median wall measured here, W at a time on all cores, for a case of that
// bucket's size, divided by W, never interpolated;
// a bucket with no measured case is printed as not measured and left out
// of the total (--sources none: no projection); whole verifications and real
// uploads (--real, below) are projected apart. --large BYTES,... adds uploads of about that size, made by
// Debian's own tools (bench/lib/large-upload.sh: git debpush, dgit's builder
// mode, the orig by git deborig; its content incompressible, so the upload
// is about as large as asked), for the buckets the fixtures do not reach,
// --large-jobs of each per run; --large-dir keeps them between runs.
// --real N adds N real tag2upload uploads of sid per bucket, drawn with a
// seed (--real-seed) among those the mirror serves (--real-max-bytes leaves
// out the largest), each run as calibration runs it (obtained from the
// mirror, unpacked by dpkg-source -x, rebuilt under the builder profiles,
// compared): their repositories are not reachable from every machine, so a
// real upload's job has no tag fetch, no content check and no second
// toolchain, and its bucket's time is a bound from below on a verification's;
// its node CPU (this process's) is not in "CPU a job". For a projection run
// in bounded time, name only the configurations it reads: --configs N@N.
// Where a job's time goes is printed per case and configuration (the
// report's timings), with the CPU seconds per job of the job's node process
// and of all its processes (sandboxes included, from a cpuacct cgroup of the
// bench's own).
// Needs `npm run build` first (the CLI's bundle, for --via cli).
// Usage: npx tsx bench/backfill.bench.ts [--via pool|cli] [--jobs N] [--cases gbp,native]
//          [--configs 1@1,1@2,2@2] [--rounds R] [--pin-check-ms MS] [--workers W,...]
//          [--large BYTES,...] [--large-jobs N] [--large-dir DIR]
//          [--real N] [--real-seed S] [--real-max-bytes BYTES]
//          [--sources FILE|URL of Sources.gz|none] [--buckets 1048576,10485760]
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { gunzipSync } from 'node:zlib';
import type { VerifyReport } from '../src/report/report.js';
import { calibrate, entryBytes, orderCandidates } from '../src/pipeline/calibrate.js';
import { fetchSourcesIndex, tag2uploadEntries, type SourcesEntry, type SourcesIndex } from '../src/upload/index.js';
import { isolatedVerifyJob } from '../src/server/queue/job-process.js';
import { testConfig } from '../test/server/service-helpers.js';
import { startGitHttpServer } from '../test/helpers/git-http-server.js';
import { FIXTURE_KEYRINGS } from '../test/helpers/fixture-keyrings.js';
import { fixtureVerifyArgs } from './lib/verify-args.js';
import { numberOption, option } from './lib/args.js';
import { allowedCpus, pinTree, samplePinning, type PinningCheck } from './lib/cpu-pinning.js';
import { joinPressureGroup, type Stalls } from './lib/pressure.js';
import { joinOwnCgroup } from './lib/join-cgroup.js';
import { REPO_ROOT, SERVICE_KEYRING, bundleOf, dscOf, uploadCase } from '../test/reconstruct/upload-fixtures.js';

const JOBS = numberOption('--jobs', 4);
/** The CPUs the bench may use (its own affinity as it starts): a configuration's C CPUs are the first C of them. */
const ALL_CPUS = allowedCpus();
const CORES = ALL_CPUS.length;
/** Widths run on all the cores besides the configurations' own (a job waits on its sandboxes' start-ups and I/O, so more workers than cores may still gain). */
const WIDTHS = (option('--workers') ?? String(CORES)).split(',').map(Number);
interface Config {
  readonly workers: number;
  readonly cores: number;
  readonly name: string;
}
const configOf = (text: string): Config => {
  const m = /^(\d+)@(\d+)$/.exec(text);
  const [workers, cores] = [Number(m?.[1]), Number(m?.[2])];
  if (!m || workers < 1 || cores < 1 || cores > CORES)
    throw new Error(`--configs takes WORKERS@CORES with 1 ≤ CORES ≤ ${CORES}, not ${text}`);
  return { workers, cores, name: `${workers}@${cores}` };
};
const CONFIGS: Config[] = [
  ...new Set([...(option('--configs') ?? `1@1,1@${CORES},${CORES}@${CORES}`).split(','), ...WIDTHS.map((w) => `${w}@${CORES}`)]),
].map(configOf);
const ROUNDS = numberOption('--rounds', 1);
/** How often the confinement is checked while the jobs run (each check reads every process's /proc/PID/stat: a few ms of CPU). */
const PIN_CHECK_MS = numberOption('--pin-check-ms', 1000);
const CASES = (option('--cases') ?? 'gbp,native').split(',').filter(Boolean);
const SOURCES = option('--sources') ?? 'http://deb.debian.org/debian/dists/sid/main/source/Sources.gz';
const BUCKETS = (option('--buckets') ?? `${1 << 20},${10 << 20}`).split(',').map(Number);
const LARGE = (option('--large') ?? '').split(',').filter(Boolean).map(Number);
const LARGE_JOBS = numberOption('--large-jobs', 2);
/** Real uploads of sid (from the mirror) per size bucket, and the seed of their draw. */
const REAL = numberOption('--real', 0);
const REAL_SEED = numberOption('--real-seed', 1);
/** Real uploads above this size are not drawn (their jobs take minutes each). */
const REAL_MAX_BYTES = numberOption('--real-max-bytes', Infinity);
/** `pool`: the service's job processes, kept from job to job (a backfill); `cli`: the CLI, a process per job (as a user runs it). */
const VIA = option('--via') ?? 'pool';
if (VIA !== 'pool' && VIA !== 'cli') throw new Error(`--via pool|cli, not ${VIA}`);

const BIN = join(REPO_ROOT, 'bin', 't2u-verify.js');
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Busy, I/O-wait, steal (time the hypervisor gave to others) and total jiffies of the whole machine, or of `cpus` only. */
interface Ticks {
  readonly busy: number;
  readonly iowait: number;
  readonly steal: number;
  readonly total: number;
}
function cpuTicks(cpus?: readonly number[]): Ticks {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  const want = cpus === undefined ? ['cpu'] : cpus.map((c) => `cpu${c}`);
  const sum = { busy: 0, iowait: 0, steal: 0, total: 0 };
  for (const line of lines) {
    const [name, ...rest] = line.trim().split(/\s+/);
    if (!want.includes(name!)) continue;
    // user nice system idle iowait irq softirq steal (guest and guest_nice are counted in user and nice already)
    const f = rest.slice(0, 8).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    sum.total += total;
    sum.iowait += f[4]!;
    sum.steal += f[7]!;
    sum.busy += total - f[3]! - f[4]! - f[7]!;
  }
  return sum;
}
/** Each share of the time between two readings. */
function shares(a: Ticks, b: Ticks): { busy: number; iowait: number; steal: number } {
  const total = b.total - a.total || 1;
  return { busy: (b.busy - a.busy) / total, iowait: (b.iowait - a.iowait) / total, steal: (b.steal - a.steal) / total };
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
const cpuacct = joinOwnCgroup('/sys/fs/cgroup/cpuacct', `t2u-bench-backfill-${process.pid}`);
function groupCpuS(): number | undefined {
  if (cpuacct === undefined) return undefined;
  const [user, sys] = ['cpuacct.usage_user', 'cpuacct.usage_sys'].map((f) => Number(readFileSync(join(cpuacct, f), 'utf8')));
  const self = process.cpuUsage();
  return (user! + sys!) / 1e9 - (self.user + self.system) / 1e6;
}

/** The stall totals of this process and everything it starts (bench/lib/pressure.ts); undefined where none can be read. */
const stalls = joinPressureGroup(`t2u-bench-backfill-${process.pid}`);

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
  /** A real upload of the archive (no tag to fetch: its repository is not reachable from here), run as calibration runs it. */
  readonly real?: { readonly entry: SourcesEntry; readonly index: SourcesIndex };
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
const largeDir = option('--large-dir') ?? join(scratch, 'large');
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
// Real uploads: REAL of each size bucket, drawn (seeded) from sid's tag2upload uploads that the mirror serves.
if (REAL > 0) {
  const index = await fetchSourcesIndex({ suite: 'sid', allowExpiredRelease: true });
  const drawn = orderCandidates(
    tag2uploadEntries(index),
    { kind: 'random', seed: REAL_SEED },
    REAL_MAX_BYTES === Infinity ? undefined : REAL_MAX_BYTES,
  );
  const edges = [0, ...BUCKETS, Infinity];
  for (let b = 0; b + 1 < edges.length; b++) {
    let taken = 0;
    for (const entry of drawn) {
      if (taken >= REAL) break;
      const size = entryBytes(entry);
      if (size < edges[b]! || size >= edges[b + 1]!) continue;
      // A mirror may serve only part of the pool: only uploads whose .dsc it has.
      const head = await fetch(`${index.mirror.replace(/\/$/, '')}/${entry.directory}/${entry.dsc.name}`, { method: 'HEAD' }).catch(
        () => undefined,
      );
      if (!head?.ok) continue;
      taken++;
      cases.push({
        case: `${entry.source}_${entry.version}`,
        tag: '',
        dsc: '',
        size,
        jobs: 1,
        real: { entry, index: { ...index, entries: [entry] } },
      });
    }
    if (taken < REAL) console.log(`  only ${taken} real uploads of ${edges[b]}–${edges[b + 1]} B found on the mirror`);
  }
}
const server = await startGitHttpServer({ root: repos });

/** The uploads over loopback HTTP: /CASE/NAME, a file of that case's upload directory (a plain name, nothing else). */
const files = await (async () => {
  const dirs = new Map(cases.filter((u) => u.real === undefined).map((u) => [u.case, dirname(u.dsc)]));
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

/**
 * A real upload as calibration runs it (src/pipeline/calibrate.ts): obtained
 * from the mirror and checked against the verified index, unpacked by
 * dpkg-source -x in the sandbox, rebuilt under the builder profiles and
 * compared; in this process, whatever --via says (calibration has no job
 * process). Its verdict is printed, not required: the time is what is measured.
 */
async function realJob(u: Case): Promise<JobTime> {
  const t0 = performance.now();
  const r = await calibrate({ indexes: [u.real!.index], selection: { kind: 'all' }, tmpDir: scratch });
  const c = r.uploads[0];
  if (c === undefined || c.verdict === 'skipped')
    throw new Error(`${u.case}: not obtained from the mirror (${c?.reasons.map((x) => x.code).join(', ')})`);
  return {
    wall: performance.now() - t0,
    timings: { totalMs: c.durationMs },
    attempts: `${c.verdict}${c.attempts.length > 0 ? ` ${c.attempts.map((a) => `${a.profile}:${a.outcome}`).join(',')}` : ''}`,
  };
}

const job = (u: Case): Promise<JobTime> => (u.real !== undefined ? realJob(u) : VIA === 'pool' ? poolJob(u) : cliJob(u));

interface PoolRun {
  readonly perMin: number;
  readonly jobs: Map<string, JobTime[]>;
  /** The busy, I/O-wait and steal shares of the run's CPUs, and of the whole machine, during the run. */
  readonly cpus: ReturnType<typeof shares>;
  readonly machine: ReturnType<typeof shares>;
  /** CPU seconds (user + system) per job of the job's node process (with what it reaped), and of every process of the job (sandboxes included; undefined without a cgroup). */
  readonly cpuPerJob: { readonly node: number; readonly all: number | undefined };
  /** The jobs' CPU (all their processes) as a share of the run's CPUs over the run: what they used of what they were given, the rest idle or taken by other work. */
  readonly jobsShare: number | undefined;
  /**
   * Shares of the run during which some process of the jobs waited for a CPU
   * (cpu), all of them did (cpuFull), or some waited on I/O (io), from the
   * kernel's pressure stall information; undefined without it.
   */
  readonly waits: { readonly cpu: number; readonly cpuFull: number; readonly io: number } | undefined;
  readonly elapsed: number;
  readonly load: string;
  readonly pinning: PinningCheck;
}

/**
 * JOBS jobs of each case, `config.workers` at a time, the bench and every
 * process it starts confined to the first `config.cores` CPUs: jobs per
 * minute, each job's split, the CPUs' busy shares and the jobs' CPU.
 */
async function pool(config: Config): Promise<PoolRun> {
  const cpus = ALL_CPUS.slice(0, config.cores);
  pinTree(cpus);
  // The largest first, so that the W at a time run alongside jobs of their own size and no large one is left alone at the end.
  const queue = cases.flatMap((u) => Array.from({ length: u.jobs }, () => u)).sort((a, b) => b.size - a.size);
  const jobs = new Map<string, JobTime[]>(cases.map((u) => [u.case, []]));
  const pinning = samplePinning(cpus, PIN_CHECK_MS);
  const [m0, p0] = [cpuTicks(), cpuTicks(cpus)];
  const c0 = jobProcessesCpuS();
  const g0 = groupCpuS();
  const s0 = stalls?.();
  const began = performance.now();
  await Promise.all(
    Array.from({ length: config.workers }, async () => {
      for (let u = queue.shift(); u !== undefined; u = queue.shift()) {
        const j = await job(u);
        jobs.get(u.case)!.push(j);
        process.stderr.write(`  [${config.name}] ${u.case} ${(j.wall / 1000).toFixed(1)} s [load ${load()}]\n`);
      }
    }),
  );
  const elapsed = performance.now() - began;
  const s1 = stalls?.();
  const [m1, p1] = [cpuTicks(), cpuTicks(cpus)];
  const stalled = (k: keyof Stalls): number => (s1![k] - s0![k]) / 1000 / elapsed;
  const n = cases.reduce((sum, u) => sum + u.jobs, 0);
  const all = g0 === undefined ? undefined : groupCpuS()! - g0;
  return {
    perMin: (n * 60_000) / elapsed,
    jobs,
    cpus: shares(p0, p1),
    machine: shares(m0, m1),
    cpuPerJob: {
      node: VIA === 'pool' ? (jobProcessesCpuS() - c0) / n : [...jobs.values()].flat().reduce((sum, j) => sum + (j.nodeCpuS ?? 0), 0) / n,
      all: all === undefined ? undefined : all / n,
    },
    jobsShare: all === undefined ? undefined : all / ((elapsed / 1000) * config.cores),
    waits: s0 === undefined ? undefined : { cpu: stalled('cpuSome'), cpuFull: stalled('cpuFull'), io: stalled('ioSome') },
    elapsed,
    load: load(),
    pinning: pinning.stop(),
  };
}

console.log(
  `backfill: ${cases.map((u) => `${u.jobs} × ${u.case} (${u.size} B)`).join(', ')} per run; configurations (workers@cores) ${CONFIGS.map((c) => c.name).join(', ')}, ` +
    `interleaved over ${ROUNDS} round(s), on CPUs ${ALL_CPUS.join(',')}; ${VIA === 'pool' ? "the service's job processes" : 'the CLI, a process per job'}; load average at start ${load()}`,
);
const total = cases.reduce((sum, u) => sum + u.jobs, 0);
const widest = Math.max(...CONFIGS.map((c) => c.workers));
if (total < 2 * widest)
  console.log(`  (${total} jobs a run: fewer than twice the widest run, whose ratio then mostly shows its last jobs running alone)`);
// Warm-up, not counted: the page cache, the rootfs, and (pool) as many job processes as the widest run, each with its keyrings loaded.
await Promise.all(Array.from({ length: VIA === 'pool' ? widest : 1 }, () => job(cases[0]!)));
const walls = (runs: readonly PoolRun[], c: string): number[] => runs.flatMap((r) => r.jobs.get(c)!.map((j) => j.wall));
const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;
function fmt(r: PoolRun): string {
  const p = r.pinning;
  return (
    `${r.perMin.toFixed(2)} jobs/min; median job ${cases.map((u) => `${u.case} ${(median(walls([r], u.case)) / 1000).toFixed(1)} s`).join(', ')}; ` +
    `CPU a job: ${r.cpuPerJob.all === undefined ? '' : `${r.cpuPerJob.all.toFixed(2)} s in all, `}${r.cpuPerJob.node.toFixed(2)} s node; ` +
    `${r.jobsShare === undefined ? '' : `the jobs used ${pct(r.jobsShare)} of their CPUs, `}` +
    `${r.waits === undefined ? '' : `waited for a CPU ${pct(r.waits.cpu)} of the run (all of them ${pct(r.waits.cpuFull)}), on I/O ${pct(r.waits.io)}; `}its CPUs busy ${pct(r.cpus.busy)}, I/O wait ${pct(r.cpus.iowait)}, steal ${pct(r.cpus.steal)}; machine busy ${pct(r.machine.busy)} [load ${r.load}]; ` +
    `pinning ${p.escaped.length === 0 ? 'held' : `NOT held (${p.escaped.slice(0, 5).join('; ')})`}: ${p.processes} processes seen in ${p.samples} samples, ${p.sandboxed} under bwrap, the checks' CPU ${p.cpuMs.toFixed(0)} ms`
  );
}
const rounds = new Map<string, PoolRun[]>(CONFIGS.map((c) => [c.name, []]));
for (let r = 0; r < ROUNDS; r++) {
  // Each round starts with the next configuration, so that none always runs first (after the warm-up) or last.
  for (let i = 0; i < CONFIGS.length; i++) {
    const config = CONFIGS[(i + r) % CONFIGS.length]!;
    const run = await pool(config);
    rounds.get(config.name)!.push(run);
    console.log(`  round ${r + 1}, ${config.name}: ${fmt(run)}`);
  }
}
pinTree(ALL_CPUS);
const perMin = new Map([...rounds].map(([name, runs]) => [name, median(runs.map((r) => r.perMin))]));
console.log(`per configuration, the median of its ${ROUNDS} round(s):`);
for (const c of CONFIGS) {
  const runs = rounds.get(c.name)!;
  const cpu = median(runs.map((r) => r.cpuPerJob.all ?? Number.NaN));
  console.log(
    `  ${c.name}: ${perMin.get(c.name)!.toFixed(2)} jobs/min (rounds ${runs.map((r) => r.perMin.toFixed(1)).join(', ')}); CPU a job ${cpu.toFixed(2)} s; ` +
      `the jobs used ${pct(median(runs.map((r) => r.jobsShare ?? Number.NaN)))} of their CPUs, ` +
      `${runs[0]!.waits === undefined ? '' : `waited for a CPU ${pct(median(runs.map((r) => r.waits!.cpu)))}, on I/O ${pct(median(runs.map((r) => r.waits!.io)))}; `}` +
      `its CPUs busy ${pct(median(runs.map((r) => r.cpus.busy)))}, I/O wait ${pct(median(runs.map((r) => r.cpus.iowait)))}, steal ${pct(median(runs.map((r) => r.cpus.steal)))}; ` +
      `load ${runs.map((r) => r.load.split(' ')[0]).join(', ')}; pinning ${runs.every((r) => r.pinning.escaped.length === 0) ? 'held' : 'NOT held'}`,
  );
}
// The goal's ratio (W workers on W cores against one on one) and an operator's (W workers against one, both on all the cores).
const ratio = (a: string, b: string): string => {
  const [x, y] = [perMin.get(a), perMin.get(b)];
  return x === undefined || y === undefined ? 'not measured' : `${(x / y).toFixed(2)}×`;
};
const goal = perMin.get(`${CORES}@${CORES}`)! / perMin.get('1@1')!;
console.log(
  `summary: ${CORES}@${CORES} / 1@1 = ${ratio(`${CORES}@${CORES}`, '1@1')}` +
    `${Number.isFinite(goal) ? ` (goal ≥ ${(0.85 * CORES).toFixed(2)}×: ${goal >= 0.85 * CORES ? 'met' : 'NOT met'})` : ''}; ` +
    `${CORES}@${CORES} / 1@${CORES} = ${ratio(`${CORES}@${CORES}`, `1@${CORES}`)}; ` +
    `${CONFIGS.map((c) => `${c.name} ${perMin.get(c.name)!.toFixed(1)}/min`).join(', ')}; load ${load()}`,
);
// Where a job's time goes in each configuration: the median of each of the report's timings, in the order the report has them.
const PHASES = [...new Set([...rounds.values()].flat().flatMap((r) => [...r.jobs.values()].flat().flatMap((j) => Object.keys(j.timings))))];
for (const u of cases)
  for (const [name, runs] of rounds) {
    const js = runs.flatMap((r) => r.jobs.get(u.case)!);
    const split = PHASES.filter((k) => js.some((j) => j.timings[k] !== undefined))
      .map((k) => `${k.replace(/Ms$/, '')}=${median(js.map((j) => j.timings[k] ?? 0)).toFixed(0)}`)
      .join(' ');
    console.log(`  ${u.case} at ${name}: ${split}; attempts ${js.at(-1)!.attempts}`);
  }

// The projection.
const raw =
  SOURCES === 'none'
    ? Buffer.alloc(0)
    : /^https?:/.test(SOURCES)
      ? Buffer.from(await (await fetch(SOURCES)).arrayBuffer())
      : readFileSync(SOURCES);
const text = (SOURCES.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
const sizes: number[] = [];
for (const stanza of text.split(/\n\n+/)) {
  if (!/^Git-Tag-Info:/m.test(stanza)) continue;
  const files = /^Files:\n((?:[ \t].*\n?)*)/m.exec(stanza);
  sizes.push((files?.[1] ?? '').split('\n').reduce((sum, line) => sum + (Number(line.trim().split(/\s+/)[1]) || 0), 0));
}
const edges = [0, ...BUCKETS, Infinity];
const label = (n: number): string => (n === Infinity ? '∞' : n >= 1 << 20 ? `${n / (1 << 20)} MiB` : `${n} B`);
/** The two kinds of measured case, projected apart: whole verifications (of fixtures and made uploads), and real uploads rebuilt as calibration rebuilds them. */
const KINDS = [
  { name: "verifications (the fixtures and the uploads made by Debian's tools)", of: (u: Case) => u.real === undefined },
  {
    name: 'real sid uploads rebuilt as calibration does (no tag fetch, content check or second toolchain: a bound from below)',
    of: (u: Case) => u.real !== undefined,
  },
].filter((k) => cases.some(k.of));
for (const w of SOURCES === 'none' ? [] : WIDTHS)
  for (const kind of KINDS) {
    const r = rounds.get(`${w}@${CORES}`)!;
    console.log(
      `\nprojection from ${kind.name}: ${sizes.length} tag2upload uploads in ${SOURCES}, ${w} at a time: each bucket's uploads × the median wall of its measured cases when ${w} ran at a time, / ${w}`,
    );
    let totalS = 0;
    let unmeasured = 0;
    for (let b = 0; b + 1 < edges.length; b++) {
      const [lo, hi] = [edges[b]!, edges[b + 1]!];
      const inBucket = sizes.filter((s) => s >= lo && s < hi);
      const n = inBucket.length;
      const mean = n === 0 ? 0 : inBucket.reduce((a, x) => a + x, 0) / n;
      const shape = `${n} uploads (median ${median(inBucket.length ? inBucket : [0])} B, mean ${mean.toFixed(0)} B)`;
      const measured = cases.filter((u) => kind.of(u) && u.size >= lo && u.size < hi);
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
