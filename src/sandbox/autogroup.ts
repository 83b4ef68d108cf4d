// A niceness that holds across sandboxes. bwrap's --new-session makes each
// sandbox a session of its own, and with the kernel's autogroup scheduling
// (CONFIG_SCHED_AUTOGROUP, on by default in Debian's kernels) every session
// is one scheduling group: the CPU is shared between groups first, and a
// task's niceness only orders it within its own group. A sandbox started at
// niceness 10 beside a build (the content check, the second toolchain's
// compressors) then took as much of a core from the build as one at 0: its
// group weighed as much as the build's. A group has a niceness of its own,
// /proc/self/autogroup, which any of its processes may raise (lowering it
// needs CAP_SYS_NICE); a sandbox given a niceness sets its group's to the
// same. The kernel allows such a write once per 100 ms machine-wide to a
// process without CAP_SYS_ADMIN (EAGAIN otherwise), so it is tried again
// every 50 ms, for at most 2 s, by a process of its own that does not hold
// the command back; once the command ends, the sandbox's process namespace
// takes it with it. No autogroup file (a kernel without them), or no write
// after those tries: the group keeps niceness 0, as before, and the sandbox
// runs as it would have (only later than it could be; never wrongly).
// Where a CPU cgroup holds the sandbox instead, autogroups do not apply.

/**
 * `argv` run in a sandbox whose autogroup is set to `nice` first, in the
 * background (the command starts at once).
 */
export function inNicedGroup(argv: readonly string[], nice: number): string[] {
  if (!(Number.isInteger(nice) && nice >= 1 && nice <= 19)) throw new Error(`invalid niceness ${nice}`);
  const script = [
    // ( ( … ) & ): the inner process is orphaned at once, so the command
    // (exec'd below) never has it as a child to wait for; it holds none of
    // the sandbox's descriptors (output, the copy-out, the report), so that
    // no reader waits for it.
    `[ ! -w /proc/self/autogroup ] || ( ( i=0; until { echo ${nice} > /proc/self/autogroup; } 2>/dev/null || [ $i -ge 40 ]; do i=$((i+1)); sleep 0.05; done ) </dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- & )`,
    'exec "$@"',
  ].join('\n');
  return ['sh', '-c', script, 'sh', ...argv];
}
