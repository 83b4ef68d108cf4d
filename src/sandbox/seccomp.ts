// The seccomp filter every sandbox runs under, as the classic-BPF program
// bwrap's `--seccomp FD` loads (an array of `struct sock_filter`, read to EOF
// and installed with PR_SET_SECCOMP just before the command is executed).
//
// Written here rather than with libseccomp: the program is about sixty
// instructions whose every jump can be read below and replayed by the tests'
// own interpreter; generating it needs no C compiler, no Python binding and
// no native Node addon at set-up, and it cannot drift from what the tests
// check. The syscall numbers are the kernel's (arch/x86/entry/syscalls/
// syscall_64.tbl, include/uapi/asm-generic/unistd.h for arm64); a test
// compares them with the installed <asm/unistd_64.h> and <asm-generic/unistd.h>.
//
// Denied calls fail with EPERM, as if a capability were missing, so that a
// tool probing for a feature degrades instead of dying. Calls made under a
// foreign ABI (i386 `int 0x80` on x86_64, x32 numbers) kill the process: no
// tool in the sandbox uses them, and they would otherwise bypass a list
// written for the native numbers.
import { arch, endianness } from 'node:os';
import { VerificationError } from '../report/verification-error.js';

/** What the sandbox may not do, and why; every name has a number in each table below. */
export const DENIED = {
  // Inspecting or writing another process (pid 1 of the sandbox, a sibling).
  ptrace: 'reads and writes other processes',
  process_vm_readv: 'reads another process',
  process_vm_writev: 'writes another process',
  pidfd_getfd: "takes another process's descriptors",
  kcmp: 'compares kernel objects of other processes',
  // The kernel keyring is not namespaced: keys of other users of the kernel.
  keyctl: 'kernel keyrings are not namespaced',
  add_key: 'kernel keyrings are not namespaced',
  request_key: 'kernel keyrings are not namespaced',
  // Large kernel attack surfaces no build tool needs.
  bpf: 'loads programs into the kernel',
  perf_event_open: 'kernel profiling: a long history of exploits',
  userfaultfd: 'stalls the kernel at will, a classic exploit primitive',
  io_uring_setup: 'a second syscall interface outside this filter',
  io_uring_enter: 'a second syscall interface outside this filter',
  io_uring_register: 'a second syscall interface outside this filter',
  // The mount table: bwrap has set it up, nothing inside may change it.
  mount: 'changes the mount table',
  umount2: 'changes the mount table',
  pivot_root: 'changes the mount table',
  fsopen: 'new mount API',
  fsconfig: 'new mount API',
  fsmount: 'new mount API',
  fspick: 'new mount API',
  move_mount: 'new mount API',
  open_tree: 'new mount API',
  mount_setattr: 'new mount API',
  // New namespaces (bwrap's --disable-userns already refuses user namespaces; this refuses the call itself).
  unshare: 'creates namespaces',
  setns: 'enters namespaces',
  // Whole-machine operations.
  kexec_load: 'replaces the kernel',
  kexec_file_load: 'replaces the kernel',
  init_module: 'loads kernel modules',
  finit_module: 'loads kernel modules',
  delete_module: 'unloads kernel modules',
  reboot: 'the machine',
  swapon: 'the machine',
  swapoff: 'the machine',
  acct: 'the machine',
  syslog: "reads the kernel's log",
  quotactl: 'the machine',
  quotactl_fd: 'the machine',
  settimeofday: 'the clock',
  clock_settime: 'the clock',
  clock_adjtime: 'the clock',
  adjtimex: 'the clock',
  // Opening files by handle bypasses the mount namespace (the "shocker" escape).
  open_by_handle_at: 'opens files outside the mount namespace',
  name_to_handle_at: 'pairs with open_by_handle_at',
  lookup_dcookie: 'kernel profiling',
  vhangup: 'the terminal',
} as const satisfies Record<string, string>;

export type DeniedSyscall = keyof typeof DENIED;

interface ArchTable {
  /** AUDIT_ARCH_* as seccomp_data.arch carries it. */
  readonly audit: number;
  /** Numbers at or above this belong to another ABI (x32 on x86_64). */
  readonly foreignFrom?: number;
  readonly nr: Readonly<Record<DeniedSyscall | 'clone' | 'clone3', number>>;
}

/** Shared by arm64 and every newer architecture (include/uapi/asm-generic/unistd.h). */
const GENERIC_NEW = {
  pidfd_getfd: 438,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  move_mount: 429,
  open_tree: 428,
  mount_setattr: 442,
  quotactl_fd: 443,
  clone3: 435,
} as const;

const TABLES: Readonly<Record<string, ArchTable>> = {
  x64: {
    audit: 0xc000003e, // AUDIT_ARCH_X86_64
    foreignFrom: 0x40000000, // __X32_SYSCALL_BIT
    nr: {
      ...GENERIC_NEW,
      ptrace: 101,
      process_vm_readv: 310,
      process_vm_writev: 311,
      kcmp: 312,
      keyctl: 250,
      add_key: 248,
      request_key: 249,
      bpf: 321,
      perf_event_open: 298,
      userfaultfd: 323,
      mount: 165,
      umount2: 166,
      pivot_root: 155,
      unshare: 272,
      setns: 308,
      kexec_load: 246,
      kexec_file_load: 320,
      init_module: 175,
      finit_module: 313,
      delete_module: 176,
      reboot: 169,
      swapon: 167,
      swapoff: 168,
      acct: 163,
      syslog: 103,
      quotactl: 179,
      settimeofday: 164,
      clock_settime: 227,
      clock_adjtime: 305,
      adjtimex: 159,
      open_by_handle_at: 304,
      name_to_handle_at: 303,
      lookup_dcookie: 212,
      vhangup: 153,
      clone: 56,
    },
  },
  arm64: {
    audit: 0xc00000b7, // AUDIT_ARCH_AARCH64
    nr: {
      ...GENERIC_NEW,
      ptrace: 117,
      process_vm_readv: 270,
      process_vm_writev: 271,
      kcmp: 272,
      keyctl: 219,
      add_key: 217,
      request_key: 218,
      bpf: 280,
      perf_event_open: 241,
      userfaultfd: 282,
      mount: 40,
      umount2: 39,
      pivot_root: 41,
      unshare: 97,
      setns: 268,
      kexec_load: 104,
      kexec_file_load: 294,
      init_module: 105,
      finit_module: 273,
      delete_module: 106,
      reboot: 142,
      swapon: 224,
      swapoff: 225,
      acct: 89,
      syslog: 116,
      quotactl: 60,
      settimeofday: 170,
      clock_settime: 112,
      clock_adjtime: 266,
      adjtimex: 171,
      open_by_handle_at: 265,
      name_to_handle_at: 264,
      lookup_dcookie: 18,
      vhangup: 58,
      clone: 220,
    },
  },
};

// <linux/filter.h>, <linux/seccomp.h>
const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JGE_K = 0x35;
const BPF_JSET_K = 0x45;
const BPF_RET_K = 0x06;
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  ERRNO: 0x00050000,
  ALLOW: 0x7fff0000,
} as const;
const EPERM = 1;
const ENOSYS = 38;

/** Offsets in struct seccomp_data: nr, arch, then instruction_pointer and args[6] (u64 each). */
const OFF_NR = 0;
const OFF_ARCH = 4;
/** The low 32 bits of args[0] (little-endian machines only: see seccompProgram). */
const OFF_ARG0_LOW = 16;

/**
 * CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
 * | CLONE_NEWPID | CLONE_NEWNET. (CLONE_NEWTIME, 0x80, is valid only for
 * unshare and clone3; in clone's flags that bit is the exit signal.)
 */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000;

export interface SockFilter {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

/** The architecture table for this machine, or SANDBOX_FAILED: no sandbox runs unfiltered. */
function tableFor(machine: string): ArchTable {
  const t = TABLES[machine];
  if (!t || endianness() !== 'LE') {
    throw new VerificationError(
      'SANDBOX_FAILED',
      `no seccomp filter for the ${machine} architecture (known: ${Object.keys(TABLES).join(', ')}); the sandbox does not run without one`,
    );
  }
  return t;
}

/**
 * The filter, instruction by instruction:
 *   arch ≠ native                     → kill
 *   nr ≥ the foreign-ABI bit          → kill
 *   nr ∈ DENIED                       → EPERM
 *   clone with a namespace flag       → EPERM
 *   clone3                            → ENOSYS (its flags sit behind a pointer
 *                                       the filter cannot read; glibc then
 *                                       falls back to clone, which is checked)
 *   anything else                     → allow
 */
export function seccompProgram(machine: string = arch()): SockFilter[] {
  const t = tableFor(machine);
  const denied = Object.keys(DENIED).map((name) => t.nr[name as DeniedSyscall]);
  // Labels are resolved after layout; jumps are forward only (classic BPF).
  type Ins = { code: number; k: number; jt?: string | number; jf?: string | number; label?: string };
  const prog: Ins[] = [
    { code: BPF_LD_W_ABS, k: OFF_ARCH },
    { code: BPF_JEQ_K, k: t.audit, jt: 0, jf: 'kill' },
    { code: BPF_LD_W_ABS, k: OFF_NR },
  ];
  if (t.foreignFrom !== undefined) prog.push({ code: BPF_JGE_K, k: t.foreignFrom, jt: 'kill', jf: 0 });
  for (const nr of denied) prog.push({ code: BPF_JEQ_K, k: nr, jt: 'eperm', jf: 0 });
  prog.push({ code: BPF_JEQ_K, k: t.nr.clone3, jt: 'enosys', jf: 0 });
  prog.push({ code: BPF_JEQ_K, k: t.nr.clone, jt: 0, jf: 'allow' });
  prog.push({ code: BPF_LD_W_ABS, k: OFF_ARG0_LOW });
  prog.push({ code: BPF_JSET_K, k: CLONE_NAMESPACE_FLAGS, jt: 'eperm', jf: 0 });
  prog.push({ code: BPF_RET_K, k: SECCOMP_RET.ALLOW, label: 'allow' });
  prog.push({ code: BPF_RET_K, k: SECCOMP_RET.ERRNO | EPERM, label: 'eperm' });
  prog.push({ code: BPF_RET_K, k: SECCOMP_RET.ERRNO | ENOSYS, label: 'enosys' });
  prog.push({ code: BPF_RET_K, k: SECCOMP_RET.KILL_PROCESS, label: 'kill' });

  const at = new Map(prog.flatMap((ins, i) => (ins.label ? [[ins.label, i] as const] : [])));
  const offset = (from: number, to: string | number | undefined): number => {
    if (to === undefined || typeof to === 'number') return to ?? 0;
    const d = at.get(to)! - from - 1;
    if (d < 0 || d > 255) throw new Error(`seccomp jump to ${to} out of range (${d})`);
    return d;
  };
  return prog.map((ins, i) => ({ code: ins.code, k: ins.k >>> 0, jt: offset(i, ins.jt), jf: offset(i, ins.jf) }));
}

/** The program as bwrap reads it: struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }, native byte order. */
export function seccompBytes(machine: string = arch()): Buffer {
  const prog = seccompProgram(machine);
  const out = Buffer.alloc(prog.length * 8);
  prog.forEach((ins, i) => {
    out.writeUInt16LE(ins.code, i * 8);
    out.writeUInt8(ins.jt, i * 8 + 2);
    out.writeUInt8(ins.jf, i * 8 + 3);
    out.writeUInt32LE(ins.k, i * 8 + 4);
  });
  return out;
}

/** Syscall numbers of this machine's table, for the tests' cross-check against the kernel headers. */
export function syscallNumbers(machine: string = arch()): Readonly<Record<string, number>> {
  return tableFor(machine).nr;
}
