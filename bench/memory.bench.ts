// Peak memory of a whole `verify`, as a user runs it (the CLI, the
// repository over loopback smart HTTP, the upload a local .dsc), for
// packages of several sizes: does it grow with the package? For each size,
// bench/lib/large-upload.sh makes a real upload whose orig is about that
// large (incompressible data: git deborig and dgit build-source with the
// reference tools, in the trixie builder rootfs), then the CLI verifies it
// while the process tree (node and every sandboxed process: bwrap, git, dgit,
// dpkg-source, xz, tar) is sampled from /proc every SAMPLE_MS: the peak of
// the summed resident sets is reported beside node's own peak (VmHWM), the
// orig's size (the baseline: what a buffering verifier would hold at least
// once), and the peak of the tree that made the upload with the reference
// tools, sampled the same way. Files in each sandbox's tmpfs (/work and
// /tmp: the rebuild's checkout, the content check's unpacked trees) are
// memory in no process's resident set, charged to the sandbox's memory
// cgroup: they are counted through statfs of /proc/PID/root/{work,tmp}, once
// per mount namespace, and added to the resident sets in the same sample for
// the whole peak (the rise of the kernel's Shmem counter is printed too; it
// is machine-wide, so other work on the machine shows in it). The load
// average is printed, and an idle node's peak as the baseline.
// Usage: npx tsx bench/memory.bench.ts [--sizes 16,64] (MiB of orig content; 64,1024 for the 1 GiB figure)
// Needs about 6× the largest size free under /tmp (checked first).
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGitHttpServer } from '../test/helpers/git-http-server.js';

const MiB = 1024 ** 2;
const SAMPLE_MS = 100;
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const sizes = (arg('--sizes') ?? '16,64').split(',').map((s) => Number(s) * MiB);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const KEYS = join(ROOT, 'fixtures/keys/keyrings');
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

const free = statfsSync(tmpdir());
const need = 6 * Math.max(...sizes);
if (free.bavail * free.bsize < need)
  throw new Error(`${tmpdir()} has ${((free.bavail * free.bsize) / MiB).toFixed(0)} MiB free; the bench needs about ${need / MiB} MiB`);

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

function status(pid: number, field: 'VmRSS' | 'VmHWM'): number {
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
  wallMs: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command and samples its process tree until it exits. */
function measured(file: string, args: string[], cwd = ROOT): Promise<Peak> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const shmemBefore = shmem();
    const child = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let whole = 0;
    let peak = 0;
    let nodePeak = 0;
    let tmpfsPeak = 0;
    let shmemPeak = shmemBefore;
    let atPeak = '';
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
      let rss = 0;
      for (const p of pids) {
        const r = status(p, 'VmRSS');
        rss += r;
        const c = comm(p);
        byComm.set(c, (byComm.get(c) ?? 0) + r);
      }
      const tmpfs = sandboxTmpfs(pids);
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
        wallMs: performance.now() - started,
        code,
        stdout,
        stderr,
      });
    });
  });
}

const mib = (n: number): string => `${(n / MiB).toFixed(0)} MiB`;
const scratch = mkdtempSync(join(tmpdir(), 't2u-bench-memory-'));
chmodSync(scratch, 0o755);
execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
const repos = join(scratch, 'repos');
execFileSync('mkdir', ['-p', repos]);
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
    fetch: { maxPackBytes: 4 * Math.max(...sizes) + 64 * MiB, maxObjectBytes: 64 * MiB, allowHttpLoopback: true },
  }),
);

const idle = await measured(process.execPath, ['-e', 'setTimeout(() => undefined, 1000)']);

interface Row {
  size: number;
  orig: number;
  make: Peak;
  verify: Peak;
  verdict: string;
}
const rows: Row[] = [];
try {
  for (const size of sizes) {
    const out = join(scratch, `${size / MiB}`);
    process.stderr.write(`making an upload with ${mib(size)} of upstream content (load ${load()})\n`);
    const make = await measured('bash', [join(ROOT, 'bench/lib/large-upload.sh'), String(size), out]);
    if (make.code !== 0) throw new Error(`large-upload.sh failed: ${make.stderr}`);
    const { dsc, tag } = JSON.parse(readFileSync(join(out, 'upload.json'), 'utf8')) as { dsc: string; tag: string };
    execFileSync('mv', [join(out, 't2u-large.git'), join(repos, `t2u-large-${size / MiB}.git`)]);
    const orig = readdirSync(join(out, 'upload'))
      .filter((n) => n.includes('.orig.'))
      .reduce((n, f) => n + statSync(join(out, 'upload', f)).size, 0);
    process.stderr.write(`verifying it (load ${load()})\n`);
    const verify = await measured(process.execPath, [
      join(ROOT, 'bin/t2u-verify.js'),
      'verify',
      '--repo',
      `${server.url}/t2u-large-${size / MiB}.git`,
      '--tag',
      tag,
      '--upload',
      join(out, 'upload', dsc),
      '--upload-keyring',
      join(ROOT, 'fixtures/uploads/service-key/tag2upload-test.gpg'),
      '--config',
      config,
      '--allow-http',
      '--timeout',
      '3600',
      '--json',
      '--no-progress',
    ]);
    let verdict = `exit ${verify.code}`;
    try {
      verdict = (JSON.parse(verify.stdout) as { verdict: string }).verdict;
    } catch {
      process.stderr.write(verify.stderr.slice(-2000));
    }
    rows.push({ size, orig, make, verify, verdict });
    rmSync(out, { recursive: true, force: true });
    rmSync(join(repos, `t2u-large-${size / MiB}.git`), { recursive: true, force: true });
  }
} finally {
  await server.close();
  rmSync(scratch, { recursive: true, force: true });
}

console.log(
  `\npeak memory of a whole verify (CLI: node and every sandboxed process, resident sets summed, plus the files in the sandboxes' tmpfs), sampled every ${SAMPLE_MS} ms; load ${load()}`,
);
console.log(`baseline: an idle node (node -e, 1 s) peaks at ${mib(idle.node)} resident`);
console.log(
  '| upstream content | orig | verify: whole peak | processes | node | sandbox tmpfs | whole / orig | Shmem rise (machine) | verify wall | verdict | making the upload (reference tools): whole peak |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${mib(r.size)} | ${mib(r.orig)} | ${mib(r.verify.whole)} | ${mib(r.verify.tree)} | ${mib(r.verify.node)} | ${mib(r.verify.tmpfs)} | ${(r.verify.whole / r.orig).toFixed(2)} | ${mib(r.verify.shmemRise)} | ${(r.verify.wallMs / 1000).toFixed(0)} s | ${r.verdict} | ${mib(r.make.whole)} |`,
  );
}
console.log('\nat the whole peak (resident by command, tmpfs):');
for (const r of rows) console.log(`- ${mib(r.size)}: verify: ${r.verify.atPeak}; making the upload: ${r.make.atPeak}`);
if (rows.length >= 2) {
  const [a, b] = [rows[0]!, rows[rows.length - 1]!];
  console.log(
    `\norig ×${(b.orig / a.orig).toFixed(1)} → verify whole peak ×${(b.verify.whole / a.verify.whole).toFixed(2)}, node peak ×${(b.verify.node / a.verify.node).toFixed(2)}`,
  );
}
