// The bwrap command line for one sandbox: what is mounted where. The root is
// bwrap's own empty tmpfs (read-only once set up); the system directories of
// the chosen root filesystem are bound read-only onto it, so any mount point
// can be created without writing to the root filesystem itself.
import { lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { WORK_INPUT } from './work-quota.js';

export type Rootfs = { kind: 'host' } | { kind: 'dir'; path: string };

/** Top-level system directories of a Debian root: real directories are bound, merged-/usr symlinks recreated. */
const SYSTEM_DIRS = ['usr', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

/**
 * The host's /etc holds secrets (ssh host keys, shadow, credentials of
 * services), so only what programs need to start is bound: the dynamic
 * linker's cache, alternatives (/usr/bin/awk and friends point there),
 * passwd/group for getpwuid, Perl's and dpkg's configuration (dpkg-source
 * reads /etc/dpkg/origins for the vendor).
 */
const HOST_ETC = [
  'passwd',
  'group',
  'nsswitch.conf',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'alternatives',
  'localtime',
  'perl',
  'dpkg',
];

/** Where the generated git configuration is mounted (GIT_CONFIG_GLOBAL). */
export const GITCONFIG_INSIDE = '/run/t2u-sandbox/gitconfig';

export interface BwrapPlan {
  rootfs: Rootfs;
  /**
   * The host work directory: bound read-write at /work as it is ('bind'), or
   * bound read-only at WORK_INPUT under a /work of `bytes` that is a tmpfs
   * ('tmpfs') or a volume mounted at `mountPoint` ('volume', work-volume.ts).
   */
  work?:
    | { kind: 'bind'; host: string }
    | { kind: 'tmpfs'; host: string; bytes: number }
    | { kind: 'volume'; host: string; bytes: number; mountPoint: string };
  readOnly?: readonly { host: string; inside: string }[];
  argv: readonly string[];
  /** Size cap of the private /tmp (bytes); it also counts against the memory cgroup. */
  tmpBytes?: number;
  /** Descriptors the launcher passes: the git configuration, bwrap's status channel, the cgroup gate, the seccomp program. */
  fds: { gitconfig: number; status: number; block?: number; seccomp: number };
}

const entryCache = new Map<string, string[]>();

/** The bind/symlink arguments for a root's system directories (cached per root: a rootfs is immutable). */
function systemEntries(root: string): string[] {
  const hit = entryCache.get(root);
  if (hit) return hit;
  const args: string[] = [];
  for (const name of SYSTEM_DIRS) {
    const host = join(root, name);
    let st;
    try {
      st = lstatSync(host);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(host), `/${name}`);
    else if (st.isDirectory()) args.push('--ro-bind', host, `/${name}`);
  }
  entryCache.set(root, args);
  return args;
}

export function bwrapArgs(p: BwrapPlan): string[] {
  const args = [
    // --unshare-all includes the network namespace: only a loopback device, down.
    '--unshare-all',
    '--unshare-user',
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--hostname',
    'sandbox',
  ];
  if (p.rootfs.kind === 'host') {
    args.push(...systemEntries('/'));
    for (const f of HOST_ETC) args.push('--ro-bind-try', `/etc/${f}`, `/etc/${f}`);
  } else {
    args.push(...systemEntries(p.rootfs.path));
    for (const d of ['etc', 'var', 'opt']) args.push('--ro-bind-try', join(p.rootfs.path, d), `/${d}`);
  }
  args.push('--proc', '/proc', '--dev', '/dev');
  if (p.tmpBytes !== undefined) args.push('--size', String(p.tmpBytes));
  args.push('--tmpfs', '/tmp');
  args.push('--perms', '0444', '--ro-bind-data', String(p.fds.gitconfig), GITCONFIG_INSIDE);
  if (p.work?.kind === 'bind') args.push('--bind', p.work.host, '/work');
  if (p.work?.kind === 'tmpfs') args.push('--ro-bind', p.work.host, WORK_INPUT, '--size', String(p.work.bytes), '--tmpfs', '/work');
  if (p.work?.kind === 'volume') args.push('--ro-bind', p.work.host, WORK_INPUT, '--bind', p.work.mountPoint, '/work');
  for (const ro of p.readOnly ?? []) args.push('--ro-bind', ro.host, ro.inside);
  // bwrap's root and /dev are tmpfs of its own, writable unless remounted:
  // read-only, so that /work and /tmp are the only writable places.
  args.push('--remount-ro', '/dev', '--remount-ro', '/');
  args.push('--chdir', p.work !== undefined ? '/work' : '/tmp');
  args.push('--json-status-fd', String(p.fds.status));
  // Installed just before the command is executed: bwrap's own set-up is not filtered, the command and its children are.
  args.push('--seccomp', String(p.fds.seccomp));
  if (p.fds.block !== undefined) args.push('--block-fd', String(p.fds.block));
  args.push('--', ...p.argv);
  return args;
}
