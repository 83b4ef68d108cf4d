// A decompression bomb in a real build: an orig of a few hundred KB that
// unpacks to far more than the sandbox's work directory may hold. dgit and
// dpkg-source unpack it in /work (a size-limited filesystem: a disk volume
// as root, else a tmpfs), run out of room, and the build ends WORK_QUOTA_EXCEEDED, quickly, having written on the
// host no more than the limit. The honest orig, under the same limit, builds.
import { execFileSync } from 'node:child_process';
import { chmod, copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { buildFromTree } from '../../src/reconstruct/build.js';
import { profileByName } from '../../src/sandbox/builder-profiles.js';
import { copyOutCap, treeBytes } from '../../src/sandbox/work-quota.js';
import { REPO_ROOT, uploadCase } from './upload-fixtures.js';
import { builderWork } from '../helpers/scratch-dir.js';

const LIMIT = 64 * 1024 ** 2;
const BOMB = 512 * 1024 ** 2;
let tree: string;
let honestOrig: string;
let bomb: string;

const work = builderWork('t2u-work-quota-test-');
beforeAll(async () => {
  const u = uploadCase('existing-orig');
  const dir = join(work.dir, 'upload');
  await mkdir(dir);
  for (const f of await readdir(join(REPO_ROOT, u.dir))) await copyFile(join(REPO_ROOT, u.dir, f), join(dir, f));
  const r = await work.sandbox.run({ argv: ['dpkg-source', '-x', u.dsc, 'tree'], workDir: dir, keep: ['tree'], timeoutMs: 60_000 });
  expect(r.exitCode, r.stderr.toString()).toBe(0);
  tree = join(dir, 'tree');
  const origName = u.dscFiles.find((f) => f.name.includes('.orig.'))!.name;
  honestOrig = join(dir, origName);
  // The bomb: the orig's top directory holding one file of zeros, gzip -9 (about 500 KB).
  await mkdir(join(work.dir, 'bomb'));
  bomb = join(work.dir, 'bomb', origName);
  execFileSync('python3', [
    '-c',
    [
      'import sys, tarfile, io',
      'class Zeros(io.RawIOBase):',
      '    def __init__(self, n): self.n = n',
      '    def readable(self): return True',
      '    def readinto(self, b):',
      '        k = min(len(b), self.n); b[:k] = bytes(k); self.n -= k; return k',
      `with tarfile.open(sys.argv[1], 'w:gz', compresslevel=9) as t:`,
      `    info = tarfile.TarInfo('t2u-existing-1.0/zeros'); info.size = ${BOMB}`,
      `    t.addfile(info, io.BufferedReader(Zeros(${BOMB})))`,
    ].join('\n'),
    bomb,
  ]);
}, 300_000);

async function build(
  orig: string,
  tmpDir: string,
): Promise<{ result: Awaited<ReturnType<typeof buildFromTree>>; peakHostBytes: number; ms: number }> {
  await mkdir(tmpDir);
  await chmod(tmpDir, 0o755);
  let peak = 0;
  const sample = setInterval(() => {
    void treeBytes(tmpDir).then(
      (n) => (peak = Math.max(peak, n)),
      () => undefined,
    );
  }, 100);
  const started = performance.now();
  const saved = process.env.T2U_SANDBOX_WORK_FLOOR;
  process.env.T2U_SANDBOX_WORK_FLOOR = String(LIMIT);
  try {
    const result = await buildFromTree({
      tree,
      fields: {},
      existingOrigs: [orig],
      profile: profileByName('trixie')!,
      sandbox: work.sandbox,
      timeoutMs: 300_000,
      tmpDir,
    });
    return { result, peakHostBytes: peak, ms: performance.now() - started };
  } finally {
    clearInterval(sample);
    if (saved === undefined) delete process.env.T2U_SANDBOX_WORK_FLOOR;
    else process.env.T2U_SANDBOX_WORK_FLOOR = saved;
  }
}

it('a decompression bomb in the orig ends WORK_QUOTA_EXCEEDED, quickly, writing at most the limit on the host', async () => {
  const { result, peakHostBytes, ms } = await build(bomb, join(work.dir, 'hostile'));
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(
    result.reasons.map((r) => r.code),
    result.log.slice(-3000),
  ).toEqual(['WORK_QUOTA_EXCEEDED']);
  expect(result.reasons[0]!.message).toContain(String(LIMIT));
  // Unbounded, the build writes the 512 MiB it unpacks (at least) before failing.
  expect(peakHostBytes).toBeLessThanOrEqual(copyOutCap(LIMIT));
  expect(ms).toBeLessThan(120_000);
  expect(await readdir(join(work.dir, 'hostile'))).toEqual([]);
}, 300_000);

it('the honest orig builds under the same limit', async () => {
  const { result } = await build(honestOrig, join(work.dir, 'honest'));
  expect(result.ok ? [] : result.reasons.map((r) => `${r.code}: ${r.message}`)).toEqual([]);
  if (result.ok) await result.cleanup();
}, 300_000);
