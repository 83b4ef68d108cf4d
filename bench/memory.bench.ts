// Peak memory of a whole `verify`, as a user runs it (the CLI, the
// repository over loopback smart HTTP, the upload a local .dsc), for
// packages of several sizes: does it grow with the package? For each size,
// bench/lib/large-upload.sh makes a real upload whose orig is about that
// large (git debpush tags it, dgit's builder mode builds it, git deborig
// makes the orig: the reference tools in the trixie builder rootfs), then the
// CLI verifies it while the process tree (node and every sandboxed process:
// bwrap, git, dgit, dpkg-source, xz, tar) is sampled from /proc every
// SAMPLE_MS: the peak of the summed resident sets is reported beside node's
// own peak (VmHWM), each command's peak (its processes' resident sets summed
// per sample), the upstream content's size (the baseline: what a buffering
// verifier would hold at least once, as the orig's tar), and the peak of the tree that made the upload with the
// reference tools, sampled the same way. Files in each sandbox's tmpfs (/work
// and /tmp: the rebuild's checkout, the content check's unpacked trees) are
// memory in no process's resident set, charged to the sandbox's memory
// cgroup: they are counted through statfs of /proc/PID/root/{work,tmp}, once
// per mount namespace, and added to the resident sets in the same sample for
// the whole peak (the rise of the kernel's Shmem counter is printed too; it
// is machine-wide, so other work on the machine shows in it). The load
// average is printed, and an idle node's peak as the baseline. The peak of
// each 2 s of a verification, with the commands that held it, is written
// to timeline-CONTENT-SIZE.json in the cache directory: which step made the
// peak, and what the next step peaks at.
//
// The content. `--sizes` uploads hold low-entropy text (bench/lib/text-parts.pl:
// lines of words, 1 KiB paragraphs drawn from 64, files of 4 MiB), which xz
// compresses about 20 times faster than incompressible bytes: made with
// random bytes, the reference tools took 25 minutes for a 128 MiB orig, and 57
// minutes for a 1 GiB one (`--random 1024`, made once and kept like the others).
// What the bench asks is how memory grows with the
// package, and that does not depend on the content: the verifier streams
// every file whatever its bytes, and xz's allocations are fixed by its preset
// and thread count (dictionary, block buffers). The content does change how
// much of those fixed allocations an xz process touches (incompressible data
// fills the whole output block and every hash-table page; text fills fewer),
// a constant per process, so `--random` sizes (incompressible, as before) run
// in the same invocation and the table shows both: text for the trend,
// random for the worst-case constant at a size that can be made quickly.
//
// The uploads are made once and kept, under /var/cache/t2u-verify/bench-uploads
// (as root; else $TMPDIR/t2u-bench-uploads), keyed by size, content and the
// hash of every script that makes them and of sandbox/rootfs.json; a kept
// upload is reused with the peak measured when it was made (its date and load
// are printed). `--remake` makes them again.
// Usage: npx tsx bench/memory.bench.ts [--sizes 32,128,1024] [--random 32] [--remake]
// (MiB of upstream content; a 1 GiB text upload took 6.4 minutes to make on
// two cores at load 4-8, once; its verification 5 minutes). Needs about 2x the
// largest size free under the cache directory and 4x under /tmp (the
// verification's work directories; checked first).
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  statfsSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGitHttpServer } from '../test/helpers/git-http-server.js';
import { option } from './lib/args.js';

const MiB = 1024 ** 2;
const SAMPLE_MS = 100;
const sizesOf = (list: string): number[] =>
  list
    .split(',')
    .filter((x) => x !== '')
    .map((x) => Number(x) * MiB);
type Content = 'text' | 'random';
const uploads: { size: number; content: Content }[] = [
  ...sizesOf(option('--random') ?? '32').map((size) => ({ size, content: 'random' as const })),
  ...sizesOf(option('--sizes') ?? '32,128').map((size) => ({ size, content: 'text' as const })),
];
const remake = process.argv.includes('--remake');
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const KEYS = join(ROOT, 'fixtures/keys/keyrings');
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** Where made uploads are kept: the shared cache as root, else under $TMPDIR. */
function cacheRoot(): string {
  const shared = '/var/cache/t2u-verify';
  try {
    accessSync(shared, constants.W_OK);
    return join(shared, 'bench-uploads');
  } catch {
    return join(tmpdir(), 't2u-bench-uploads');
  }
}
const CACHE = cacheRoot();
mkdirSync(CACHE, { recursive: true, mode: 0o755 });

/** The hash of everything that decides what large-upload.sh makes. */
function scriptsKey(): string {
  const hash = createHash('sha256');
  const dirs = ['fixtures/uploads/lib', 'fixtures/tags/lib', 'fixtures/uploads/service-key'];
  const own = ['bench/lib/large-upload.sh', 'bench/lib/text-parts.pl', 'sandbox/rootfs.json'];
  const files = [...dirs.flatMap((d) => readdirSync(join(ROOT, d)).map((f) => join(d, f))), ...own]
    .filter((f) => statSync(join(ROOT, f)).isFile())
    .sort();
  for (const f of files)
    hash
      .update(`${f}\0`)
      .update(readFileSync(join(ROOT, f)))
      .update('\0');
  return hash.digest('hex').slice(0, 16);
}
const KEY = scriptsKey();

const largest = Math.max(...uploads.map((u) => u.size));
for (const [dir, factor] of [
  [CACHE, 2],
  [tmpdir(), 4],
] as const) {
  const free = statfsSync(dir);
  if (free.bavail * free.bsize < factor * largest)
    throw new Error(
      `${dir} has ${((free.bavail * free.bsize) / MiB).toFixed(0)} MiB free; the bench needs about ${(factor * largest) / MiB} MiB`,
    );
}

/** Each process's parent, from the last `tree` walk (to name who ran a process). */
const parentOf = new Map<number, number>();

/** The pids of `root` and all its descendants, from /proc's parent links. */
function tree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue;
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    parentOf.set(Number(name), ppid);
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

function status(pid: number, field: 'VmRSS' | 'VmHWM' | 'RssAnon' | 'RssFile'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function shmem(): number {
  const m = /^Shmem:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'latin1'));
  return Number(m![1]) * 1024;
}

/** The command of `pid` (its /proc comm), for naming what held the memory. */
function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'latin1').trim();
  } catch {
    return '?';
  }
}

/**
 * One process named for the breakdown: its command, its arguments and the
 * command that ran it, so that the xz which compresses (git deborig's, the
 * second toolchain's, dpkg-source -b's) is told from the ones that
 * decompress (dpkg-source -x's, dgit's), and with which -T.
 */
function described(pid: number): string {
  let args: string[] = [];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').slice(1, -1);
  } catch {
    // exited meanwhile
  }
  const words = args.map((a) => (a.length > 24 ? `${a.slice(0, 21)}...` : a)).join(' ');
  const line = `${comm(pid)}${words === '' ? '' : ` ${words}`}`;
  return `[${line.length > 72 ? `${line.slice(0, 69)}...` : line} ← ${comm(parentOf.get(pid) ?? 0)}]`;
}
/** The timeline's window: its peak in each, with what held it, is written beside the reports. */
const TIMELINE_MS = 2_000;
/** Processes at least this large are named one by one in the breakdown. */
const DESCRIBED_FROM = 8 * MiB;

/**
 * Bytes in use on the tmpfs /work and /tmp of each sandbox whose processes
 * are in `pids`: one statfs per mount namespace, through /proc/PID/root
 * (bwrap's own mounts, visible to the bench's uid: root, or the uid that
 * runs the sandboxes). Files there are in no resident set, yet held in
 * memory, and charged to the sandbox's memory cgroup. A disk-backed work
 * directory is not a tmpfs and is not counted.
 */
function sandboxTmpfs(pids: number[]): number {
  const own = nsOf(process.pid);
  const seen = new Set<string>([own]);
  let total = 0;
  for (const pid of pids) {
    const ns = nsOf(pid);
    if (ns === '' || seen.has(ns)) continue;
    seen.add(ns);
    for (const dir of ['work', 'tmp']) {
      try {
        const s = statfsSync(`/proc/${pid}/root/${dir}`);
        if (s.type !== TMPFS_MAGIC) continue;
        total += (s.blocks - s.bfree) * s.bsize;
      } catch {
        // exited meanwhile, or no such directory
      }
    }
  }
  return total;
}
const TMPFS_MAGIC = 0x01021994;

function nsOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return '';
  }
}

interface Peak {
  /** Peak of the summed resident sets plus the sandboxes' tmpfs, sampled together. */
  whole: number;
  tree: number;
  node: number;
  tmpfs: number;
  shmemRise: number;
  /** At the sample of the whole's peak: resident bytes by command, and tmpfs. */
  atPeak: string;
  /** Each command's own peak: its processes' resident sets summed per sample. */
  byCommand: Record<string, number>;
  /** Each large process's own peak, by what it ran and who ran it (described). */
  byProcess?: Record<string, number>;
  /** Per TIMELINE_MS from the start: the whole's peak in that window and what held it (which step of the verification was running). */
  timeline?: { atMs: number; whole: number; at: string }[];
  wallMs: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command and samples its process tree until it exits. */
function measured(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Peak> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const shmemBefore = shmem();
    const child = spawn(file, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let whole = 0;
    let peak = 0;
    let nodePeak = 0;
    let tmpfsPeak = 0;
    let shmemPeak = shmemBefore;
    let atPeak = '';
    const byCommand: Record<string, number> = {};
    const byProcess: Record<string, number> = {};
    const timeline: { atMs: number; whole: number; at: string }[] = [];
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr = (stderr + c).slice(-20_000);
    });
    const sample = (): void => {
      if (child.pid === undefined) return;
      const pids = tree(child.pid);
      const byComm = new Map<string, number>();
      const large: [string, number][] = [];
      let rss = 0;
      for (const p of pids) {
        const r = status(p, 'VmRSS');
        rss += r;
        const c = comm(p);
        byComm.set(c, (byComm.get(c) ?? 0) + r);
        if (r >= DESCRIBED_FROM && p !== child.pid) {
          const d = described(p);
          large.push([d, r]);
          byProcess[d] = Math.max(byProcess[d] ?? 0, r);
        }
      }
      for (const [c, n] of byComm) byCommand[c] = Math.max(byCommand[c] ?? 0, n);
      const tmpfs = sandboxTmpfs(pids);
      const window = Math.floor((performance.now() - started) / TIMELINE_MS) * TIMELINE_MS;
      const last = timeline[timeline.length - 1];
      if (last?.atMs !== window || rss + tmpfs > last.whole) {
        const at = [...byComm]
          .filter(([, n]) => n >= 4 * MiB)
          .sort((a, b) => b[1] - a[1])
          .map(([c, n]) => `${c} ${mib(n)}`)
          .join(', ');
        if (last?.atMs === window) timeline.pop();
        timeline.push({ atMs: window, whole: rss + tmpfs, at });
      }
      peak = Math.max(peak, rss);
      tmpfsPeak = Math.max(tmpfsPeak, tmpfs);
      if (rss + tmpfs > whole) {
        whole = rss + tmpfs;
        atPeak = [
          ...[...byComm]
            .filter(([, n]) => n >= MiB)
            .sort((a, b) => b[1] - a[1])
            .map(([c, n]) => `${c} ${mib(n)}`),
          `tmpfs ${mib(tmpfs)}`,
          `(node: anonymous ${mib(status(child.pid, 'RssAnon'))}, files ${mib(status(child.pid, 'RssFile'))})`,
          ...large.sort((a, b) => b[1] - a[1]).map(([d, n]) => `${d} ${mib(n)}`),
        ].join(', ');
      }
      nodePeak = Math.max(nodePeak, status(child.pid, 'VmHWM'));
      shmemPeak = Math.max(shmemPeak, shmem());
    };
    const timer = setInterval(sample, SAMPLE_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({
        whole,
        tree: peak,
        node: nodePeak,
        tmpfs: tmpfsPeak,
        shmemRise: shmemPeak - shmemBefore,
        atPeak,
        byCommand,
        byProcess,
        timeline,
        wallMs: performance.now() - started,
        code,
        stdout,
        stderr,
      });
    });
  });
}

const mib = (n: number): string => `${(n / MiB).toFixed(0)} MiB`;

interface Made {
  /** The directory holding t2u-large.git, upload/ and upload.json. */
  dir: string;
  make: Peak;
  /** When and under what load the upload was made (now, or a kept one's). */
  made: string;
  kept: boolean;
}

/** The upload of `size` bytes of `content`, made now or kept from before. */
async function upload(size: number, content: Content): Promise<Made> {
  const dir = join(CACHE, `${content}-${size / MiB}-${KEY}`);
  const record = join(dir, 'make.json');
  if (!remake && existsSync(record)) {
    const kept = JSON.parse(readFileSync(record, 'utf8')) as { make: Peak; made: string };
    return { dir, make: kept.make, made: kept.made, kept: true };
  }
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { mode: 0o755 });
  const before = load();
  process.stderr.write(`making an upload with ${mib(size)} of ${content} upstream content (load ${before})\n`);
  const make = await measured('bash', [join(ROOT, 'bench/lib/large-upload.sh'), String(size), partial, content]);
  if (make.code !== 0) throw new Error(`large-upload.sh failed: ${make.stderr}`);
  const made = `${new Date().toISOString()}, ${(make.wallMs / 60_000).toFixed(1)} min, load before ${before}, after ${load()}`;
  make.stdout = '';
  make.timeline = undefined;
  make.stderr = '';
  writeFileSync(join(partial, 'make.json'), JSON.stringify({ make, made }));
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return { dir, make, made, kept: false };
}

if (process.argv.includes('--make-only')) {
  for (const { size, content } of uploads) {
    const made = await upload(size, content);
    console.log(`${made.dir}: ${made.kept ? 'kept' : 'made'} ${made.made}; whole peak ${mib(made.make.whole)}`);
  }
  process.exit(0);
}

const scratch = mkdtempSync(join(tmpdir(), 't2u-bench-memory-'));
chmodSync(scratch, 0o755);
// The CLI as bin/t2u-verify.js runs it: compiled and bundled (a no-op when nothing changed).
execFileSync('bash', ['scripts/build.sh'], { cwd: ROOT, stdio: 'inherit' });
const repos = join(scratch, 'repos');
mkdirSync(repos);
const server = await startGitHttpServer({ root: repos });
const config = join(scratch, 'config.json');
writeFileSync(
  config,
  JSON.stringify({
    keyrings: [
      { path: join(KEYS, 'uploaders.gpg'), role: 'uploader' },
      { path: join(KEYS, 'dm.gpg'), role: 'dm' },
    ],
    dmTxt: join(KEYS, 'dm.txt'),
    fetch: { maxPackBytes: 4 * largest + 64 * MiB, maxObjectBytes: 64 * MiB, allowHttpLoopback: true },
  }),
);

const idle = await measured(process.execPath, ['-e', 'setTimeout(() => undefined, 1000)']);

interface Row {
  size: number;
  content: Content;
  orig: number;
  made: Made;
  verify: Peak;
  verdict: string;
  load: string;
}
const rows: Row[] = [];
try {
  for (const { size, content } of uploads) {
    const made = await upload(size, content);
    const { dsc, tag } = JSON.parse(readFileSync(join(made.dir, 'upload.json'), 'utf8')) as { dsc: string; tag: string };
    const name = `t2u-large-${content}-${size / MiB}.git`;
    symlinkSync(join(made.dir, 't2u-large.git'), join(repos, name));
    const orig = readdirSync(join(made.dir, 'upload'))
      .filter((n) => n.includes('.orig.'))
      .reduce((n, f) => n + statSync(join(made.dir, 'upload', f)).size, 0);
    const before = load();
    process.stderr.write(`verifying ${mib(size)} of ${content} (load ${before})\n`);
    const verify = await measured(
      process.execPath,
      [
        join(ROOT, 'bin/t2u-verify.js'),
        'verify',
        '--repo',
        `${server.url}/${name}`,
        '--tag',
        tag,
        '--upload',
        join(made.dir, 'upload', dsc),
        '--upload-keyring',
        join(ROOT, 'fixtures/uploads/service-key/tag2upload-test.gpg'),
        '--config',
        config,
        '--allow-http',
        '--timeout',
        '3600',
        '--json',
        '--no-progress',
      ],
      // The work directories' default limit is 64 times the upload's files,
      // at least 1 GiB: text content compresses 200-fold, and the rebuild
      // holds the checkout, dgit's unpacked orig and dpkg-source's, each as
      // large as the content (4 GiB was too little for 1 GiB).
      { ...process.env, T2U_SANDBOX_WORK_FLOOR: String(6 * size + 1024 * MiB) },
    );
    const timelineFile = join(CACHE, `timeline-${content}-${size / MiB}.json`);
    writeFileSync(timelineFile, JSON.stringify(verify.timeline, null, 1));
    verify.timeline = undefined;
    process.stderr.write(`the peak per ${TIMELINE_MS / 1000} s: ${timelineFile}\n`);
    let verdict = `exit ${verify.code}`;
    try {
      const report = JSON.parse(verify.stdout) as {
        verdict: string;
        reasons: { code: string }[];
        reconstruction?: { toolchains: { name: string; status: string; detail?: string }[] };
      };
      verdict = report.verdict;
      // The second toolchain's outcome, which a verdict does not show when it did not run to the end.
      const second = report.reconstruction?.toolchains.find((t) => t.name === 'typescript');
      if (second && second.status !== 'agrees') verdict += `, typescript ${second.status}: ${second.detail ?? ''}`;
      if (report.verdict !== 'reproduced') {
        verdict += ` (${[...new Set(report.reasons.map((r) => r.code))].join(', ')})`;
        writeFileSync(join(CACHE, `verify-${content}-${size / MiB}.json`), verify.stdout);
        process.stderr.write(`the report: ${join(CACHE, `verify-${content}-${size / MiB}.json`)}\n`);
      }
    } catch {
      process.stderr.write(verify.stderr.slice(-2000));
    }
    rows.push({ size, content, orig, made, verify, verdict, load: `${before} → ${load()}` });
  }
} finally {
  await server.close();
  rmSync(scratch, { recursive: true, force: true });
}

const perCommand = (p: Peak): string =>
  Object.entries(p.byCommand)
    .filter(([, n]) => n >= 4 * MiB)
    .sort((a, b) => b[1] - a[1])
    .map(([c, n]) => `${c} ${mib(n)}`)
    .join(', ');
console.log(
  `\npeak memory of a whole verify (CLI: node and every sandboxed process, resident sets summed, plus the files in the sandboxes' tmpfs), sampled every ${SAMPLE_MS} ms; load ${load()}`,
);
console.log(`baseline: an idle node (node -e, 1 s) peaks at ${mib(idle.node)} resident`);
console.log(
  '| upstream content | orig (compressed) | verify: whole peak | processes | node | sandbox tmpfs | whole / content | Shmem rise (machine) | verify wall | load | verdict | making the upload (reference tools): whole peak |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${mib(r.size)} ${r.content} | ${mib(r.orig)} | ${mib(r.verify.whole)} | ${mib(r.verify.tree)} | ${mib(r.verify.node)} | ${mib(r.verify.tmpfs)} | ${(r.verify.whole / r.size).toFixed(2)} | ${mib(r.verify.shmemRise)} | ${(r.verify.wallMs / 1000).toFixed(0)} s | ${r.load} | ${r.verdict} | ${mib(r.made.make.whole)}${r.made.kept ? ' (kept)' : ''} |`,
  );
}
console.log('\nat the whole peak (resident by command, tmpfs):');
for (const r of rows) console.log(`- ${mib(r.size)} ${r.content}: verify: ${r.verify.atPeak}; making the upload: ${r.made.make.atPeak}`);
console.log("\neach command's own peak (its processes summed, at any time):");
for (const r of rows)
  console.log(`- ${mib(r.size)} ${r.content}: verify: ${perCommand(r.verify)}; making the upload: ${perCommand(r.made.make)}`);
console.log("\neach large process's own peak (what it ran ← who ran it), verify:");
for (const r of rows)
  console.log(
    `- ${mib(r.size)} ${r.content}: ${Object.entries(r.verify.byProcess ?? {})
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([d, n]) => `${d} ${mib(n)}`)
      .join(', ')}`,
  );
console.log('\nthe uploads were made:');
for (const r of rows) console.log(`- ${mib(r.size)} ${r.content}: ${r.made.made}${r.made.kept ? ' (kept)' : ''}`);
const text = rows.filter((r) => r.content === 'text');
if (text.length >= 2) {
  const [a, b] = [text[0]!, text[text.length - 1]!];
  console.log(
    `\ntext: content ×${(b.size / a.size).toFixed(1)} → verify whole peak ×${(b.verify.whole / a.verify.whole).toFixed(2)}, node peak ×${(b.verify.node / a.verify.node).toFixed(2)}`,
  );
}
