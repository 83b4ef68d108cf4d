// The sandbox's promises, each measured from inside a real bwrap sandbox on
// the host root filesystem, with a control that shows the check can fail.
import { createServer, type Server } from 'node:net';
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { firstChunk, requireCompleted, runSandboxed, spawnSandboxed, type SandboxSpec } from '../../src/sandbox/launcher.js';
import { disposeStaged, stagedCount } from '../../src/sandbox/staging.js';
import { reachability, shareReadOnly } from '../../src/sandbox/identity.js';
import { VerificationError } from '../../src/report/verification-error.js';

const root = process.getuid?.() === 0;
const scratch = mkdtempSync(join(tmpdir(), 't2u-sandbox-test-'));
// The sandbox uid must traverse the parents of every bound path (mkdtemp makes 0700).
chmodSync(scratch, 0o755);
afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await disposeStaged();
});

const execFileAsync = promisify(execFile);
const host = { kind: 'host' } as const;
const text = (b: Buffer): string => b.toString('utf8');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function freshDir(name: string): string {
  const d = join(scratch, `${name}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(d, { mode: 0o700 });
  return d;
}

function sh(
  script: string,
  more: Partial<SandboxSpec> = {},
): Promise<ReturnType<typeof runSandboxed> extends Promise<infer R> ? R : never> {
  return runSandboxed({ argv: ['/bin/bash', '-c', script], rootfs: host, timeoutMs: 10_000, ...more });
}

/** Host processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').includes(marker)) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Runs each case with cgroups (where this host has them) and with the rlimit fallback. */
const mechanisms = [
  { name: 'default mechanisms', env: undefined },
  { name: 'cgroups off (rlimit fallback)', env: 'off' },
] as const;

function withCgroupPolicy(value: string | undefined): void {
  if (value === undefined) delete process.env.T2U_SANDBOX_CGROUPS;
  else process.env.T2U_SANDBOX_CGROUPS = value;
}
afterEach(() => withCgroupPolicy(undefined));

describe('isolation', () => {
  let server: Server;
  let port = 0;
  let connections = 0;
  beforeAll(async () => {
    server = createServer((s) => {
      connections++;
      s.end('canary\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('cannot reach a TCP listener on the host loopback (no network namespace)', async () => {
    const probe = `exec 3<>/dev/tcp/127.0.0.1/${port} && head -n1 <&3`;
    // Control: the same probe outside the sandbox reaches the canary.
    const outside = await execFileAsync('/bin/bash', ['-c', probe], { encoding: 'utf8', timeout: 5000 });
    expect(outside.stdout).toBe('canary\n');
    const before = connections;
    const r = await sh(`${probe}; echo "rc=$?"; ip -o link 2>/dev/null || cat /proc/net/dev`);
    expect(r.exitCode).toBe(0);
    expect(text(r.stdout)).not.toContain('canary');
    expect(text(r.stdout)).toMatch(/rc=1/);
    expect(connections).toBe(before);
  });

  it('sees only its own processes in /proc (new PID namespace)', async () => {
    const r = await sh('for p in /proc/[0-9]*; do echo "${p#/proc/} $(tr "\\0" " " < $p/cmdline)"; done');
    const lines = text(r.stdout).trim().split('\n');
    // bwrap's init, bash, and the subshells of the loop: never the host's processes.
    expect(lines.length).toBeLessThan(8);
    expect(lines[0]).toMatch(/^1 \S*bwrap /);
    expect(text(r.stdout)).not.toMatch(/vitest|node/);
    expect(readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length).toBeGreaterThan(lines.length);
  });

  it('runs as a non-root uid with no capabilities and no new privileges, seen from inside and from the host', async () => {
    const marker = `t2u-uid-probe-${Math.random().toString(36).slice(2)}`;
    const p = spawnSandboxed({
      argv: ['/bin/sh', '-c', 'grep -E "^(Uid|Gid|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):" /proc/self/status; sleep 30', marker],
      rootfs: host,
      timeoutMs: 20_000,
    });
    const chunks: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => chunks.push(c));
    let pids: number[] = [];
    for (let i = 0; i < 100 && pids.length === 0; i++) {
      await sleep(20);
      // The shell itself, not bwrap (whose command line holds the marker too).
      pids = processesWith(marker).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'latin1').startsWith('/bin/sh\0'));
    }
    // From the host: the kernel's view of the sandboxed process's real, effective, saved and fs uids.
    const hostView = readFileSync(`/proc/${pids[0]}/status`, 'utf8');
    // The inside view is grep's output: wait for it before stopping the sandbox (slow under load).
    for (let i = 0; i < 500 && !Buffer.concat(chunks).includes('NoNewPrivs'); i++) await sleep(20);
    p.kill();
    await p.result;
    const field = (s: string, k: string): string => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(s)?.[1]?.trim() ?? 'missing';
    for (const id of field(hostView, 'Uid').split(/\s+/)) expect(Number(id)).not.toBe(0);
    for (const id of field(hostView, 'Gid').split(/\s+/)) expect(Number(id)).not.toBe(0);
    if (root) expect(field(hostView, 'Uid').split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
    const inside = text(Buffer.concat(chunks));
    for (const id of field(inside, 'Uid').split(/\s+/)) expect(Number(id)).not.toBe(0);
    for (const k of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) {
      expect(field(inside, k)).toBe('0000000000000000');
      expect(field(hostView, k)).toBe('0000000000000000');
    }
    expect(field(inside, 'NoNewPrivs')).toBe('1');
  });

  it('cannot ptrace its own pid 1 or mount, under the seccomp filter; ordinary calls work', async () => {
    // perl's syscall(): PTRACE_ATTACH (16) to pid 1, mount(2), unshare(CLONE_NEWNS), then getpid as the control.
    const probe = [
      'my %nr = (x64 => [101, 165, 272, 39], arm64 => [117, 40, 97, 172]);',
      `my ($ptrace, $mount, $unshare, $getpid) = @{$nr{'${process.arch}'}};`,
      'for ([ptrace => $ptrace, 16, 1, 0, 0], [mount => $mount, 0, 0, 0, 0, 0], [unshare => $unshare, 0x20000]) {',
      '  my ($name, $n, @args) = @$_; $! = 0; my $rc = syscall($n, @args); print "$name ", ($rc == -1 ? $! + 0 : "ok"), "\\n";',
      '}',
      'print "getpid ", syscall($getpid), "\\n";',
    ].join('\n');
    const r = await runSandboxed({ argv: ['perl', '-e', probe], rootfs: host, timeoutMs: 10_000 });
    expect(text(r.stderr)).toBe('');
    // EPERM is 1: denied as a missing capability would be, not killed.
    expect(text(r.stdout)).toBe('ptrace 1\nmount 1\nunshare 1\ngetpid 2\n');
  });

  it.runIf(process.arch === 'x64')('kills a process making an x32 system call', async () => {
    const r = await runSandboxed({
      argv: ['perl', '-e', 'syscall(0x40000000 + 39); print "survived\\n"'],
      rootfs: host,
      timeoutMs: 10_000,
    });
    expect(text(r.stdout)).toBe('');
    expect(r.exitCode).toBe(128 + 31); // SIGSYS
  });

  it('passes a clean environment: host variables do not leak, given ones do', async () => {
    process.env.T2U_LEAK_CANARY = 'secret-canary';
    try {
      const r = await sh('env', { env: { GIVEN_VAR: 'given' } });
      const env = text(r.stdout);
      expect(env).not.toContain('secret-canary');
      expect(env).toContain('GIVEN_VAR=given');
      expect(env).toContain('LANG=C.UTF-8');
      expect(env).toMatch(/^HOME=\/tmp$/m);
      // Control: a plain child of ours does inherit it.
      expect(execFileSync('/usr/bin/env', { encoding: 'utf8' })).toContain('secret-canary');
    } finally {
      delete process.env.T2U_LEAK_CANARY;
    }
  });

  it('cannot write outside the work directory and /tmp', async () => {
    const work = freshDir('work');
    const ro = freshDir('ro');
    writeFileSync(join(ro, 'existing'), 'original\n');
    if (root) execFileSync('chmod', ['755', ro]);
    const r = await sh(
      'for f in /usr/t2u-probe /etc/t2u-probe /t2u-probe /ro/t2u-probe /ro/existing /dev/t2u-probe /proc/t2u-probe /run/t2u-work-in/t2u-probe; do ' +
        '(echo x > "$f") 2>/dev/null && echo "WROTE $f" || echo "denied $f"; done; ' +
        'echo ok > /work/inside && echo "wrote work"; echo ok > /tmp/inside && echo "wrote tmp"; echo > /dev/null && echo "wrote null"',
      { workDir: work, keep: ['inside'], readOnly: [{ host: ro, inside: '/ro' }] },
    );
    const out = text(r.stdout);
    expect(out).not.toContain('WROTE');
    // The host work directory itself is read-only inside (its content is copied into /work).
    expect(out.match(/denied/g)).toHaveLength(8);
    expect(out).toContain('wrote work');
    expect(out).toContain('wrote tmp');
    expect(out).toContain('wrote null');
    expect(readFileSync(join(work, 'inside'), 'utf8')).toBe('ok\n');
    expect(readFileSync(join(ro, 'existing'), 'utf8')).toBe('original\n');
    expect(existsSync(join(ro, 't2u-probe'))).toBe(false);
    expect(existsSync('/usr/t2u-probe')).toBe(false);
    // /tmp is private: nothing of it reaches the host's /tmp.
    expect(existsSync('/tmp/inside')).toBe(false);
  });

  it('does not pass descriptors we inherited without close-on-exec into the sandbox', async () => {
    // A child of ours with fd 200 open without close-on-exec, as bash's `exec 200<` leaves it.
    const probe = new URL('./fd-leak-probe.ts', import.meta.url).pathname;
    const out = await new Promise<string>((resolve, reject) => {
      const c = spawn('/bin/bash', ['-c', 'exec 200</dev/zero; exec "$0" --import tsx "$1"', process.execPath, probe], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      c.stdout.on('data', (d: Buffer) => (text += d.toString()));
      c.stderr.on('data', (d: Buffer) => (text += d.toString()));
      c.on('error', reject);
      c.on('close', () => resolve(text));
    });
    const line = out.split('\n').find((l) => l.startsWith('{'));
    expect(line, out).toBeDefined();
    const seen = JSON.parse(line!) as { outside: string; inside: string; exitCode: number };
    expect(seen.outside).toBe('/dev/zero');
    expect(seen.inside).toBe('/dev/null');
  }, 60_000);

  it('gives a work directory bound as it is to the sandbox uid, including what the caller prepared in it', async () => {
    const work = freshDir('owned');
    mkdirSync(join(work, 'objects', 'pack'), { recursive: true });
    const r = await sh('echo data > /work/objects/pack/new && cat /work/objects/pack/new');
    expect(text(r.stdout)).toBe('');
    const r2 = await sh('echo data > /work/objects/pack/new && cat /work/objects/pack/new', { workDir: work, bindWorkDir: true });
    expect(text(r2.stderr)).toBe('');
    expect(text(r2.stdout)).toBe('data\n');
    if (root) expect(statSync(join(work, 'objects', 'pack', 'new')).uid).toBe(65534);
  });
});

describe('git on a repository owned by another uid', () => {
  const repo = freshDir('repo');
  beforeAll(() => {
    execFileSync('git', ['init', '-q', repo]);
    execFileSync('git', [
      '-C',
      repo,
      '-c',
      'user.name=T',
      '-c',
      'user.email=t@example.org',
      'commit',
      '-q',
      '--allow-empty',
      '-m',
      'probe commit',
    ]);
    execFileSync('chmod', ['-R', 'a+rX', repo]);
  });

  it.runIf(root)('reads it read-only despite "dubious ownership", through the generated global git config', async () => {
    // A uid other than 65534, so that root's files (unmapped: shown as 65534) are not "ours" inside.
    const identity = { uid: 4242, gid: 4242 };
    const spec = {
      argv: ['git', '-C', '/repo', 'log', '--format=%s'],
      rootfs: host,
      readOnly: [{ host: repo, inside: '/repo' }],
      timeoutMs: 10_000,
      identity,
    };
    const r = await runSandboxed(spec);
    expect(text(r.stderr)).toBe('');
    expect(text(r.stdout)).toBe('probe commit\n');
    // Control: without the generated configuration git refuses the repository.
    const refused = await runSandboxed({ ...spec, env: { GIT_CONFIG_GLOBAL: '/dev/null' } });
    expect(refused.exitCode).not.toBe(0);
    expect(text(refused.stderr)).toContain('dubious ownership');
  });
});

describe.each(mechanisms)('limits with $name', ({ env }) => {
  it('kills everything at the timeout: no child survives to write after the deadline', async () => {
    withCgroupPolicy(env);
    const work = freshDir('timeout');
    const started = performance.now();
    const r = await sh(
      '(sleep 1; echo late > /work/late-child) & ' +
        'setsid sh -c "sleep 1; echo late > /work/late-session" & ' +
        'nohup sh -c "trap \\"\\" TERM HUP; sleep 1; echo late > /work/late-nohup" >/dev/null 2>&1 & ' +
        'echo started; sleep 100',
      { workDir: work, bindWorkDir: true, timeoutMs: 400 },
    );
    const elapsed = performance.now() - started;
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(r.signal).toBe('SIGKILL');
    expect(text(r.stdout)).toBe('started\n');
    expect(elapsed).toBeLessThan(3000);
    await sleep(1600);
    expect(readdirSync(work)).toEqual([]);
    expect(() => requireCompleted(r, 'probe')).toThrow(expect.objectContaining({ code: 'SANDBOX_TIMEOUT' }) as Error);
  });

  it('ends when its command exits, killing a daemon that still holds stdout and stderr', async () => {
    withCgroupPolicy(env);
    const marker = `t2u-daemon-${Math.random().toString(36).slice(2)}`;
    const work = freshDir('daemon');
    const started = performance.now();
    // Double fork, new session, SIGTERM and SIGHUP ignored, stdout and stderr inherited: a daemon
    // that would hold the pipes (and write into /work) for 5 s after the command returns.
    const r = await sh(
      `setsid sh -c 'trap "" TERM HUP; (sleep 5; echo late; echo late > /work/late) & exit 0' ${marker} & ` +
        'sleep 0.2; echo started; exit 3',
      { workDir: work, bindWorkDir: true, timeoutMs: 60_000 },
    );
    const elapsed = performance.now() - started;
    expect(r.exitCode).toBe(3);
    expect(r.timedOut).toBe(false);
    expect(text(r.stdout)).toBe('started\n');
    expect(elapsed).toBeLessThan(4000);
    // The PID namespace's init exiting takes every process in it along.
    expect(processesWith(marker)).toEqual([]);
    await sleep(5500);
    expect(readdirSync(work)).toEqual([]);
  }, 20_000);

  it('contains a fork bomb: bounded time, nothing left behind, the host still spawns', async () => {
    withCgroupPolicy(env);
    const marker = `t2u-forkbomb-${Math.random().toString(36).slice(2)}`;
    const started = performance.now();
    const running = runSandboxed({
      // Every copy keeps forking forever: only the process cap and the timeout end it.
      argv: ['/bin/bash', '-c', 'bomb() { while :; do bomb & done; }; bomb', marker],
      rootfs: host,
      timeoutMs: 3000,
      limits: { maxProcesses: 64 },
    });
    // Sample the bomb's population while it runs; the host must still spawn meanwhile.
    let during = 0;
    let done = false;
    void running.finally(() => (done = true));
    let hostSpawns = true;
    while (!done) {
      during = Math.max(during, processesWith(marker).length);
      if (during > 8) hostSpawns &&= spawnSync('/bin/true').status === 0;
      await sleep(20);
    }
    const r = await running;
    expect(hostSpawns).toBe(true);
    expect(performance.now() - started).toBeLessThan(8000);
    expect(during).toBeGreaterThan(0);
    // RLIMIT_NPROC counts every process of the sandbox uid: other sandboxes that exit while the
    // bomb runs (tests run in parallel) free slots it may take. Unbounded, it reaches thousands.
    expect(during).toBeLessThanOrEqual(env === 'off' ? 64 + 3 + 32 : 64 + 3);
    // The cap was hit (bash retries, then gives up on fork), or the timeout ended it.
    expect(r.timedOut || text(r.stderr).includes('Resource temporarily unavailable')).toBe(true);
    expect(r.processLimit).toMatch(env === 'off' ? /^rlimit-nproc$/ : /^(cgroup-v1|cgroup-v2|rlimit-nproc)$/);
    await sleep(200);
    expect(processesWith(marker)).toEqual([]);
  });

  it('enforces the memory limit: an allocation beyond it is killed or refused', async () => {
    withCgroupPolicy(env);
    const alloc = (mib: number): string[] => [
      'python3',
      '-c',
      `b = bytearray(${mib} * 1024 * 1024); b[::4096] = b"x" * len(b[::4096]); print("allocated")`,
    ];
    const limits = { memoryBytes: 128 * 1024 ** 2 };
    const small = await runSandboxed({ argv: alloc(16), rootfs: host, timeoutMs: 20_000, limits });
    expect(text(small.stdout)).toBe('allocated\n');
    const big = await runSandboxed({ argv: alloc(400), rootfs: host, timeoutMs: 20_000, limits });
    expect(big.memoryLimit).not.toBe('unavailable');
    expect(text(big.stdout)).not.toContain('allocated');
    expect(big.exitCode).not.toBe(0);
    if (big.memoryLimit === 'rlimit-as') {
      expect(text(big.stderr)).toContain('MemoryError');
    } else {
      expect(big.memoryExceeded).toBe(true);
      expect(big.exitCode).toBe(128 + 9);
    }
    if (env === 'off') expect(big.memoryLimit).toBe('rlimit-as');
  });
});

describe('output', () => {
  it('cuts output beyond the cap, kills the command and reports it', async () => {
    const started = performance.now();
    const r = await sh('cat /dev/zero', { limits: { maxOutputBytes: 100_000 } });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(r.outputTruncated).toBe(true);
    expect(r.stdout.length).toBe(100_000);
    expect(r.exitCode).toBeNull();
    expect(r.timedOut).toBe(false);
    // Control: output under the cap is whole and not flagged.
    const ok = await sh('head -c 99999 /dev/zero', { limits: { maxOutputBytes: 100_000 } });
    expect(ok.outputTruncated).toBe(false);
    expect(ok.stdout.length).toBe(99_999);
  });

  it('counts stderr against the same cap', async () => {
    const r = await sh('head -c 60000 /dev/zero; head -c 60000 /dev/zero >&2; sleep 5', { limits: { maxOutputBytes: 100_000 } });
    expect(r.outputTruncated).toBe(true);
    expect(r.stdout.length + r.stderr.length).toBe(100_000);
  });

  it('feeds stdin to the command', async () => {
    const r = await runSandboxed({ argv: ['tr', 'a-z', 'A-Z'], rootfs: host, timeoutMs: 5000, stdin: 'hello sandbox\n' });
    expect(text(r.stdout)).toBe('HELLO SANDBOX\n');
    expect(r.exitCode).toBe(0);
  });
});

describe('streaming', () => {
  it('talks to a long-running helper and kills it on request', async () => {
    const p = spawnSandboxed({ argv: ['cat'], rootfs: host, timeoutMs: 10_000 });
    const got: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => got.push(c));
    p.stdin.write('line one\n');
    await sleep(200);
    expect(Buffer.concat(got).toString()).toBe('line one\n');
    p.kill();
    const r = await p.result;
    expect(r.signal).toBe('SIGKILL');
    expect(r.timedOut).toBe(false);
  });

  it('settles at the deadline even when the consumer never reads stdout', async () => {
    const started = performance.now();
    const p = spawnSandboxed({ argv: ['head', '-c', '10000000', '/dev/zero'], rootfs: host, timeoutMs: 800 });
    const r = await p.result;
    expect(performance.now() - started).toBeLessThan(5000);
    expect(r.timedOut).toBe(true);
  });

  it('ends cleanly when stdin is closed', async () => {
    const p = spawnSandboxed({ argv: ['wc', '-c'], rootfs: host, timeoutMs: 10_000 });
    const got: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => got.push(c));
    p.stdin.end('12345');
    const r = await p.result;
    expect(r.exitCode).toBe(0);
    await sleep(10);
    expect(Buffer.concat(got).toString().trim()).toBe('5');
  });

  it('takes the first chunk of a stream whose chunks are already buffered and loses none of the others', async () => {
    // A stream with chunks waiting emits them one after another in one go once it flows.
    const source = new PassThrough();
    for (const c of ['one ', 'two ', 'three']) source.write(c);
    source.end();
    const first = await firstChunk(source);
    expect(first?.toString()).toBe('one ');
    expect(source.isPaused()).toBe(true);
    const rest: Buffer[] = [];
    for await (const c of source) rest.push(c as Buffer);
    expect(Buffer.concat(rest).toString()).toBe('two three');
  });

  it('gives no first chunk for a stream that ends empty or fails', async () => {
    const empty = new PassThrough();
    empty.end();
    expect(await firstChunk(empty)).toBeUndefined();
    const failing = new PassThrough();
    const first = firstChunk(failing);
    failing.destroy(new Error('gone'));
    expect(await first).toBeUndefined();
  });
});

describe('setup failures are SANDBOX_FAILED, not command results', () => {
  it('reports a missing program', async () => {
    const err = await runSandboxed({ argv: ['/no/such/program'], rootfs: host, timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationError);
    expect((err as VerificationError).code).toBe('SANDBOX_FAILED');
    expect((err as VerificationError).message).toContain('/no/such/program');
  });

  it('reports a missing read-only path', async () => {
    const err = await runSandboxed({
      argv: ['true'],
      rootfs: host,
      readOnly: [{ host: '/no/such/dir', inside: '/x' }],
      timeoutMs: 5000,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SANDBOX_FAILED' });
  });

  it.runIf(root)('names a root filesystem the sandbox uid cannot reach', async () => {
    const hidden = freshDir('hidden');
    const inner = join(hidden, 'inner');
    mkdirSync(inner, { mode: 0o755 });
    execFileSync('chmod', ['700', hidden]);
    const err = await runSandboxed({ argv: ['true'], rootfs: { kind: 'dir', path: inner }, timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SANDBOX_FAILED' });
    expect((err as Error).message).toContain(hidden);
  });

  it.runIf(root)('reads an input the invoking user can read but the sandbox uid cannot reach, through a staged copy', async () => {
    const hidden = freshDir('private');
    const inner = join(hidden, 'repo');
    mkdirSync(join(inner, 'sub'), { recursive: true, mode: 0o700 });
    writeFileSync(join(inner, 'public'), 'public\n', { mode: 0o644 });
    writeFileSync(join(inner, 'sub', 'secret'), 'secret\n', { mode: 0o600 });
    execFileSync('ln', ['-s', 'public', join(inner, 'link')]);
    execFileSync('chmod', ['700', hidden, inner]);
    const before = new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('t2u-stage-')));
    const r = await sh('cat /x/public /x/sub/secret /x/link; (echo x > /x/public) 2>/dev/null && echo WROTE || echo read-only', {
      readOnly: [{ host: inner, inside: '/x' }],
    });
    expect(text(r.stderr)).toBe('');
    expect(text(r.stdout)).toBe('public\nsecret\npublic\nread-only\n');
    expect(readFileSync(join(inner, 'public'), 'utf8')).toBe('public\n');
    expect(statSync(join(inner, 'sub', 'secret')).mode & 0o777).toBe(0o600);
    // The staged copy went with the run: a long-lived process keeps no run's inputs.
    const left = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('t2u-stage-') && !before.has(n));
    expect(left()).toEqual([]);
    expect(stagedCount()).toBe(0);
    // Runs at once share one copy, entered by the sandbox uid alone, removed when the last one ends.
    const held = [0, 1].map(() =>
      spawnSandboxed({
        argv: ['/bin/bash', '-c', 'cat /x/public; cat > /dev/null'],
        rootfs: host,
        timeoutMs: 10_000,
        readOnly: [{ host: inner, inside: '/x' }],
      }),
    );
    for (const p of held) await new Promise((resolve) => p.stdout.once('data', resolve));
    const made = left();
    expect(made).toHaveLength(1);
    expect(stagedCount()).toBe(1);
    const top = statSync(join(tmpdir(), made[0]!));
    expect([top.uid, top.mode & 0o777]).toEqual([65534, 0o700]);
    held[0]!.stdin.end();
    expect((await held[0]!.result).exitCode).toBe(0);
    expect(left()).toEqual(made);
    held[1]!.stdin.end();
    expect((await held[1]!.result).exitCode).toBe(0);
    expect(left()).toEqual([]);
    expect(stagedCount()).toBe(0);
  });

  it.runIf(root)('stages a single file the sandbox uid cannot reach: linked when others may read it, else copied readable', async () => {
    const hidden = freshDir('private-files');
    writeFileSync(join(hidden, 'open'), 'open\n', { mode: 0o644 });
    writeFileSync(join(hidden, 'closed'), 'closed\n', { mode: 0o600 });
    execFileSync('chmod', ['700', hidden]);
    const r = await sh('cat /in/open /in/closed; (echo x > /in/closed) 2>/dev/null && echo WROTE || echo read-only', {
      readOnly: [
        { host: join(hidden, 'open'), inside: '/in/open' },
        { host: join(hidden, 'closed'), inside: '/in/closed' },
      ],
    });
    expect(text(r.stderr)).toBe('');
    expect(text(r.stdout)).toBe('open\nclosed\nread-only\n');
    // The closed one is left as it was; the open one's link went with the run.
    expect(statSync(join(hidden, 'closed')).nlink).toBe(1);
    expect(statSync(join(hidden, 'closed')).mode & 0o777).toBe(0o600);
    expect(statSync(join(hidden, 'open')).nlink).toBe(1);
    // While a run holds it, the open file is the same inode (a link), not a copy.
    const p = spawnSandboxed({
      argv: ['/bin/bash', '-c', 'cat /in/open; cat > /dev/null'],
      rootfs: host,
      timeoutMs: 10_000,
      readOnly: [{ host: join(hidden, 'open'), inside: '/in/open' }],
    });
    await new Promise((resolve) => p.stdout.once('data', resolve));
    expect(statSync(join(hidden, 'open')).nlink).toBe(2);
    p.stdin.end();
    expect((await p.result).exitCode).toBe(0);
    expect(statSync(join(hidden, 'open')).nlink).toBe(1);
  });

  it.runIf(root)('shares a private upload directory with the sandbox group read-only, so that nothing is staged', async () => {
    const dir = freshDir('shared-upload');
    writeFileSync(join(dir, 'x.dsc'), 'dsc\n', { mode: 0o600 });
    execFileSync('chmod', ['700', dir]);
    await shareReadOnly(dir, [join(dir, 'x.dsc')]);
    expect([statSync(dir).gid, statSync(dir).mode & 0o777]).toEqual([65534, 0o750]);
    expect([statSync(join(dir, 'x.dsc')).uid, statSync(join(dir, 'x.dsc')).mode & 0o777]).toEqual([0, 0o640]);
    const r = await sh('cat /in/x.dsc; (echo x > /in/x.dsc) 2>/dev/null && echo WROTE || echo read-only', {
      readOnly: [{ host: join(dir, 'x.dsc'), inside: '/in/x.dsc' }],
    });
    expect(text(r.stdout)).toBe('dsc\nread-only\n');
    expect(statSync(join(dir, 'x.dsc')).nlink).toBe(1);
    expect(reachability(join(dir, 'x.dsc'), { uid: 65534, gid: 65534 })).toBe('reachable');
    // A link is never followed to share what it points at.
    const target = join(freshDir('elsewhere'), 'private');
    writeFileSync(target, 'private\n', { mode: 0o600 });
    execFileSync('ln', ['-s', target, join(dir, 'link')]);
    await expect(shareReadOnly(dir, [join(dir, 'link')])).rejects.toMatchObject({ code: 'SANDBOX_FAILED' });
    expect([statSync(target).gid, statSync(target).mode & 0o777]).toEqual([0, 0o600]);
  });

  it("bounds git's pack windows and delta base cache (the same bytes, less resident memory)", async () => {
    const r = await sh(
      'git config --global --get core.packedGitWindowSize; git config --global --get core.packedGitLimit; git config --global --get core.deltaBaseCacheLimit',
    );
    expect(text(r.stdout)).toBe('1m\n4m\n16m\n');
  });

  it('a command failing on its own is a result, not an error', async () => {
    const r = await sh('exit 7');
    expect(r.exitCode).toBe(7);
    expect(requireCompleted(r, 'probe')).toBe(r);
  });
});

describe('niceness', () => {
  it('runs every process of a sandbox given `nice` that much nicer than one without, and refuses a niceness out of range', async () => {
    // nice(1) with no operand prints the niceness it runs at; a child of the sandbox's shell shows what it inherits.
    const plain = Number(text((await sh('nice')).stdout).trim());
    const niced = Number(text((await sh('(nice)', { nice: 10 })).stdout).trim());
    expect(niced).toBe(Math.min(plain + 10, 19));
    for (const bad of [0, 20, 2.5]) await expect(sh('true', { nice: bad })).rejects.toThrow(/invalid niceness/);
  });

  // Each sandbox is a session, and so an autogroup of its own where the kernel has them (autogroup.ts).
  it.skipIf(!existsSync('/proc/self/autogroup'))(
    "sets its session's autogroup to that niceness too, without holding the command back, and leaves one without `nice` at 0",
    async () => {
      // The group's niceness is set in the background, tried again while the kernel refuses (at most 40 × 50 ms): the probe waits longer.
      const probe =
        'i=0; until grep -q " nice 10$" /proc/self/autogroup || [ $i -ge 80 ]; do i=$((i+1)); sleep 0.05; done; cat /proc/self/autogroup';
      const niced = text((await sh(probe, { nice: 10 })).stdout);
      expect(niced).toMatch(/^\/autogroup-\d+ nice 10\n$/);
      const plain = text((await sh('sleep 0.3; cat /proc/self/autogroup')).stdout);
      expect(plain).toMatch(/^\/autogroup-\d+ nice 0\n$/);
      // Another session from ours: the sandbox's group is its own, not the verifier's.
      expect(niced.split(' ')[0]).not.toBe(readFileSync('/proc/self/autogroup', 'utf8').split(' ')[0]);
    },
  );
});
