// End-to-end verify time against the reference builder, per upload fixture:
// (a) the steps tag2upload's builder runs for the tag (fixtures/uploads/lib/
// build.sh: git init, dgit setup-gitattributes, git fetch of the tag from the
// origin repository, git deborig when the tag names an upstream commit, dgit
// build-source in builder mode, whose quilt fixup makes the dgit view) in one
// sandbox on the trixie rootfs, timed inside it step by step and from outside
// (sandbox start included); (b) `verify()` end to end, the repository served
// by a loopback smart-HTTP git server and the upload a local .dsc path;
// (c) the split of (b) from report.timings. Medians of N runs, (a) and (b)
// interleaved so both see the same machine load; the load average is printed.
// Usage: npx tsx bench/verify.bench.ts [--runs N] [--cases gbp,native,...] [--profiles trixie,...]
// (--profiles: the builder profiles verify tries, in order; default its own order by the .dsc signature's date)
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load.js';
import { openRepository } from '../src/pipeline/open-repository.js';
import { loadTrust } from '../src/pipeline/trust.js';
import { profileByName } from '../src/reconstruct/profiles.js';
import { verify, type VerifyDeps } from '../src/pipeline/verify.js';
import { runSandboxed } from '../src/sandbox/launcher.js';
import { ensureRootfs } from '../src/sandbox/rootfs.js';
import { startGitHttpServer } from '../test/helpers/git-http-server.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const runs = Number(arg('--runs')) || 3;
const caseNames = (arg('--cases') ?? 'gbp,native,new-upstream,linear').split(',');

const ROOT = fileURLToPath(new URL('..', import.meta.url));
interface Upload {
  case: string; kind: string; source: string; tag: string; bundle: string; dir: string; dsc: string;
  quiltMode: string | null; upstreamTag: string | null; upstreamCommit: string | null;
}
const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/uploads/manifest.json'), 'utf8')) as { serviceKey: { keyring: string }; uploads: Upload[] };
const cases = caseNames.map((c) => {
  const u = manifest.uploads.find((x) => x.case === c);
  if (!u) throw new Error(`no upload fixture ${c}`);
  return u;
});
const KEYS = join(ROOT, 'fixtures/keys/keyrings');
const rootfs = await ensureRootfs('trixie');
const scratch = mkdtempSync(join(tmpdir(), 't2u-bench-verify-'));
// The sandbox user (when run as root) reads the origin repositories.
chmodSync(scratch, 0o755);
const repos = join(scratch, 'repos');
mkdirSync(repos);
for (const u of cases) execFileSync('git', ['clone', '-q', '--mirror', join(ROOT, u.bundle), join(repos, `${u.case}.git`)]);
const server = await startGitHttpServer({ root: repos });

const config = await loadConfig(undefined, {
  keyrings: [{ path: join(KEYS, 'uploaders.gpg'), role: 'uploader' }, { path: join(KEYS, 'dm.gpg'), role: 'dm' }],
  dmTxt: join(KEYS, 'dm.txt'),
  fetch: { timeoutMs: 60_000, maxPackBytes: 64 << 20, maxObjectBytes: 64 << 20, maxRefsBytes: 1 << 20, allowHttpLoopback: true },
});
const trust = await loadTrust(config);
const deps: VerifyDeps = {
  openRepository: (r) => openRepository(r, config),
  keyrings: trust.keyrings, dm: trust.dm, policy: trust.policy,
  uploadKeyring: join(ROOT, manifest.serviceKey.keyring),
  // Each profile's own rootfs (cached images; forky's for forky profiles).
  rootfsFor: (name) => ensureRootfs(name),
  buildTimeoutMs: 300_000,
  tmpDir: scratch,
  ...(arg('--profiles') ? { profiles: arg('--profiles')!.split(',').map((n) => profileByName(n) ?? (() => { throw new Error(`no profile ${n}`); })()) } : {}),
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

interface Reference { wall: number; inside: number; fetch: number; deborig: number; build: number }

/**
 * The reference builder's steps for the tag, as build.sh runs them (the
 * origin is the case's bare repository, bound read-only; the service fetches
 * it over the network instead). Step times are taken inside the sandbox.
 */
async function reference(u: Upload): Promise<Reference> {
  const dir = mkdtempSync(join(scratch, 'ref-'));
  const quilt = u.quiltMode ? [`--quilt=${u.quiltMode}`, ...(u.quiltMode.includes('baredebian') ? [`--upstream-commitish=refs/tags/${u.upstreamTag}`] : [])] : [];
  const up = [...(u.upstreamTag ? [`--tag2upload-upstream=${u.upstreamTag}`] : []), ...(u.upstreamCommit ? [`--tag2upload-upstream-commit=${u.upstreamCommit}`] : [])];
  const dg = `dgit -wn -p${u.source} --build-products-dir=../bpd`;
  const script = [
    'set -eu', 'umask 022', 'now() { date +%s%N; }',
    't0=$(now)', 'mkdir -p pg/work pg/bpd', 'cd pg/work', 'git init -q',
    `${dg} setup-gitattributes >/dev/null`, 'git remote add origin /origin.git',
    `git fetch -q origin --no-tags refs/tags/${u.tag}:refs/tags/${u.tag}${u.upstreamTag ? ` refs/tags/${u.upstreamTag}:refs/tags/${u.upstreamTag}` : ''}`,
    `git checkout -q refs/tags/${u.tag}`,
    't1=$(now)',
    u.upstreamCommit ? `git deborig ${u.upstreamCommit} >/dev/null` : ':',
    't2=$(now)',
    `${dg} -d debian --since-version=_ ${[...quilt, ...up].join(' ')} --tag2upload-builder-mode --split-view=always --new --trust-changelog --dgit-view-save=refs/heads/t2u-dgit-view build-source >../build.log 2>&1 || { cat ../build.log >&2; exit 1; }`,
    't3=$(now)',
    'echo $((t3 - t0)) $((t1 - t0)) $((t2 - t1)) $((t3 - t2))',
  ].join('\n');
  const t0 = performance.now();
  const r = await runSandboxed({
    argv: ['sh', '-c', script], rootfs, workDir: dir, timeoutMs: 300_000,
    readOnly: [{ host: join(repos, `${u.case}.git`), inside: '/origin.git' }],
    env: { GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@invalid', GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@invalid' },
  });
  const wall = performance.now() - t0;
  rmSync(dir, { recursive: true, force: true });
  if (r.exitCode !== 0) throw new Error(`${u.case}: reference build failed: ${r.stderr.toString()}`);
  const [inside, fetch, deborig, build] = r.stdout.toString().trim().split(' ').map((x) => Number(x) / 1e6) as [number, number, number, number];
  return { wall, inside, fetch, deborig, build };
}

async function verifyOnce(u: Upload): Promise<{ wall: number; timings: Record<string, number>; attempts: string }> {
  const t0 = performance.now();
  const r = await verify({ repo: `${server.url}/${u.case}.git`, tag: u.tag, upload: { kind: 'dsc-path', path: join(ROOT, u.dir, u.dsc) } }, deps);
  const wall = performance.now() - t0;
  if (r.verdict !== 'reproduced' && r.verdict !== 'equivalent') {
    throw new Error(`${u.case}: ${r.verdict} ${r.reasons.map((x) => `${x.code} ${x.message}`).join('; ')}`);
  }
  const attempts = (r.reconstruction?.attempts ?? []).map((a) => `${a.profile}:${a.outcome}:${a.durationMs}${a.stepsMs ? `(${Object.entries(a.stepsMs).map(([k, v]) => `${k}=${v}`).join(' ')})` : ''}`).join(',');
  return { wall, timings: r.timings, attempts };
}

const startups: number[] = [];
for (let i = 0; i < 5; i++) startups.push((await runSandboxed({ argv: ['true'], rootfs, timeoutMs: 30_000 })).durationMs);

console.log(`load average at start: ${load()}`);
console.log(`sandbox start-up (true under bwrap, trixie rootfs): median ${median(startups).toFixed(1)} ms over ${startups.length}`);
console.log(`runs per case: ${runs}; medians in ms`);

const SPLIT = ['fetchMs', 'signatureMs', 'metadataMs', 'integrityMs', 'obtainMs', 'bindingMs', 'contentMs', 'bitsMs', 'diffMs', 'secondToolchainMs'];
const rows: string[][] = [];
const splits: string[][] = [];
for (const u of cases) {
  const refs: Reference[] = [];
  const vers: { wall: number; timings: Record<string, number>; attempts: string }[] = [];
  // One warm-up of each (page cache, first start of the rootfs), not counted.
  await reference(u);
  await verifyOnce(u);
  for (let i = 0; i < runs; i++) {
    refs.push(await reference(u));
    vers.push(await verifyOnce(u));
  }
  const m = (f: (r: Reference) => number): number => median(refs.map(f));
  const a = m((r) => r.wall);
  const b = median(vers.map((v) => v.wall));
  rows.push([u.case, a.toFixed(0), m((r) => r.inside).toFixed(0), m((r) => r.fetch).toFixed(0), m((r) => r.deborig).toFixed(0), m((r) => r.build).toFixed(0),
    b.toFixed(0), (b / a).toFixed(2)]);
  const keys = [...SPLIT, ...Object.keys(vers[0]!.timings).filter((k) => !SPLIT.includes(k) && k !== 'totalMs')];
  // contentMs runs alongside bitsMs (verify starts both at once): not added.
  const accounted = median(vers.map((v) => keys.filter((k) => k !== 'contentMs').reduce((s, k) => s + (v.timings[k] ?? 0), 0)));
  splits.push([u.case, ...keys.map((k) => `${k.replace(/Ms$/, '')}=${median(vers.map((v) => v.timings[k] ?? 0)).toFixed(0)}`), `other=${(b - accounted).toFixed(0)}`, `attempts(last run)=${vers.at(-1)!.attempts}`]);
  console.error(`${u.case} done (load ${load()})`);
}

const table = (head: string[], body: string[][]): void => {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  console.log(head.map((h, i) => h.padStart(w[i]!)).join('  '));
  for (const r of body) console.log(r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  '));
};
console.log('\n(a) reference builder (wall: sandbox included; inside: the steps; fetch = init+gitattributes+fetch+checkout), (b) verify end to end');
table(['case', '(a) wall', '(a) inside', 'fetch', 'deborig', 'build-source', '(b) verify', '(b)/(a)'], rows);
console.log('\n(c) split of (b), report.timings medians (content runs alongside bits; other: (b) less every timing but content, e.g. preparing the build source, clean-up)');
for (const s of splits) console.log(`${s[0]!.padEnd(13)} ${s.slice(1).join('  ')}`);
console.log(`\nload average at end: ${load()}`);

await server.close();
rmSync(scratch, { recursive: true, force: true });
