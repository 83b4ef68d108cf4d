// The work directory's size limit: /work is a filesystem of the given size
// (a loop-mounted disk volume as root, else a tmpfs; both are tested where
// they can be made), the host directory is read-only inside, only the kept
// paths come back, and what comes back is bounded and defused (no symlink
// followed, no setuid bit).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SMALL_INPUT_BELOW_BYTES, requireCompleted, runSandboxed } from '../../src/sandbox/launcher.js';
import { checkKeep, copyOutCap, DEFAULT_WORK, reportedFull, treeBytes, workBytesFor } from '../../src/sandbox/work-quota.js';
import { DISK_VOLUME_FROM, imageBytes, workVolumeKind } from '../../src/sandbox/work-volume.js';
import { sandboxIdentity } from '../../src/sandbox/identity.js';
import { unpackedEstimate } from '../../src/tarball/unpacked-size.js';
import { descendantsRunning } from '../helpers/descendants.js';

const scratch = mkdtempSync(join(tmpdir(), 't2u-work-quota-'));
chmodSync(scratch, 0o755);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => {
  delete process.env.T2U_SANDBOX_WORK_FLOOR;
  delete process.env.T2U_SANDBOX_WORK_FACTOR;
  delete process.env.T2U_SANDBOX_WORK_VOLUME;
  delete process.env.T2U_SANDBOX_WORK_DISK_FROM;
});
const diskPossible = await workVolumeKind(sandboxIdentity(), DISK_VOLUME_FROM).then(
  (k) => k === 'disk',
  () => false,
);
const volumes = [
  { kind: 'tmpfs', possible: true },
  { kind: 'disk', possible: diskPossible },
] as const;
const host = { kind: 'host' } as const;
const MiB = 1024 ** 2;

function freshDir(name: string): string {
  const d = mkdtempSync(join(scratch, `${name}-`));
  chmodSync(d, 0o755);
  return d;
}

const sh = (script: string, workDir: string, more: { keep?: string[]; workBytes?: number } = {}): ReturnType<typeof runSandboxed> =>
  runSandboxed({
    argv: ['sh', '-c', script],
    rootfs: host,
    workDir,
    keep: more.keep ?? [],
    timeoutMs: 60_000,
    limits: { workBytes: more.workBytes ?? 32 * MiB },
  });

describe('the default limit', () => {
  it('is a multiple of the inputs, never below the floor; both configurable', () => {
    expect(workBytesFor(0)).toBe(DEFAULT_WORK.floorBytes);
    expect(workBytesFor(100 * MiB)).toBe(DEFAULT_WORK.factor * 100 * MiB);
    process.env.T2U_SANDBOX_WORK_FLOOR = String(MiB);
    process.env.T2U_SANDBOX_WORK_FACTOR = '2';
    expect(workBytesFor(10)).toBe(MiB);
    expect(workBytesFor(10 * MiB)).toBe(20 * MiB);
    process.env.T2U_SANDBOX_WORK_FACTOR = '-1';
    expect(() => workBytesFor(1)).toThrow(/T2U_SANDBOX_WORK_FACTOR/);
  });

  it.each(volumes)("follows the work directory's content when none is given ($kind)", async ({ kind, possible }) => {
    if (!possible) return;
    process.env.T2U_SANDBOX_WORK_VOLUME = kind;
    const work = freshDir('default');
    writeFileSync(join(work, 'input'), Buffer.alloc(MiB));
    process.env.T2U_SANDBOX_WORK_FLOOR = String(MiB);
    process.env.T2U_SANDBOX_WORK_FACTOR = '3';
    expect(await treeBytes(work)).toBe(MiB);
    const r = await runSandboxed({ argv: ['df', '-B1', '--output=size,avail', '/work'], rootfs: host, workDir: work, timeoutMs: 20_000 });
    expect(r.workBytes).toBe(3 * MiB);
    expect(r.workVolume).toBe(kind);
    const [size, avail] = r.stdout.toString().trim().split('\n')[1]!.trim().split(/ +/).map(Number) as [number, number];
    if (kind === 'tmpfs') expect(size).toBe(3 * MiB);
    // ext4's metadata takes some of the image: what is free for files is about the limit.
    else expect(avail).toBeGreaterThanOrEqual(3 * MiB);
    if (kind === 'disk') expect(avail).toBeLessThanOrEqual(imageBytes(3 * MiB));
  });

  it('is a disk volume, where one can be made, only for inputs of DISK_VOLUME_FROM bytes or more', async () => {
    const who = sandboxIdentity();
    expect(await workVolumeKind(who, DISK_VOLUME_FROM - 1)).toBe('tmpfs');
    expect(await workVolumeKind(who, DISK_VOLUME_FROM)).toBe(diskPossible ? 'disk' : 'tmpfs');
    process.env.T2U_SANDBOX_WORK_DISK_FROM = '10';
    expect(await workVolumeKind(who, 9)).toBe('tmpfs');
    expect(await workVolumeKind(who, 10)).toBe(diskPossible ? 'disk' : 'tmpfs');
    // Forced either way, whatever the size.
    process.env.T2U_SANDBOX_WORK_VOLUME = 'tmpfs';
    expect(await workVolumeKind(who, 10 * DISK_VOLUME_FROM)).toBe('tmpfs');
    if (diskPossible) {
      process.env.T2U_SANDBOX_WORK_VOLUME = 'disk';
      expect(await workVolumeKind(who, 0)).toBe('disk');
    }
  });

  it.runIf(diskPossible)('puts a run with inputs over the threshold on disk, and a small one on a tmpfs', async () => {
    process.env.T2U_SANDBOX_WORK_DISK_FROM = String(MiB);
    const run = (inputBytes: number): ReturnType<typeof runSandboxed> =>
      runSandboxed({ argv: ['true'], rootfs: host, workDir: freshDir('auto'), timeoutMs: 20_000, limits: { inputBytes } });
    expect((await run(MiB - 1)).workVolume).toBe('tmpfs');
    expect((await run(MiB)).workVolume).toBe('disk');
  });

  it('counts compressed inputs at what their headers say they unpack to: a small orig of text goes on disk', async () => {
    const who = sandboxIdentity();
    // 8 MiB of text, a few KiB of xz: under the threshold by its size, over it unpacked.
    const work = freshDir('unpacks');
    const line = 'the quick brown fox jumps over the lazy dog\n';
    writeFileSync(join(work, 'p.orig.tar.xz'), execFileSync('xz', ['-c'], { input: line.repeat(Math.ceil((8 * MiB) / line.length)) }));
    const files = [join(work, 'p.orig.tar.xz')];
    const inputs = await treeBytes(work);
    expect(inputs).toBeLessThan(DISK_VOLUME_FROM / 64);
    const unpackedBytes = await unpackedEstimate(files);
    expect(unpackedBytes).toBeGreaterThan(DISK_VOLUME_FROM);
    expect(await workVolumeKind(who, inputs)).toBe('tmpfs');
    expect(await workVolumeKind(who, inputs + unpackedBytes)).toBe(diskPossible ? 'disk' : 'tmpfs');
    // Unknown (bzip2 keeps no size) counts as large.
    writeFileSync(join(work, 'p.debian.tar.bz2'), execFileSync('bzip2', ['-c'], { input: 'x' }));
    expect(await workVolumeKind(who, inputs + (await unpackedEstimate([join(work, 'p.debian.tar.bz2')])))).toBe(
      diskPossible ? 'disk' : 'tmpfs',
    );
    if (!diskPossible) return;
    const r = await runSandboxed({ argv: ['true'], rootfs: host, workDir: work, timeoutMs: 20_000, limits: { unpackedBytes } });
    expect(r.workVolume).toBe('disk');
    // The limit is what it was: the estimate only chose where /work lives.
    expect(r.workBytes).toBe(workBytesFor(await treeBytes(work)));
  });

  it('a disk volume never takes more of the host disk than the copy-out may write', () => {
    for (const limit of [MiB, 64 * MiB, 200 * MiB, 1024 ** 3, 64 * 1024 ** 3])
      expect(imageBytes(limit)).toBeLessThanOrEqual(copyOutCap(limit));
  });
});

describe('kept paths', () => {
  it('accepts relative plain paths and `.` only', () => {
    expect(() => checkKeep(['out', 'pg/bpd', 'r/.git/info/attributes', '.'])).not.toThrow();
    for (const bad of ['/etc', '../x', 'a/../b', '-rf', 'a b', 'a//b', '', 'a\nb'])
      expect(() => checkKeep([bad])).toThrow(/cannot be kept|can be kept/);
  });

  it("reads the wrapper's report of free space and inodes", () => {
    expect(reportedFull('100 4096 50\n')).toBe(true); // 400 KB free
    expect(reportedFull('1000 4096 50\n')).toBe(false);
    expect(reportedFull('1000 4096 0\n')).toBe(true);
    expect(reportedFull('garbage')).toBe(false);
  });
});

describe.each(volumes)('a $kind /work', ({ kind, possible }) => {
  beforeEach(() => {
    process.env.T2U_SANDBOX_WORK_VOLUME = kind;
  });
  it.runIf(possible)('stops writes at the limit with ENOSPC, says so, and writes nothing more on the host', async () => {
    const work = freshDir('full');
    const r = await sh('head -c 100M /dev/zero > big; echo "rc=$?"; rm big; echo done', work, { keep: ['big'] });
    expect(r.stdout.toString()).toBe('rc=1\ndone\n');
    expect(r.stderr.toString()).toContain('No space left on device');
    expect(r.workQuotaExceeded).toBe(true);
    expect(r.workBytes).toBe(32 * MiB);
    expect(r.workVolume).toBe(kind);
    expect(readdirSync(work)).toEqual([]);
    expect(() => requireCompleted({ ...r, exitCode: 1 }, 'probe')).toThrow(
      expect.objectContaining({ code: 'WORK_QUOTA_EXCEEDED' }) as Error,
    );
  });

  it.runIf(possible)('a full /work at the end is reported even without an error message', async () => {
    const work = freshDir('silent');
    const r = await sh('head -c 100M /dev/zero > big 2>/dev/null; exit 0', work);
    expect(r.stderr.toString()).toBe('');
    expect(r.workQuotaExceeded).toBe(true);
  });

  it.runIf(possible)('within the limit: inputs are there, the host directory is read-only, only kept paths come back', async () => {
    const work = freshDir('kept');
    writeFileSync(join(work, 'input'), 'in\n');
    const r = await sh(
      [
        'cat input',
        '(echo x > /run/t2u-work-in/input) 2>/dev/null && echo "WROTE input" || echo "input read-only"',
        'mkdir -p out/sub && echo result > out/sub/file && echo other > scratch && echo changed > input',
        'ln -s /etc/shadow out/link && ln -s ../.. out/up',
        'echo s > out/setuid && chmod 4755 out/setuid',
      ].join('\n'),
      work,
      { keep: ['out', 'missing'] },
    );
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toBe('in\ninput read-only\n');
    expect(r.workQuotaExceeded).toBe(false);
    expect(readdirSync(work).sort()).toEqual(['input', 'out']);
    // /work starts with the inputs alone (no lost+found on a disk volume): all of it can be kept.
    const fresh = freshDir('all');
    writeFileSync(join(fresh, 'input'), 'in\n');
    const all = await sh('ls -A', fresh, { keep: ['.'] });
    expect(all.exitCode).toBe(0);
    expect(all.stdout.toString()).toBe('input\n');
    expect(readFileSync(join(work, 'input'), 'utf8')).toBe('in\n');
    expect(readFileSync(join(work, 'out', 'sub', 'file'), 'utf8')).toBe('result\n');
    // Symlinks come back as symlinks, never followed on the host.
    expect(lstatSync(join(work, 'out', 'link')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(work, 'out', 'link'))).toBe('/etc/shadow');
    expect(lstatSync(join(work, 'out', 'setuid')).mode & 0o6000).toBe(0);
    expect(existsSync(join(work, 'scratch'))).toBe(false);
  });

  // On a disk volume 60,000 files need 60,000 inodes, which a 1 MiB volume does not have; the copy-out is the same wrapper.
  it.runIf(possible && kind === 'tmpfs')(
    'what comes back is bounded too: tar headers of many empty files beyond the limit are cut',
    async () => {
      const work = freshDir('headers');
      // 60,000 empty files take no blocks but 30 MB of tar headers; the copy-out cap is 1 MiB + 16 MiB.
      const r = await sh('mkdir -p out && cd out && seq 60000 | xargs touch', work, { keep: ['out'], workBytes: MiB });
      // The command succeeded; its results could not all be copied out, and the run says so.
      expect(r.exitCode).toBe(125);
      expect(r.stderr.toString()).toContain('cannot copy the results out of /work');
      expect(r.workQuotaExceeded).toBe(true);
      expect(await treeBytes(work)).toBe(0);
      expect(readdirSync(join(work, 'out')).length).toBeLessThan(60000);
    },
  );
});

describe('the copy-out unpacker', () => {
  /** Runs a command that sleeps, then writes the kept file; the most unpackers seen while it slept. */
  async function unpackersWhileRunning(unpackedBytes: number): Promise<{ most: number; kept: string }> {
    const work = freshDir('unpacker');
    let most = 0;
    let slept = false;
    const poll = setInterval(() => {
      if (descendantsRunning('sleep 2.5') === 0) return;
      slept = true;
      most = Math.max(most, descendantsRunning('tar -x -f - --no-same-owner'));
    }, 50);
    try {
      const r = await runSandboxed({
        argv: ['sh', '-c', 'sleep 2.5; echo result > out'],
        rootfs: host,
        workDir: work,
        keep: ['out'],
        timeoutMs: 60_000,
        limits: { workBytes: 32 * MiB, unpackedBytes },
      });
      expect(r.exitCode, r.stderr.toString()).toBe(0);
    } finally {
      clearInterval(poll);
    }
    expect(slept).toBe(true);
    return { most, kept: readFileSync(join(work, 'out'), 'utf8') };
  }

  it('starts with the command of a small run, so that its start overlaps the run', async () => {
    const r = await unpackersWhileRunning(0);
    expect(r.kept).toBe('result\n');
    expect(r.most).toBeGreaterThan(0);
  });

  it('starts when the kept bytes come for a run of large inputs, so that it takes no memory while the command runs', async () => {
    const r = await unpackersWhileRunning(SMALL_INPUT_BELOW_BYTES);
    expect(r.kept).toBe('result\n');
    expect(r.most).toBe(0);
  });
});
