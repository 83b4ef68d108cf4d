// Single-tag shallow fetch: the verifier's fetch stage (isomorphic-git ref
// listing, pack streamed into sandboxed `git index-pack --strict`) against
// `git fetch --depth 1` of the same tag from the same loopback http-backend,
// on a small repository and on a large one made from a real Debian source
// package. Time and peak RSS (largest process of each command's tree) as
// ratios measured in the same run. Usage: npx tsx bench/fetch.bench.ts [--runs N]
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitHttpServer } from '../test/helpers/git-http-server.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 3;
const cache = join(process.env['T2U_BENCH_CACHE'] ?? join(tmpdir(), 't2u-bench-cache'));
mkdirSync(cache, { recursive: true });
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.org', ...args], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });

/** A packaging repository: the tree committed once, tagged debian/<version>. */
function makeRepo(name: string, fill: (dir: string) => void): string {
  const bare = join(cache, 'repos', `${name}.git`);
  if (existsSync(bare)) return bare;
  const work = mkdtempSync(join(tmpdir(), `t2u-bench-${name}-`));
  fill(work);
  git(work, 'init', '-q', '-b', 'main');
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', 'import');
  git(work, 'tag', '-a', '-m', 'release', 'debian/1.0-1');
  mkdirSync(join(cache, 'repos'), { recursive: true });
  git(cache, 'clone', '-q', '--bare', work, bare);
  rmSync(work, { recursive: true, force: true });
  return bare;
}

const small = makeRepo('small', (d) => {
  mkdirSync(join(d, 'debian'));
  writeFileSync(join(d, 'debian', 'changelog'), 'small (1.0-1) unstable; urgency=medium\n');
  for (let i = 0; i < 50; i++) writeFileSync(join(d, `file${i}.c`), `int f${i}(void) { return ${i}; }\n`.repeat(40));
});

// emacs: a real, large Debian source package (~27 MB .orig.tar.xz, thousands of files).
const large = makeRepo('emacs', (d) => {
  const tarball = join(cache, 'emacs_28.2+1.orig.tar.xz');
  if (!existsSync(tarball)) execFileSync('curl', ['-sSf', '-o', tarball, 'http://deb.debian.org/debian/pool/main/e/emacs/emacs_28.2+1.orig.tar.xz']);
  execFileSync('tar', ['-xf', tarball, '-C', d, '--strip-components=1']);
});

// A repository whose pack is several hundred MB (incompressible data): the
// size at which isomorphic-git's in-memory indexing (5–6× the pack) would hurt.
const huge = process.argv.includes('--no-huge')
  ? undefined
  : makeRepo('huge', (d) => {
      mkdirSync(join(d, 'debian'));
      writeFileSync(join(d, 'debian', 'changelog'), 'huge (1.0-1) unstable; urgency=medium\n');
      for (let i = 0; i < 30; i++) writeFileSync(join(d, `blob${i}.bin`), randomBytes(10 << 20));
    });

interface Sample { seconds: number; maxRssKiB: number; inProcessMs?: number }

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
try {
  console.log(`runs per figure: ${runs} (median)`);
  const repos: [string, string][] = [['small', small], ['large (emacs 28.2)', large]];
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
      execFile('node', ['bench/fetch-one.mjs', url, 'debian/1.0-1'], { encoding: 'utf8' }, (err, out) => (err ? reject(new Error(err.message)) : resolve(Number(out.trim().split(' ')[0])))),
    );
    const inProc = median(ours.map((s) => s.inProcessMs ?? NaN)) / 1000;
    const t = median(ours.map((s) => s.seconds));
    const g = median(theirs.map((s) => s.seconds));
    const m = median(ours.map((s) => s.maxRssKiB));
    const gm = median(theirs.map((s) => s.maxRssKiB));
    console.log(
      `${label}: pack ${(packBytes / 1048576).toFixed(1)} MiB | t2u-verify ${t.toFixed(2)} s, peak ${(m / 1024).toFixed(0)} MiB | ` +
        `git fetch --depth 1 ${g.toFixed(2)} s, peak ${(gm / 1024).toFixed(0)} MiB | time ratio ${(t / g).toFixed(2)}x ` +
        `(in-process fetch ${inProc.toFixed(2)} s: ${(inProc / g).toFixed(2)}x), peak RSS ratio ${(m / gm).toFixed(2)}x`,
    );
  }
} finally {
  await server.close();
}
