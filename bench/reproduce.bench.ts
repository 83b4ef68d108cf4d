// Reproduce time per package against dgit alone: for honest upload fixtures,
// `reproduce` (one profile: upload checks, signature, sandboxed fetch,
// checkout, git deborig, dgit build-source, fields, comparison) against
// dgit's builder-mode build-source by itself on the same checkout in the same
// rootfs (timed inside the sandbox around that one command), as a ratio in
// the same run; and the sandbox's start-up cost (`true` under bwrap).
// Usage: npx tsx bench/reproduce.bench.ts [--runs N]
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profileByName } from '../src/sandbox/builder-profiles.js';
import { reproduce } from '../src/reconstruct/reproduce.js';
import { ensureRootfs } from '../src/sandbox/rootfs.js';
import { bwrapSandbox } from '../src/sandbox/index.js';
import { SERVICE_KEYRING, bundleOf, dscOf, packageOf, uploadCase, type UploadCase } from '../test/reconstruct/upload-fixtures.js';
import { runSandboxed } from '../src/sandbox/launcher.js';
import { numberOption } from './lib/args.js';
import { runBenchScript } from './lib/sandbox-script.js';

const runs = numberOption('--runs', 3);
const cases = ['gbp', 'linear', 'baredebian', 'native'].map(uploadCase);
const profile = profileByName('trixie')!;
const rootfs = await ensureRootfs('trixie');
const scratch = mkdtempSync(join(tmpdir(), 't2u-bench-reproduce-'));
chmodSync(scratch, 0o755);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** dgit build-source alone: the playground is prepared first, then only dgit is timed (inside the sandbox, in ns). */
async function dgitAlone(u: UploadCase): Promise<number> {
  const dir = mkdtempSync(join(scratch, 'direct-'));
  copyFileSync(bundleOf(u), join(dir, 'repo.bundle'));
  const quilt = u.quiltMode
    ? [`--quilt=${u.quiltMode}`, ...(u.quiltMode === 'baredebian' ? [`--upstream-commitish=refs/tags/${u.upstreamTag}`] : [])]
    : [];
  const up = u.upstreamTag ? [`--tag2upload-upstream=${u.upstreamTag}`, `--tag2upload-upstream-commit=${u.upstreamCommit}`] : [];
  const script = [
    'set -eu',
    'umask 022',
    'mkdir -p pg/work pg/bpd',
    'cd pg/work',
    'git init -q',
    `git fetch -q /work/repo.bundle --no-tags refs/tags/${u.tag}:refs/tags/${u.tag}${u.upstreamTag ? ` refs/tags/${u.upstreamTag}:refs/tags/${u.upstreamTag}` : ''}`,
    `git checkout -q refs/tags/${u.tag}`,
    u.upstreamCommit ? `git deborig ${u.upstreamCommit} >/dev/null` : ':',
    'a=$(date +%s%N)',
    `dgit -wn --build-products-dir=../bpd -d debian --since-version=_ ${[...quilt, ...up].join(' ')} --tag2upload-builder-mode --split-view=always --new --trust-changelog build-source >/dev/null 2>&1`,
    'b=$(date +%s%N)',
    'echo $((b - a))',
  ].join('\n');
  const r = await runBenchScript(rootfs, dir, script);
  rmSync(dir, { recursive: true, force: true });
  if (r.exitCode !== 0) throw new Error(`${u.case}: direct dgit failed: ${r.stderr.toString()}`);
  return Number(r.stdout.toString().trim()) / 1e6;
}

async function reproduceOnce(u: UploadCase): Promise<number> {
  const t0 = performance.now();
  const r = await reproduce({
    from: { kind: 'git', repo: bundleOf(u), tag: u.tag },
    upload: await packageOf(dscOf(u)),
    uploadKeyring: SERVICE_KEYRING,
    profiles: [profile],
    sandboxFor: () => Promise.resolve(bwrapSandbox(rootfs)),
    timeoutMs: 300_000,
    tmpDir: scratch,
  });
  if (r.verdict !== 'reproduced' && r.verdict !== 'equivalent') throw new Error(`${u.case}: ${r.verdict} ${JSON.stringify(r.reasons)}`);
  return performance.now() - t0;
}

const startups: number[] = [];
for (let i = 0; i < 10; i++) {
  const r = await runSandboxed({ argv: ['true'], rootfs, timeoutMs: 30_000 });
  startups.push(r.durationMs);
}
console.log(`sandbox start-up (true under bwrap, trixie rootfs): median ${median(startups).toFixed(1)} ms over ${startups.length}`);
console.log(`runs per package: ${runs}; medians`);
console.log('package      reproduce ms   dgit build-source ms   ratio');
for (const u of cases) {
  const rep: number[] = [];
  const direct: number[] = [];
  for (let i = 0; i < runs; i++) {
    direct.push(await dgitAlone(u));
    rep.push(await reproduceOnce(u));
  }
  const a = median(rep);
  const b = median(direct);
  console.log(`${u.case.padEnd(12)} ${a.toFixed(0).padStart(12)}   ${b.toFixed(0).padStart(20)}   ${(a / b).toFixed(2)}`);
}
rmSync(scratch, { recursive: true, force: true });
