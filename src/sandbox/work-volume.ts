// A sandbox's /work on disk, with the same size limit as the tmpfs it
// replaces. A tmpfs holds its files in memory (charged to the sandbox's
// memory cgroup, in no process's resident set): a rebuild holds the
// checkout, dgit's and dpkg-source's unpacked origs and the products at
// once, several times the package, so memory grew with the package. Here
// /work is an ext4 filesystem in a sparse image file of the limit's size,
// made fresh for one run (mkfs.ext4, no journal) next to the host work
// directory and loop-mounted in a private mount namespace of the sandbox's
// own (`unshare --mount`): the mount is seen by no other process, and when
// the sandbox's last process ends the kernel unmounts it and frees the loop
// device (autoclear), so a verifier killed mid-run leaves no mount once its
// sandboxes have died with it. A full /work
// is ENOSPC as on the tmpfs, and what reaches the host's disk is at most the
// image. Making and mounting the volume costs about as much as a small
// command (mkfs.ext4, the mount, a probe once per process), and a small
// input holds little memory on a tmpfs, so a run whose inputs, unpacked as
// their compressed files' headers say, are under DISK_VOLUME_FROM bytes
// keeps the tmpfs; the volume is for the inputs whose
// unpacked trees would make memory grow with the package. Mounting needs
// root: otherwise, or where the kernel or the tools refuse it, /work stays a
// tmpfs. T2U_SANDBOX_WORK_VOLUME=tmpfs|disk forces one (disk fails where it
// cannot be made).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isRoot, reachability, type SandboxIdentity } from './identity.js';
import { positiveFromEnv } from './work-quota.js';
import { VerificationError } from '../report/verification-error.js';

const run = promisify(execFile);

export type WorkVolumeKind = 'disk' | 'tmpfs';

const TOOLS = {
  mkfs: ['/usr/sbin/mkfs.ext4', '/sbin/mkfs.ext4'],
  mount: ['/usr/bin/mount', '/bin/mount'],
  unshare: ['/usr/bin/unshare'],
  setpriv: ['/usr/bin/setpriv'],
} as const;

function tool(name: keyof typeof TOOLS): string | undefined {
  return TOOLS[name].find((p) => existsSync(p));
}

/**
 * The image's size for a limit of `bytes`: the data, the inode tables (one
 * 256-byte inode per 4 KiB: 1/16 of the data, more files than real source
 * trees of that size hold) and ext4's own metadata (bitmaps, group
 * descriptors: 1/128 and 2 MiB cover it), so that /work takes about `bytes`
 * of files, as the tmpfs did (measured: 1,011 MiB free on a 1 GiB limit,
 * 63 MiB on 64 MiB). Never more than copyOutCap(bytes) (work-quota.ts).
 */
export function imageBytes(bytes: number): number {
  return bytes + Math.ceil(bytes / 16) + Math.ceil(bytes / 128) + 2 * 1024 ** 2;
}

/**
 * mkfs.ext4 options: 4 KiB blocks and one inode per block, so that, as on a
 * tmpfs (a page per file), only empty files could run out of inodes before
 * blocks; no journal (the filesystem lives for one run); no blocks reserved
 * for root; inode tables left for the kernel not to initialise.
 */
const MKFS_OPTIONS = [
  '-q',
  '-F',
  '-t',
  'ext4',
  '-b',
  '4096',
  '-m',
  '0',
  '-i',
  '4096',
  '-I',
  '256',
  '-O',
  '^has_journal',
  '-E',
  'lazy_itable_init=1,nodiscard',
];
const MOUNT_OPTIONS = 'loop,nosuid,nodev,noatime,noinit_itable';

export interface WorkVolume {
  /** The sparse image file (root's, mode 0600). */
  readonly image: string;
  /** Where the image is mounted inside the run's mount namespace: reachable by the sandbox uid, empty on the host. */
  readonly mountPoint: string;
  /** The limit: the data the volume holds. */
  readonly bytes: number;
  dispose(): Promise<void>;
}

let available: Promise<boolean> | undefined;

/**
 * Inputs (the work directory's content plus what the command unpacks,
 * compressed files counted at the size their headers say they unpack to:
 * SandboxLimits.unpackedBytes, unknown counting as large) from which /work
 * is a disk volume when one can be made. The compressed size says little: 5
 * MiB of xz'd text unpacked to 1 GiB, held in memory on a tmpfs. Below it a
 * tmpfs: an honest package's unpacked trees and products there are a few
 * times its unpacked size, so under 4 MiB they stay a few tens of MiB, and
 * the volume's cost (tens of milliseconds per run) is saved where it would
 * be most of the overhead. The size limit is the same either way, so a
 * header that lies only changes where the bytes sit.
 * T2U_SANDBOX_WORK_DISK_FROM (bytes) changes it.
 */
export const DISK_VOLUME_FROM = 4 * 1024 ** 2;

/** Which /work the launcher gives a run of `who` (undefined: not root, so tmpfs) with `inputBytes` of inputs, unpacked (Infinity: unknown). */
export async function workVolumeKind(who: SandboxIdentity | undefined, inputBytes: number): Promise<WorkVolumeKind> {
  const forced = process.env.T2U_SANDBOX_WORK_VOLUME;
  if (forced !== undefined && forced !== '' && forced !== 'auto' && forced !== 'disk' && forced !== 'tmpfs')
    throw new VerificationError('SANDBOX_FAILED', `T2U_SANDBOX_WORK_VOLUME=${JSON.stringify(forced)} is not auto, disk or tmpfs`);
  if (forced === 'tmpfs') return 'tmpfs';
  if (forced !== 'disk' && inputBytes < (positiveFromEnv('T2U_SANDBOX_WORK_DISK_FROM') ?? DISK_VOLUME_FROM)) return 'tmpfs';
  const can = who !== undefined && (await (available ??= probe()));
  if (forced === 'disk' && !can)
    throw new VerificationError(
      'SANDBOX_FAILED',
      'T2U_SANDBOX_WORK_VOLUME=disk, but a loop-mounted work volume cannot be made here (it needs root, mkfs.ext4, unshare, setpriv and loop devices)',
    );
  return can ? 'disk' : 'tmpfs';
}

/** One real volume made, mounted in a namespace of its own and dropped: what every run then does. */
async function probe(): Promise<boolean> {
  if (!isRoot() || !tool('mkfs') || !tool('mount') || !tool('unshare') || !tool('setpriv')) return false;
  let volume: WorkVolume | undefined;
  try {
    volume = await makeWorkVolume(tmpdir(), 16 * 1024 ** 2, { uid: 0, gid: 0 });
    const [file, args] = mountedCommand(volume, { uid: 65534, gid: 65534 }, ['true'], []);
    await run(file, args, { timeout: 30_000 });
    return true;
  } catch {
    return false;
  } finally {
    await volume?.dispose();
  }
}

/**
 * Makes an empty volume of `bytes` under `parent` (when the sandbox uid can
 * reach it, else under the system temporary directory), its root directory
 * owned by `who`.
 */
export async function makeWorkVolume(parent: string, bytes: number, who: SandboxIdentity): Promise<WorkVolume> {
  const base = reachability(parent, who) === 'reachable' ? parent : tmpdir();
  const dir = await mkdtemp(join(base, 't2u-volume-'));
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    // Traversable, not listable: the sandbox uid reaches the mount point, the image is root's.
    await chmod(dir, 0o711);
    const image = join(dir, 'image');
    const mountPoint = join(dir, 'work');
    await mkdir(mountPoint, { mode: 0o755 });
    const fh = await open(image, 'wx', 0o600);
    try {
      await fh.truncate(imageBytes(bytes));
    } finally {
      await fh.close();
    }
    await run(tool('mkfs') ?? 'mkfs.ext4', [...MKFS_OPTIONS, '-E', `root_owner=${who.uid}:${who.gid}`, image], { timeout: 60_000 });
    return { image, mountPoint, bytes, dispose };
  } catch (e) {
    await dispose();
    throw new VerificationError('SANDBOX_FAILED', `cannot make a work volume of ${bytes} bytes: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The command line that runs `argv` (bwrap, or prlimit then bwrap) as `who`
 * with the volume mounted: as root, a private mount namespace, the loop
 * mount there (the launcher's side channels closed for it), then setpriv
 * drops to `who` (no supplementary groups) and execs `argv` in the same
 * process, so the launcher's pid is still the sandbox's outer process.
 */
export function mountedCommand(
  volume: WorkVolume,
  who: SandboxIdentity,
  argv: readonly string[],
  closeFds: readonly number[],
): [string, string[]] {
  // sh (dash) redirects single-digit descriptors only; the launcher's side channels are 3 to 8, higher ones /dev/null.
  const closing = closeFds
    .filter((fd) => fd > 2 && fd < 10)
    .map((fd) => `${fd}>&-`)
    .join(' ');
  const script = [
    `${tool('mount') ?? 'mount'} -t ext4 -o ${MOUNT_OPTIONS} "$1" "$2" </dev/null ${closing} || exit 125`,
    // mkfs's lost+found (root's, mode 0700): /work starts empty, as a tmpfs does.
    'rmdir "$2/lost+found" || exit 125',
    'shift 2',
    'exec "$@"',
  ].join('\n');
  return [
    tool('unshare') ?? 'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      script,
      'sh',
      volume.image,
      volume.mountPoint,
      tool('setpriv') ?? 'setpriv',
      `--reuid=${who.uid}`,
      `--regid=${who.gid}`,
      '--clear-groups',
      '--',
      // A verifier killed while the volume is mounted must not leave the
      // sandbox running: the parent-death signal is set (by a second
      // setpriv: a change of uid clears it; bwrap's --die-with-parent sets
      // it again), and only then is the parent checked to be the launcher
      // still (sh's $PPID is read at its start), so a launcher that died
      // before is seen, one that dies after kills the run.
      tool('setpriv') ?? 'setpriv',
      '--pdeathsig=KILL',
      '--',
      'sh',
      '-c',
      '[ "$PPID" = "$1" ] || exit 125\nshift\nexec "$@"',
      'sh',
      String(process.pid),
      ...argv,
    ],
  ];
}
