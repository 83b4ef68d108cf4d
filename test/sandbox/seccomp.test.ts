// The seccomp program, replayed instruction by instruction by a classic-BPF
// interpreter of its own (the opcodes the generator emits, nothing else), and
// its syscall numbers checked against the installed kernel headers.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CLONE_NAMESPACE_FLAGS,
  DENIED,
  SECCOMP_RET,
  seccompBytes,
  seccompProgram,
  syscallNumbers,
  type SockFilter,
} from '../../src/sandbox/seccomp.js';

const AUDIT = { x64: 0xc000003e, arm64: 0xc00000b7, i386: 0x40000003 } as const;

/** Runs the program over one struct seccomp_data (nr, arch, args[0]). */
function run(prog: readonly SockFilter[], nr: number, arch: number, arg0 = 0): number {
  const data = Buffer.alloc(64);
  data.writeUInt32LE(nr >>> 0, 0);
  data.writeUInt32LE(arch >>> 0, 4);
  data.writeBigUInt64LE(BigInt(arg0), 16);
  let a = 0;
  for (let pc = 0; pc < prog.length; pc++) {
    const { code, jt, jf, k } = prog[pc]!;
    if (code === 0x20) a = data.readUInt32LE(k);
    else if (code === 0x15) pc += a === k ? jt : jf;
    else if (code === 0x35) pc += a >= k ? jt : jf;
    else if (code === 0x45) pc += (a & k) !== 0 ? jt : jf;
    else if (code === 0x06) return k;
    else throw new Error(`unexpected opcode ${code}`);
  }
  throw new Error('fell off the end of the program');
}

const EPERM = SECCOMP_RET.ERRNO | 1;
const ENOSYS = SECCOMP_RET.ERRNO | 38;

/** `#define __NR_name N` lines of a kernel header. */
function headerNumbers(path: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of readFileSync(path, 'utf8').matchAll(/^#define __NR(?:3264)?_(\w+)\s+(\d+)$/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

describe.each(['x64', 'arm64'] as const)('seccomp program for %s', (machine) => {
  const prog = seccompProgram(machine);
  const nr = syscallNumbers(machine);
  const audit = AUDIT[machine];

  it('denies every listed syscall with EPERM', () => {
    for (const name of Object.keys(DENIED)) expect([name, run(prog, nr[name]!, audit)]).toEqual([name, EPERM]);
  });

  it('allows what the tools use (read, write, openat, execve, wait4 and getpid numbers)', () => {
    const allowed = machine === 'x64' ? [0, 1, 257, 59, 61, 39] : [63, 64, 56, 221, 260, 172];
    for (const n of allowed) expect(run(prog, n, audit)).toBe(SECCOMP_RET.ALLOW);
  });

  it('denies clone with a namespace flag, allows a plain fork or thread, and sends clone3 back to clone', () => {
    const thread = 0x3d0f00; // glibc pthread_create's flags
    expect(run(prog, nr.clone!, audit, 0x01200011)).toBe(SECCOMP_RET.ALLOW); // fork: CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID|SIGCHLD
    expect(run(prog, nr.clone!, audit, thread)).toBe(SECCOMP_RET.ALLOW);
    for (const bit of [0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000]) {
      expect(bit & CLONE_NAMESPACE_FLAGS).toBe(bit);
      expect(run(prog, nr.clone!, audit, 0x11 | bit)).toBe(EPERM);
    }
    expect(run(prog, nr.clone3!, audit)).toBe(ENOSYS);
  });

  it('kills a call made under a foreign architecture', () => {
    expect(run(prog, 39, AUDIT.i386)).toBe(SECCOMP_RET.KILL_PROCESS);
    expect(run(prog, 39, machine === 'x64' ? AUDIT.arm64 : AUDIT.x64)).toBe(SECCOMP_RET.KILL_PROCESS);
  });

  it('encodes 8 bytes per instruction', () => {
    expect(seccompBytes(machine).length).toBe(prog.length * 8);
  });
});

it('kills x32 syscall numbers on x86_64', () => {
  const prog = seccompProgram('x64');
  expect(run(prog, 0x40000000 + 39, AUDIT.x64)).toBe(SECCOMP_RET.KILL_PROCESS);
  // x32's own ptrace number (521) under the x32 bit: killed, not merely denied.
  expect(run(prog, 0x40000000 + 521, AUDIT.x64)).toBe(SECCOMP_RET.KILL_PROCESS);
});

it('refuses to make a program for an architecture it has no table for', () => {
  expect(() => seccompProgram('ppc64')).toThrow(/no seccomp filter/);
});

describe('syscall numbers match the kernel headers', () => {
  const headers = { x64: '/usr/include/x86_64-linux-gnu/asm/unistd_64.h', arm64: '/usr/include/asm-generic/unistd.h' } as const;
  for (const [machine, path] of Object.entries(headers)) {
    it.skipIf(!existsSync(path))(`${machine} (${path})`, () => {
      const known = headerNumbers(path);
      for (const [name, n] of Object.entries(syscallNumbers(machine))) expect([name, known.get(name)]).toEqual([name, n]);
    });
  }
});
