// The verifier's fetch stage (its own ref discovery, packs streamed into
// sandboxed `git index-pack --strict`) against git on the same loopback
// http-backend, ratios measured in the same run, with the load average:
// - single-tag shallow fetch vs `git fetch --depth 1` of the same tag, on a
//   tiny repository, on a large one made from a real Debian source package
//   and on a huge one: time and peak RSS (largest process of each tree);
// - two refs sharing a large history, fetched as `verify` does (the Debian
//   tag with its history, then the upstream tag with its history) vs
//   git fetching the same two refs in one go: bytes on the wire (every
//   response body the server sent) against the pack git receives, and time.
// Needs `npm run build` first (the CLI runs its bundle).
// Usage: npx tsx bench/fetch.bench.ts [--runs N] [--only small,large,huge,shared] [--no-huge]
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitHttpServer } from '../test/helpers/git-http-server.js';
import { numberOption, option } from './lib/args.js';

const runs = numberOption('--runs', 3);
const onlyList = option('--only');
const only = onlyList === undefined ? undefined : new Set(onlyList.split(','));
const wanted = (name: string): boolean => only === undefined || only.has(name);
const cache = join(process.env['T2U_BENCH_CACHE'] ?? join(tmpdir(), 't2u-bench-cache'));
mkdirSync(cache, { recursive: true });
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.org', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'inherit'],
  });

/** The bare repository `name` in the cache, made once by `build` in a scratch work tree. */
function cachedRepo(name: string, build: (work: string) => void): string {
  const bare = join(cache, 'repos', `${name}.git`);
  if (existsSync(bare)) return bare;
  const work = mkdtempSync(join(tmpdir(), `t2u-bench-${name}-`));
  build(work);
  mkdirSync(join(cache, 'repos'), { recursive: true });
  git(cache, 'clone', '-q', '--bare', work, bare);
  rmSync(work, { recursive: true, force: true });
  return bare;
}

/** A packaging repository: the tree committed once, tagged debian/<version>. */
function makeRepo(name: string, fill: (dir: string) => void): string {
  return cachedRepo(name, (work) => {
    fill(work);
    git(work, 'init', '-q', '-b', 'main');
    git(work, 'add', '-A');
    git(work, 'commit', '-qm', 'import');
    git(work, 'tag', '-a', '-m', 'release', 'debian/1.0-1');
  });
}

const small = makeRepo('small', (d) => {
  mkdirSync(join(d, 'debian'));
  writeFileSync(join(d, 'debian', 'changelog'), 'small (1.0-1) unstable; urgency=medium\n');
  for (let i = 0; i < 50; i++) writeFileSync(join(d, `file${i}.c`), `int f${i}(void) { return ${i}; }\n`.repeat(40));
});

// emacs: a real, large Debian source package (~27 MB .orig.tar.xz, thousands of files).
function emacsTree(d: string): void {
  const tarball = join(cache, 'emacs_28.2+1.orig.tar.xz');
  if (!existsSync(tarball))
    execFileSync('curl', ['-sSf', '-o', tarball, 'http://deb.debian.org/debian/pool/main/e/emacs/emacs_28.2+1.orig.tar.xz']);
  execFileSync('tar', ['-xf', tarball, '-C', d, '--strip-components=1']);
}
const large = wanted('large') ? makeRepo('emacs', emacsTree) : undefined;

/**
 * Upstream history (emacs imported, then two small upstream commits), the
 * upstream tag, and the packaging commit on top with the Debian tag: the
 * shape of a `--quilt=gbp` repository whose upstream tag shares nearly every
 * object with the Debian tag's tree.
 */
function makeSharedRepo(): string {
  return cachedRepo('shared', (work) => {
    emacsTree(work);
    git(work, 'init', '-q', '-b', 'main');
    git(work, 'add', '-A');
    git(work, 'commit', '-qm', 'import emacs 28.2');
    for (let i = 1; i <= 2; i++) {
      writeFileSync(join(work, 'README'), `emacs, upstream change ${i}\n`);
      git(work, 'commit', '-qam', `upstream change ${i}`);
    }
    git(work, 'tag', '-a', '-m', 'upstream 28.2', 'upstream/28.2');
    mkdirSync(join(work, 'debian'));
    writeFileSync(join(work, 'debian', 'changelog'), 'emacs (28.2-1) unstable; urgency=medium\n');
    git(work, 'add', '-A');
    git(work, 'commit', '-qm', 'packaging');
    git(work, 'tag', '-a', '-m', 'release', 'debian/28.2-1');
  });
}
const shared = wanted('shared') ? makeSharedRepo() : undefined;

// A repository whose pack is several hundred MB (incompressible data): the
// size at which isomorphic-git's in-memory indexing (5–6× the pack) would hurt.
const huge =
  process.argv.includes('--no-huge') || !wanted('huge')
    ? undefined
    : makeRepo('huge', (d) => {
        mkdirSync(join(d, 'debian'));
        writeFileSync(join(d, 'debian', 'changelog'), 'huge (1.0-1) unstable; urgency=medium\n');
        for (let i = 0; i < 30; i++) writeFileSync(join(d, `blob${i}.bin`), randomBytes(10 << 20));
      });

interface Sample {
  seconds: number;
  maxRssKiB: number;
  inProcessMs?: number;
}

/**
 * Wall time and the peak RSS of the largest process in the command's tree
 * (GNU time %M). Asynchronous: the loopback server runs in this process.
 */
function measure(argv: string[], cwd: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/time', ['-f', '%e %M', ...argv], { cwd, encoding: 'utf8', maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${argv.join(' ')} failed: ${stderr}`));
      const [secs, rss] = stderr.trim().split('\n').at(-1)!.split(' ');
      // fetch-one.mjs prints "<pack bytes> <in-process ms>".
      const inProcess = stdout.trim().split(' ')[1];
      resolve({ seconds: Number(secs), maxRssKiB: Number(rss), ...(inProcess ? { inProcessMs: Number(inProcess) } : {}) });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const server = await startGitHttpServer({ root: join(cache, 'repos') });
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
/** Response bytes the server sent for the requests from index `from` on. */
const wire = (from: number) => server.requests.slice(from).reduce((n, r) => n + r.bytesSent, 0);
const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
try {
  console.log(`runs per figure: ${runs} (median); load average at start ${load()}`);
  const repos: [string, string][] = [];
  if (wanted('small')) repos.push(['small', small]);
  if (large) repos.push(['large (emacs 28.2)', large]);
  if (huge) repos.push(['huge (300 MiB random)', huge]);
  for (const [label, bare] of repos) {
    const name = bare.split('/').at(-1)!;
    const url = `${server.url}/${name}`;
    const ours: Sample[] = [];
    const theirs: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      ours.push(await measure(['node', 'bench/fetch-one.mjs', url, 'debian/1.0-1'], process.cwd()));
      const dir = mkdtempSync(join(tmpdir(), 't2u-bench-git-'));
      git(dir, 'init', '-q');
      theirs.push(await measure(['git', 'fetch', '-q', '--depth', '1', url, 'refs/tags/debian/1.0-1:refs/tags/debian/1.0-1'], dir));
      rmSync(dir, { recursive: true, force: true });
    }
    const packBytes = await new Promise<number>((resolve, reject) =>
      execFile('node', ['bench/fetch-one.mjs', url, 'debian/1.0-1'], { encoding: 'utf8' }, (err, out) =>
        err ? reject(new Error(err.message)) : resolve(Number(out.trim().split(' ')[0])),
      ),
    );
    const inProc = median(ours.map((s) => s.inProcessMs ?? NaN)) / 1000;
    const t = median(ours.map((s) => s.seconds));
    const g = median(theirs.map((s) => s.seconds));
    const m = median(ours.map((s) => s.maxRssKiB));
    const gm = median(theirs.map((s) => s.maxRssKiB));
    console.log(
      `${label}: pack ${mib(packBytes)} | t2u-verify ${t.toFixed(2)} s, peak ${(m / 1024).toFixed(0)} MiB | ` +
        `git fetch --depth 1 ${g.toFixed(2)} s, peak ${(gm / 1024).toFixed(0)} MiB | time ratio ${(t / g).toFixed(2)}x ` +
        `(in-process fetch ${inProc.toFixed(2)} s: ${(inProc / g).toFixed(2)}x), peak RSS ratio ${(m / gm).toFixed(2)}x`,
    );
  }
  if (shared) {
    const url = `${server.url}/shared.git`;
    const tags = ['debian/28.2-1', 'upstream/28.2'];
    const ours: { s: Sample; wire: number }[] = [];
    const theirs: { s: Sample; wire: number; pack: number }[] = [];
    for (let i = 0; i < runs; i++) {
      let from = server.requests.length;
      const s = await measure(['node', 'bench/fetch-one.mjs', url, ...tags], process.cwd());
      ours.push({ s, wire: wire(from) });
      const dir = mkdtempSync(join(tmpdir(), 't2u-bench-git-'));
      git(dir, 'init', '-q', '--bare');
      from = server.requests.length;
      // unpackLimit=1 keeps git's pack as received, to give its size.
      const g = await measure(
        ['git', '-c', 'fetch.unpackLimit=1', 'fetch', '-q', '--no-tags', url, ...tags.map((t) => `refs/tags/${t}:refs/tags/${t}`)],
        dir,
      );
      const packDir = join(dir, 'objects', 'pack');
      const pack = execFileSync('find', [packDir, '-name', '*.pack', '-printf', '%s\n'], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .reduce((n, x) => n + Number(x), 0);
      theirs.push({ s: g, wire: wire(from), pack });
      rmSync(dir, { recursive: true, force: true });
    }
    const w = median(ours.map((o) => o.wire));
    const gw = median(theirs.map((o) => o.wire));
    const pack = median(theirs.map((o) => o.pack));
    const t = median(ours.map((o) => o.s.seconds));
    const g = median(theirs.map((o) => o.s.seconds));
    console.log(
      `two refs sharing history (emacs 28.2; the Debian tag with its history, then the upstream tag's, as verify fetches): ` +
        `t2u-verify ${mib(w)} on the wire in ${t.toFixed(2)} s | git fetching both refs at once ${mib(gw)} on the wire in ${g.toFixed(2)} s, pack ${mib(pack)} | ` +
        `wire ratio ${(w / gw).toFixed(3)}x, wire/pack ${(w / pack).toFixed(3)}x, time ratio ${(t / g).toFixed(2)}x`,
    );
  }
  console.log(`load average at end ${load()}`);
} finally {
  await server.close();
}
