// What a decided mismatch costs against an honest verification: `verify()`
// end to end (local repository, the upload a .dsc path, every builder profile
// available in the default order) on each tampered upload fixture and on the
// honest upload of the same repository and tag, interleaved so both see the
// same machine load. Prints per pair the medians, the builds run and the
// profiles skipped, and the ratio tampered/honest; then the ratio of the
// sums. Before a decided mismatch stopped early, a tampered upload was built
// under every profile (five builds against the honest one's one).
// Usage: npx tsx bench/tampered.bench.ts [--runs N] [--cases tamper-debian-tar,...]
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { verify, type VerifyDeps } from '../src/pipeline/verify.js';
import { PROFILES } from '../src/sandbox/builder-profiles.js';
import { builderSandbox } from '../src/sandbox/index.js';
import { loadFixtureTrust } from '../test/helpers/fixture-keyrings.js';
import { MANIFEST, SERVICE_KEYRING, bundleOf, dscOf, type UploadCase } from '../test/reconstruct/upload-fixtures.js';
import { numberOption, option } from './lib/args.js';

const runs = numberOption('--runs', 1);

const wanted = option('--cases')?.split(',');
const tampered = MANIFEST.uploads.filter((u) => u.kind === 'tampered' && (!wanted || wanted.includes(u.case)));
/** The honest upload made from the same repository and tag as a tampered one. */
const honestOf = (t: UploadCase): UploadCase =>
  MANIFEST.uploads.find((u) => u.kind === 'honest' && u.bundle === t.bundle && u.tag === t.tag)!;

const scratch = mkdtempSync(join(tmpdir(), 't2u-bench-tampered-'));
chmodSync(scratch, 0o755);
const repos = join(scratch, 'repos');
mkdirSync(repos);
const repoOf = (u: UploadCase): string => join(repos, u.bundle.replace(/[^a-z0-9]+/gi, '-'));
for (const u of MANIFEST.uploads) if (!existsSync(repoOf(u))) execFileSync('git', ['clone', '-q', '--mirror', bundleOf(u), repoOf(u)]);

const deps: VerifyDeps = {
  ...(await loadFixtureTrust()).deps,
  uploadKeyring: SERVICE_KEYRING,
  sandboxFor: (name) => builderSandbox(name),
  buildTimeoutMs: 300_000,
  tmpDir: scratch,
};

interface Timed {
  ms: number;
  verdict: string;
  builds: number;
  skipped: number;
}

async function once(u: UploadCase): Promise<Timed> {
  const t0 = performance.now();
  const r = await verify({ repo: repoOf(u), tag: u.tag, upload: { kind: 'dsc-path', path: dscOf(u) } }, deps);
  const ms = performance.now() - t0;
  return { ms, verdict: r.verdict, builds: r.reconstruction?.attempts.length ?? 0, skipped: r.reconstruction?.skipped?.length ?? 0 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

try {
  // Warm the rootfs cache and the page cache: the first verification pays for both.
  await once(honestOf(tampered[0]!));
  console.log(
    `tampered vs honest verify(), ${runs} run(s) each, ${PROFILES.length} profiles; load average at start ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  let sumT = 0;
  let sumH = 0;
  for (const t of tampered) {
    const h = honestOf(t);
    const tt: Timed[] = [];
    const hh: Timed[] = [];
    for (let i = 0; i < runs; i++) {
      hh.push(await once(h));
      tt.push(await once(t));
    }
    const mt = median(tt.map((x) => x.ms));
    const mh = median(hh.map((x) => x.ms));
    sumT += mt;
    sumH += mh;
    const last = tt.at(-1)!;
    console.log(
      `${t.case.padEnd(26)} ${last.verdict.padEnd(9)} ${s(mt).padStart(7)} (${last.builds} build${last.builds === 1 ? '' : 's'}, ${last.skipped} skipped)  honest ${h.case} ${hh.at(-1)!.verdict} ${s(mh)} (${hh.at(-1)!.builds} build)  ratio ${(mt / mh).toFixed(2)}`,
    );
  }
  console.log(
    `all tampered / their honest counterparts: ${s(sumT)} / ${s(sumH)} = ${(sumT / sumH).toFixed(2)}; load average at end ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
