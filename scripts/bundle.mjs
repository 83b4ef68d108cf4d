// The CLI as one bundle (dist/bundle/), which bin/t2u-verify.js runs: the
// compiled modules (dist/, tsc's output, about 140 files) joined by esbuild
// into a few files, so that a command loads a handful of files instead of
// resolving, reading and linking each module on its own (the compiled tree
// takes about 100 ms to import for `verify`).
//
// From dist/, not src/: tsc has already checked and compiled the sources
// (scripts/build.sh runs it first), and the bundle is then the same
// JavaScript the tests of dist/ run, joined.
//
// Where the bundle's files sit matters, because some modules find files
// relative to their own URL (import.meta.url), and in the bundle that is the
// URL of the file they were joined into, always directly in dist/bundle/:
// - dist/bundle/ is as deep as dist/<module-dir>/, so '../../sandbox/rootfs.json'
//   (sandbox/rootfs.ts) and '../../package.json' (publish/verifier-facts.ts)
//   lead to the same files as from the compiled tree;
// - the files a module starts as a process or thread of their own, named as
//   siblings ('./job-child.js' in server/queue/job-process.ts, './sqlite-thread.js'
//   and './sqlite-checkpointer.js' in store/sqlite-thread-client.ts), are entry
//   points of the bundle under those flat names (ENTRY_POINTS), so the sibling
//   path leads to them; test/cli/bundle.test.ts runs each from a copy of the
//   bundle alone;
// - with splitting, the code the entry points share is in chunks beside them
//   (loaded once per process, as the compiled modules were), and a module a
//   command imports when it runs (`await import(…)`) stays a chunk of its own,
//   loaded only then (--version and --help load no heavy dependency).
//
// The packages under node_modules stay outside the bundle (packages:
// 'external'), loaded from node_modules as before: better-sqlite3 loads its
// native addon by a path relative to its package; pg requires pg-native
// only when asked (a require esbuild would try to resolve); pino starts its
// transports with thread-stream, by the path of a file in its package;
// fastify and its plugins require their own files by name (avvio, ajv's
// compiled schemas); commander is required through createRequire
// (cli/main.ts), out of esbuild's sight. Joining the project's own modules is
// what start-up needs; a dependency's layout is its own.
//
// Run by scripts/build.sh after tsc; `node scripts/bundle.mjs` on its own
// rebuilds dist/bundle/ from dist/.
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The bundle's entry points: the name of each file in dist/bundle/, and the compiled module it starts from. */
export const ENTRY_POINTS = {
  main: 'dist/cli/main.js',
  'job-child': 'dist/server/queue/job-child.js',
  'sqlite-thread': 'dist/store/sqlite-thread.js',
  'sqlite-checkpointer': 'dist/store/sqlite-checkpointer.js',
};

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = 'dist/bundle';

rmSync(`${root}/${outdir}`, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ENTRY_POINTS,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  outdir,
  // Flat: every file directly in dist/bundle/ (see the header).
  chunkNames: 'chunk-[hash]',
  // What each output file holds (test/cli/startup-loads.test.ts reads it to tell which modules a command loaded).
  metafile: true,
  logLevel: 'warning',
});
writeFileSync(`${root}/${outdir}/meta.json`, JSON.stringify(result.metafile));
