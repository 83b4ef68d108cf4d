// The CLI's bundle (dist/bundle/, scripts/bundle.mjs) on its own: a copy of
// the checkout with bin/, dist/bundle/, the files the bundle reads beside it
// (sandbox/rootfs.json, package.json) and node_modules, and none of the
// compiled tree, so that a path the bundle's code computes into the compiled
// tree (dist/cli/, dist/server/queue/job-child.js, ...) fails here instead of
// quietly finding tsc's output. The files its modules name relative to their
// own URL are where those names lead. Each of its entry points starts from it: the
// command line (main.js), and, under `t2u-verify worker` running a job, the
// job's process (job-child.js, forked by the path job-process.ts computes)
// and the SQLite threads (sqlite-thread.js, sqlite-checkpointer.js, started by
// the paths sqlite-thread-client.ts computes). And bin/t2u-verify.js refuses,
// with the command to run, a bundle that is missing or older than dist/.
import { execFile, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../src/report/report.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let copy: string;
beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 't2u-bundle-'));
  cpSync(join(ROOT, 'bin'), join(copy, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'dist', 'bundle'), join(copy, 'dist', 'bundle'), { recursive: true });
  mkdirSync(join(copy, 'sandbox'));
  cpSync(join(ROOT, 'sandbox', 'rootfs.json'), join(copy, 'sandbox', 'rootfs.json'));
  cpSync(join(ROOT, 'package.json'), join(copy, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
});
afterAll(() => rmSync(copy, { recursive: true, force: true }));

/** `node bin/t2u-verify.js ...args` in `root`. */
function cli(root: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin', 't2u-verify.js'), ...args], { cwd: root, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe('the bundle alone', () => {
  it("finds the files its modules name relative to their own URL (new URL('…', import.meta.url)) from the bundle's directory", () => {
    const named = new Set<string>();
    for (const file of readdirSync(join(copy, 'dist', 'bundle')).filter((f) => f.endsWith('.js'))) {
      const text = readFileSync(join(copy, 'dist', 'bundle', file), 'utf8');
      for (const m of text.matchAll(/new URL\((["'])(\.{1,2}\/[^"'\n]*)\1, import\.meta\.url\)/g)) named.add(m[2]!);
    }
    // The recipe of the builder root filesystems (sandbox/rootfs.ts) and the package's own (publish/verifier-facts.ts), at least.
    expect([...named]).toEqual(expect.arrayContaining(['../../sandbox/rootfs.json', '../../package.json']));
    for (const path of named)
      expect(existsSync(fileURLToPath(new URL(path, pathToFileURL(join(copy, 'dist', 'bundle', 'main.js'))))), path).toBe(true);
  });

  it('runs the command line: --version, --help, verify --help', async () => {
    const version = await cli(copy, '--version');
    expect(version).toMatchObject({ code: 0, stderr: '' });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await cli(copy, '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('verify');
    const verifyHelp = await cli(copy, 'verify', '--help');
    expect(verifyHelp.code).toBe(0);
    expect(verifyHelp.stdout).toMatch(/^Usage: t2u-verify verify /);
  });

  it("runs a job: the worker's SQLite threads and the job's process start from the bundle's files", async () => {
    const data = join(copy, 'data');
    const seed = new SqliteStore({ dataDir: data });
    try {
      // Refused by the verification's fetch stage (https only), in the job's process: a verdict only that process gives.
      const { id } = await seed.enqueue({
        repo: 'http://127.0.0.1:9/x/y.git',
        tag: 'debian/3-1',
        tagObject: 'c'.repeat(40),
        intake: 'api',
      });
      const worker = spawn(process.execPath, [join(copy, 'bin', 't2u-verify.js'), 'worker', '--data-dir', data], {
        cwd: copy,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let log = '';
      worker.stdout.setEncoding('utf8').on('data', (s: string) => (log += s));
      worker.stderr.setEncoding('utf8').on('data', (s: string) => (log += s));
      const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
      let ended = false;
      void exited.then(() => (ended = true));
      try {
        // Until the job is done or the worker logs a warning or an error (a file of the bundle not found) or ends.
        for (;;) {
          const job = await seed.get(id);
          if (job?.status === 'done' || ended || /"level":(?:40|50|60)/.test(log)) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(log).not.toMatch(/"level":(?:40|50|60)/);
        const job = await seed.get(id);
        expect(job?.status).toBe('done');
        expect((job?.report as VerifyReport | undefined)?.reasons.map((r) => r.code)).toEqual(['UNSUPPORTED_URL']);
      } finally {
        worker.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
    } finally {
      await seed.close();
    }
  });
});

describe('bin/t2u-verify.js runs only a bundle it can trust', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 't2u-bundle-bin-'));
    cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('none built: exit 2, and the command that builds it', async () => {
    const r = await cli(dir, '--version');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not built yet; run `npm run setup` (or `npm run build`)');
  });

  it('the bundle older than the compiled tree: exit 2, and the command that rebuilds it', async () => {
    mkdirSync(join(dir, 'dist', 'cli'), { recursive: true });
    cpSync(join(ROOT, 'dist', 'bundle'), join(dir, 'dist', 'bundle'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'cli', 'main.js'), 'throw new Error("the compiled tree ran");\n');
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(dir, 'dist', 'bundle', 'main.js'), past, past);
    const r = await cli(dir, '--version');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('dist/bundle/ is older than dist/');
    // Made again after tsc, it runs.
    const now = new Date();
    utimesSync(join(dir, 'dist', 'bundle', 'main.js'), now, now);
    expect((await cli(dir, '--version')).code).toBe(0);
  });
});
