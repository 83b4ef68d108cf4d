// What the CLI loads to start: `--version` and `--help` (of the program and of
// each command) must not load the code that does the work. Each command
// module registers its options and help text from light modules and imports
// its action when it runs; this test runs the compiled CLI
// (`node bin/t2u-verify.js`) with a module-loading hook that records every
// module resolved (ES modules) or required (CommonJS), and fails when one of
// the heavy dependencies is among them. The CLI runs from its bundle
// (dist/bundle/, scripts/bundle.mjs): a file of the bundle loaded stands for
// the compiled modules joined into it, as the bundle's metafile lists them.
// It checks what is loaded, not how long it takes (the time is
// bench/startup.bench.ts's).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 't2u-verify.js');
const BUNDLE = join(ROOT, 'dist', 'bundle');

/** The bundle's files (their URLs) and the compiled modules joined into each (their URLs), from its metafile. */
const joined: ReadonlyMap<string, readonly string[]> = (() => {
  const meta = JSON.parse(readFileSync(join(BUNDLE, 'meta.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  return new Map(
    Object.entries(meta.outputs).map(([file, o]) => [
      pathToFileURL(join(ROOT, file)).href,
      Object.keys(o.inputs).map((i) => pathToFileURL(join(ROOT, i)).href),
    ]),
  );
})();

/** The packages that make start-up slow, or that only some commands need. */
const HEAVY = ['fastify', 'isomorphic-git', 'openpgp', 'pg', 'pino', 'execa', 'better-sqlite3', 'zod'];

/** The database drivers: only the service and the log commands need them, never `verify`. */
const STORE = ['pg', 'better-sqlite3'];

/** The resolve hook (on the loader's thread): each resolved URL, appended to the file it is given. */
const HOOKS = `
import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(out, result.url + '\\n');
  return result;
}`;

/** Given to node --import: registers HOOKS, and at exit adds the CommonJS modules required. */
const RECORDER = `
import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const out = process.env.T2U_RECORD_LOADS;
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOKS)}), { data: { out } });
const require = createRequire(pathToFileURL(process.cwd() + '/').href);
process.on('exit', () => {
  appendFileSync(out, Object.keys(require.cache).map((f) => pathToFileURL(f).href + '\\n').join(''));
});`;

const dir = mkdtempSync(join(tmpdir(), 't2u-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let runs = 0;

/** The CLI run with `args`: its exit code, output, and the URLs of the modules it loaded (files: as recorded; loaded: with the modules each file of the bundle joins). */
function loadsOf(...args: string[]): Promise<{ code: number; stdout: string; files: string[]; loaded: string[] }> {
  const out = join(dir, `loads-${runs++}.txt`);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', `data:text/javascript,${encodeURIComponent(RECORDER)}`, BIN, ...args],
      { cwd: ROOT, env: { ...process.env, T2U_RECORD_LOADS: out }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        try {
          const files = [
            ...new Set(
              readFileSync(out, 'utf8')
                .split('\n')
                .filter((l) => l !== ''),
            ),
          ];
          resolve({ code, stdout, files, loaded: [...new Set(files.flatMap((f) => [f, ...(joined.get(f) ?? [])]))] });
        } catch (e) {
          reject(new Error(`${(e as Error).message}; stderr: ${stderr}`));
        }
      },
    );
  });
}

/** The packages under node_modules among `urls`, by name (@scope/name for scoped ones). */
function packagesOf(urls: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const u of urls) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u);
    if (m) names.add(m[1]!);
  }
  return names;
}

const heavyIn = (urls: readonly string[]): string[] => [...packagesOf(urls)].filter((p) => HEAVY.includes(p));

describe('start-up loads no heavy dependency', () => {
  it('the CLI runs from its bundle, and loads no compiled module on its own', async () => {
    const r = await loadsOf('--version');
    expect(r.code).toBe(0);
    expect(r.files).toContain(pathToFileURL(join(BUNDLE, 'main.js')).href);
    const dist = pathToFileURL(join(ROOT, 'dist')).href + '/';
    expect(r.files.filter((u) => u.startsWith(dist) && !joined.has(u))).toEqual([]);
  });

  it('the recorder sees the heavy dependencies a command that runs loads', async () => {
    // `verify` with a missing --config gets as far as loading its action (then a usage error):
    // the recorder must see what that loads, or the checks below prove nothing.
    const r = await loadsOf('verify', 'hello', '2.10-5', '--config', join(dir, 'no-such-config.json'));
    expect(r.code).toBe(2);
    expect(heavyIn(r.loaded)).toEqual(expect.arrayContaining(['zod']));
    expect(r.loaded.filter((u) => /\/dist\/pipeline\/verify\.js$/.test(u)).length).toBe(1);
  });

  it('verify, as it runs, loads no store (pg, better-sqlite3), no isomorphic-git, no execa, and openpgp.js only with the keyrings', async () => {
    // Up to its action's first step: the modules the verification imports are all loaded by then.
    const r = await loadsOf(
      'verify',
      'hello',
      '2.10-5',
      '--attest',
      join(dir, 'no-such-key.pem'),
      '--config',
      join(dir, 'no-such-config.json'),
    );
    expect(r.code).toBe(2);
    expect(r.loaded.filter((u) => /\/dist\/pipeline\/verify\.js$/.test(u)).length).toBe(1);
    // openpgp.js is loaded when the keyrings are, so that its loading overlaps the fetch (authenticate/openpgp/openpgp-module.ts).
    expect(packagesOf(r.loaded)).not.toContain('openpgp');
    expect([...packagesOf(r.loaded)].filter((p) => STORE.includes(p))).toEqual([]);
    // A remote repository's refs are read by the fetch stage's own client; execa only builds a rootfs.
    expect([...packagesOf(r.loaded)].filter((p) => p === 'isomorphic-git' || p === 'execa')).toEqual([]);
    expect(r.loaded.filter((u) => /\/(?:src|dist)\/store\//.test(u))).toEqual([]);
  });

  for (const args of [
    ['--version'],
    ['--help'],
    ...[
      'verify',
      'check-tag',
      'reproduce',
      'sandbox',
      'sandbox build',
      'sandbox status',
      'calibrate',
      'watch',
      'serve',
      'worker',
      'log',
      'log audit',
      'log key rotate',
      'consensus',
    ].map((c) => [...c.split(' '), '--help']),
  ]) {
    it(`t2u-verify ${args.join(' ')}`, async () => {
      const r = await loadsOf(...args);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toBe('');
      expect(packagesOf(r.loaded)).toContain('commander');
      expect(heavyIn(r.loaded)).toEqual([]);
    });
  }
});
