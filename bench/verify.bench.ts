// End-to-end verify time against the reference builder, per upload fixture:
// (a) what the reference builder runs to make the upload (fixtures/uploads/
// lib/build.sh and make.sh: git init, dgit setup-gitattributes, git fetch of
// the tag from the origin repository, git deborig when the tag names an
// upstream commit, dgit build-source in builder mode with all its products,
// then the tag's signer, the three fields and debsign with the service key)
// in one sandbox, on the trixie rootfs (dgit 12.16, which made the fixtures)
// and on the forky one (dgit 17), timed inside it step by step and from
// outside (sandbox start included); (b) `t2u-verify verify` as a user runs
// it: the CLI (its bundle, bin/t2u-verify.js) in a process of its own (start-up included), Debian's
// real keyrings (the default, from the cache) with the fixtures' uploader
// keyring added by --keyring, the repository served by a loopback
// smart-HTTP git server, the upload a local .dsc path; as a ratio to (a) in
// trixie (the goal: ≤ 0.8), also as the median of each round's ratio to the
// trixie reference run just before it (the machine's speed drifts over
// minutes), to (a) in the rootfs of the profile that reproduced, and to both
// without the signing steps; (c) the split of (b)
// from its report's timings, and the time before the verification starts
// (start-up, configuration, keyrings). With --compiled, (d): (b) again from
// the compiled tree the bundle is made from (dist/cli/main.js), interleaved
// too. Medians of N runs, (a) and (b) interleaved so both see the same
// machine load; the load average is printed. --latency-ms MS: the git server
// answers each request MS later, as a forge across a network does (Salsa:
// each of the fetch's requests); the reference's fetch reads the repository
// locally and is not slowed, so the ratio to it then says less than the
// verify time itself, which shows what runs while the fetch waits.
// Needs `npm run build` first.
// Usage: npx tsx bench/verify.bench.ts [--runs N] [--cases gbp,native,...] [--compiled] [--latency-ms MS]
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { VerifyReport } from '../src/report/report.js';
import { runSandboxed } from '../src/sandbox/launcher.js';
import { ensureRootfs } from '../src/sandbox/rootfs.js';
import { startGitHttpServer } from '../test/helpers/git-http-server.js';
import { runBenchScript } from './lib/sandbox-script.js';
import { compiledCli } from './lib/compiled-cli.js';
import { fixtureVerifyArgs } from './lib/verify-args.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const runs = Number(arg('--runs')) || 3;
const caseNames = (arg('--cases') ?? 'gbp,native,new-upstream,linear').split(',');
const withCompiled = process.argv.includes('--compiled');
// Each request to the git server answered this much later, as a forge across a network answers (0: loopback as it is).
const latencyMs = Number(arg('--latency-ms') ?? 0);
if (!(Number.isInteger(latencyMs) && latencyMs >= 0)) throw new Error('--latency-ms takes a whole number of milliseconds');

const ROOT = fileURLToPath(new URL('..', import.meta.url));
interface Upload {
  case: string;
  kind: string;
  source: string;
  version: string;
  tag: string;
  bundle: string;
  dir: string;
  dsc: string;
  quiltMode: string | null;
  upstreamTag: string | null;
  upstreamCommit: string | null;
}
const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/uploads/manifest.json'), 'utf8')) as {
  serviceKey: { keyring: string };
  uploads: Upload[];
};
const cases = caseNames.map((c) => {
  const u = manifest.uploads.find((x) => x.case === c);
  if (!u) throw new Error(`no upload fixture ${c}`);
  return u;
});
const rootfsByName = { trixie: await ensureRootfs('trixie'), forky: await ensureRootfs('forky') };
const rootfs = rootfsByName.trixie;
const scratch = mkdtempSync(join(tmpdir(), 't2u-bench-verify-'));
// The sandbox user (when run as root) reads the origin repositories and the keys.
chmodSync(scratch, 0o755);
// What the reference's signing steps read: the service's secret key, the uploader keyrings, the fields' Perl.
const keysDir = join(scratch, 'keys');
mkdirSync(keysDir);
for (const [from, to] of [
  ['fixtures/uploads/service-key/service.sec.asc', 'service.sec.asc'],
  ['fixtures/keys/keyrings/uploaders.gpg', 'uploaders.gpg'],
  ['fixtures/keys/keyrings/dm.gpg', 'dm.gpg'],
  ['fixtures/uploads/lib/add-fields.pl', 'add-fields.pl'],
] as const) {
  copyFileSync(join(ROOT, from), join(keysDir, to));
  chmodSync(join(keysDir, to), 0o644);
}
const serviceFpr = readFileSync(join(ROOT, 'fixtures/uploads/service-key/fingerprint'), 'utf8').trim();
const repos = join(scratch, 'repos');
mkdirSync(repos);
for (const u of cases) execFileSync('git', ['clone', '-q', '--mirror', join(ROOT, u.bundle), join(repos, `${u.case}.git`)]);
const server = await startGitHttpServer({ root: repos, ...(latencyMs > 0 ? { faults: { delayMs: latencyMs } } : {}) });

const BIN = join(ROOT, 'bin', 't2u-verify.js');
if (!existsSync(join(ROOT, 'dist', 'bundle', 'main.js'))) {
  process.stderr.write('verify.bench: build first (npm run build)\n');
  process.exit(2);
}
// What a user passes to verify a fixture upload (bench/lib/verify-args.ts).
const cliArgs = (u: Upload, bin: string): string[] => [
  bin,
  ...fixtureVerifyArgs(`${server.url}/${u.case}.git`, u.tag, join(ROOT, u.dir, u.dsc), 300),
];
const COMPILED = compiledCli(scratch);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

interface Reference {
  wall: number;
  inside: number;
  fetch: number;
  deborig: number;
  build: number;
  sign: number;
}

/**
 * The reference builder's steps for the tag, as fixtures/uploads/lib/build.sh
 * and make.sh run them to make the uploads: tag2upload_fetch (git init,
 * dgit setup-gitattributes, fetch, checkout; the origin is the case's bare
 * repository bound read-only, where the service fetches it over the
 * network), git deborig, dgit's builder-mode build-source with every product
 * (.dsc, .buildinfo, .git.tar.xz, .changes), then what makes it an upload:
 * the tag's signer by gpgv (the fixture uploader keyrings; the service reads
 * Debian's, which are larger), the fields (push_mktags' code path), and
 * debsign with the service key (imported before the clock starts). In
 * `rootfs` (trixie: dgit 12.16, as the fixtures were made; forky: dgit 17).
 * Step times are taken inside the sandbox.
 */
async function reference(u: Upload, rootfsName: 'trixie' | 'forky'): Promise<Reference> {
  const dir = mkdtempSync(join(scratch, 'ref-'));
  const rootfs = rootfsByName[rootfsName];
  const quilt = u.quiltMode
    ? [`--quilt=${u.quiltMode}`, ...(u.quiltMode.includes('baredebian') ? [`--upstream-commitish=refs/tags/${u.upstreamTag}`] : [])]
    : [];
  const opt = rootfsName === 'forky' ? '--t2u-upstream' : '--tag2upload-upstream';
  const up = [...(u.upstreamTag ? [`${opt}=${u.upstreamTag}`] : []), ...(u.upstreamCommit ? [`${opt}-commit=${u.upstreamCommit}`] : [])];
  const dg = `dgit -wn -p${u.source} --build-products-dir=../bpd`;
  const mver = u.version.replace(/^\d+:/, '');
  const script = [
    'set -eu',
    'umask 022',
    'now() { date +%s%N; }',
    'export GNUPGHOME=/work/gnupg',
    'mkdir -m 700 "$GNUPGHOME"',
    'gpg --batch --quiet --import /keys/service.sec.asc 2>/dev/null',
    't0=$(now)',
    'mkdir -p pg/work pg/bpd',
    'cd pg/work',
    'git init -q',
    `${dg} setup-gitattributes >/dev/null`,
    'git remote add origin /origin.git',
    `git fetch -q origin --no-tags refs/tags/${u.tag}:refs/tags/${u.tag}${u.upstreamTag ? ` refs/tags/${u.upstreamTag}:refs/tags/${u.upstreamTag}` : ''}`,
    `git checkout -q refs/tags/${u.tag}`,
    't1=$(now)',
    u.upstreamCommit ? `git deborig ${u.upstreamCommit} >/dev/null` : ':',
    't2=$(now)',
    `${dg} -d debian --since-version=_ ${[...quilt, ...up].join(' ')} --tag2upload-builder-mode --split-view=always --new --trust-changelog --dgit-view-save=refs/heads/t2u-dgit-view build-source >../build.log 2>&1 || { cat ../build.log >&2; exit 1; }`,
    't3=$(now)',
    'head=$(git rev-parse -q --verify refs/heads/t2u-dgit-view || git rev-parse HEAD)',
    `tagobj=$(git rev-parse refs/tags/${u.tag})`,
    `git cat-file tag refs/tags/${u.tag} > ../tag.raw`,
    "sed '/^-----BEGIN PGP SIGNATURE-----/,$d' ../tag.raw > ../tag.payload",
    "sed -n '/^-----BEGIN PGP SIGNATURE-----/,$p' ../tag.raw > ../tag.sig",
    'fpr=$(gpgv --status-fd 1 --keyring /keys/uploaders.gpg --keyring /keys/dm.gpg ../tag.sig ../tag.payload 2>/dev/null | awk \'$2 == "VALIDSIG" {print $3; exit}\')',
    "tagger=$(perl -ne 'if (/^tagger ([^\\n\\r]+ <[^<>\\s]+>) \\d+ [-+]\\d+$/) { print $1; exit } exit 1 if /^$/' ../tag.raw)",
    `perl /keys/add-fields.pl ../bpd/${u.source}_${mver}.dsc ../bpd/${u.source}_${mver}_source.changes "$head" ${u.source} ${u.version} "$tagobj" "$fpr" "$tagger"`,
    `debsign --no-conf -k${serviceFpr} ../bpd/${u.source}_${mver}_source.changes >../debsign.log 2>&1 || { cat ../debsign.log >&2; exit 1; }`,
    't4=$(now)',
    'gpgconf --kill all 2>/dev/null || true',
    'echo $((t4 - t0)) $((t1 - t0)) $((t2 - t1)) $((t3 - t2)) $((t4 - t3))',
  ].join('\n');
  const t0 = performance.now();
  const r = await runBenchScript(rootfs, dir, script, {
    readOnly: [
      { host: join(repos, `${u.case}.git`), inside: '/origin.git' },
      { host: keysDir, inside: '/keys' },
    ],
    env: { TZ: 'UTC', LC_ALL: 'C.UTF-8' },
  });
  const wall = performance.now() - t0;
  rmSync(dir, { recursive: true, force: true });
  if (r.exitCode !== 0) throw new Error(`${u.case}: reference build (${rootfsName}) failed: ${r.stderr.toString()}`);
  const [inside, fetch, deborig, build, sign] = r.stdout
    .toString()
    .trim()
    .split(' ')
    .map((x) => Number(x) / 1e6) as [number, number, number, number, number];
  return { wall, inside, fetch, deborig, build, sign };
}

/** The CLI as a user runs it (or `bin`): wall time from spawn to exit, and its report. */
function verifyOnce(u: Upload, bin = BIN): Promise<{ wall: number; timings: Record<string, number>; attempts: string; profile: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, cliArgs(u, bin), { cwd: scratch, maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const wall = performance.now() - t0;
      let r: VerifyReport;
      try {
        r = JSON.parse(stdout) as VerifyReport;
      } catch {
        reject(new Error(`${u.case}: the CLI printed no report (${err?.message ?? ''}): ${stderr}`));
        return;
      }
      if (r.verdict !== 'reproduced' && r.verdict !== 'equivalent') {
        reject(new Error(`${u.case}: ${r.verdict} ${r.reasons.map((x) => `${x.code} ${x.message}`).join('; ')}`));
        return;
      }
      const attempts = (r.reconstruction?.attempts ?? [])
        .map(
          (a) =>
            `${a.profile}:${a.outcome}:${a.durationMs}${
              a.stepsMs
                ? `(${Object.entries(a.stepsMs)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(' ')})`
                : ''
            }`,
        )
        .join(',');
      // Before the verification: node's start-up, modules, configuration, keyrings; after it: rendering and exit.
      const outside = wall - (r.timings['totalMs'] ?? 0);
      resolve({ wall, timings: { ...r.timings, outsideMs: outside }, attempts, profile: r.reconstruction?.profile ?? '?' });
    });
  });
}

const startups: number[] = [];
for (let i = 0; i < 5; i++) startups.push((await runSandboxed({ argv: ['true'], rootfs, timeoutMs: 30_000 })).durationMs);

console.log(`load average at start: ${load()}`);
console.log(`sandbox start-up (true under bwrap, trixie rootfs): median ${median(startups).toFixed(1)} ms over ${startups.length}`);
console.log(`runs per case: ${runs}; medians in ms`);
if (latencyMs > 0)
  console.log(
    `the git server answers each request ${latencyMs} ms late (--latency-ms): verify's fetch waits for it; the reference's reads the repository locally`,
  );

const SPLIT = [
  'outsideMs',
  'fetchMs',
  'signatureMs',
  'metadataMs',
  'integrityMs',
  'obtainMs',
  'bindingMs',
  'contentMs',
  'bitsMs',
  'diffMs',
  'secondToolchainMs',
];
const rows: string[][] = [];
const ratios: string[][] = [];
const splits: string[][] = [];
const compiledRows: string[][] = [];
for (const u of cases) {
  const refs: Record<'trixie' | 'forky', Reference[]> = { trixie: [], forky: [] };
  const vers: { wall: number; timings: Record<string, number>; attempts: string; profile: string }[] = [];
  // One warm-up of each (page cache, first start of the rootfs), not counted.
  await reference(u, 'trixie');
  await reference(u, 'forky');
  await verifyOnce(u);
  const compiled: typeof vers = [];
  if (withCompiled) await verifyOnce(u, COMPILED);
  for (let i = 0; i < runs; i++) {
    refs.trixie.push(await reference(u, 'trixie'));
    refs.forky.push(await reference(u, 'forky'));
    vers.push(await verifyOnce(u));
    if (withCompiled) compiled.push(await verifyOnce(u, COMPILED));
  }
  const m = (name: 'trixie' | 'forky', f: (r: Reference) => number): number => median(refs[name].map(f));
  const b = median(vers.map((v) => v.wall));
  for (const name of ['trixie', 'forky'] as const) {
    rows.push([
      u.case,
      name,
      m(name, (r) => r.wall).toFixed(0),
      m(name, (r) => r.inside).toFixed(0),
      m(name, (r) => r.fetch).toFixed(0),
      m(name, (r) => r.deborig).toFixed(0),
      m(name, (r) => r.build).toFixed(0),
      m(name, (r) => r.sign).toFixed(0),
    ]);
  }
  // The reference without its signing steps (fields, debsign), sandbox start included.
  const unsigned = (name: 'trixie' | 'forky'): number => median(refs[name].map((r) => r.wall - r.sign));
  const profile = vers.at(-1)!.profile;
  const same = profile.startsWith('forky') ? 'forky' : 'trixie';
  // Each round's verify against the reference run just before it: the machine's speed drifts over minutes, less within a round.
  const paired = vers.map((v, i) => v.wall / refs.trixie[i]!.wall);
  ratios.push([
    u.case,
    b.toFixed(0),
    profile,
    (b / m('trixie', (r) => r.wall)).toFixed(2),
    `${median(paired).toFixed(2)} (${Math.min(...paired).toFixed(2)}–${Math.max(...paired).toFixed(2)})`,
    (b / m(same, (r) => r.wall)).toFixed(2),
    (b / unsigned('trixie')).toFixed(2),
    (b / unsigned(same)).toFixed(2),
  ]);
  const keys = [...SPLIT, ...Object.keys(vers[0]!.timings).filter((k) => !SPLIT.includes(k) && k !== 'totalMs')];
  // contentMs runs alongside bitsMs (verify starts both at once), and obtainMs alongside fetchMs
  // (a .dsc path is obtained while the tag is fetched and checked): neither is added.
  const alongside = new Set(['contentMs', 'obtainMs']);
  const accounted = median(vers.map((v) => keys.filter((k) => !alongside.has(k)).reduce((s, k) => s + (v.timings[k] ?? 0), 0)));
  splits.push([
    u.case,
    ...keys.map((k) => `${k.replace(/Ms$/, '')}=${median(vers.map((v) => v.timings[k] ?? 0)).toFixed(0)}`),
    `other=${(b - accounted).toFixed(0)}`,
    `attempts(last run)=${vers.at(-1)!.attempts}`,
  ]);
  if (withCompiled) {
    const c = median(compiled.map((v) => v.wall));
    const outside = (vs: typeof vers): string => median(vs.map((v) => v.timings['outsideMs'] ?? 0)).toFixed(0);
    compiledRows.push([u.case, b.toFixed(0), c.toFixed(0), (b / c).toFixed(2), outside(vers), outside(compiled)]);
  }
  console.error(`${u.case} done (load ${load()})`);
}

const table = (head: string[], body: string[][]): void => {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  console.log(head.map((h, i) => h.padStart(w[i]!)).join('  '));
  for (const r of body) console.log(r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  '));
};
console.log(
  '\n(a) the reference builder in each rootfs (wall: sandbox included; inside: the steps; fetch = init+gitattributes+fetch+checkout; sign = signer, fields, debsign)',
);
table(['case', 'rootfs', 'wall', 'inside', 'fetch', 'deborig', 'build-source', 'sign'], rows);
console.log(
  "\n(b) t2u-verify verify as a user runs it (the CLI, Debian's keyrings), and its ratio to (a): in trixie (the fixtures' own; goal ≤ 0.8), the median (and range) of each round's ratio to the trixie reference run just before it, in the rootfs of the profile that reproduced, and to (a) without its signing steps",
);
table(['case', 'verify', 'profile', '/(a) trixie', 'paired (range)', '/(a) same', '/(a) trixie unsigned', '/(a) same unsigned'], ratios);
console.log(
  "\n(c) split of verify, medians: outside = the CLI's wall less its report's totalMs (start-up, configuration, keyrings, output); the rest from report.timings (content runs alongside bits, obtain alongside fetch; other: the CLI's wall less every timing but those two)",
);
for (const s of splits) console.log(`${s[0]!.padEnd(13)} ${s.slice(1).join('  ')}`);
if (withCompiled) {
  console.log('\n(d) verify from the bundle (b) and from the compiled tree (dist/cli/main.js), interleaved; outside as in (c)');
  table(['case', 'bundle', 'compiled', 'bundle/compiled', 'outside bundle', 'outside compiled'], compiledRows);
}
console.log(`\nload average at end: ${load()}`);

await server.close();
rmSync(scratch, { recursive: true, force: true });
