#!/usr/bin/env node
// Entry point: runs the CLI's bundle, dist/bundle/main.js (`npm run build`,
// done by `npm run setup`: tsc compiles src/ to dist/, then
// scripts/bundle.mjs joins it into dist/bundle/). Only the bundle: a bundle
// that is missing, or older than the compiled tree it is made from (tsc ran
// again since, and the bundle would run the code from before), stops here
// with the command that makes it, rather than running something else.
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/bundle/main.js', import.meta.url));
const compiled = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const mtime = (file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs;
const bundled = mtime(bundle);
if (bundled === undefined) {
  process.stderr.write('t2u-verify: not built yet; run `npm run setup` (or `npm run build`) in the repository first\n');
  process.exit(2);
}
if (bundled < (mtime(compiled) ?? 0)) {
  process.stderr.write('t2u-verify: dist/bundle/ is older than dist/ (compiled again since); run `npm run build` in the repository\n');
  process.exit(2);
}
const { run } = await import(bundle);
process.exitCode = await run(process.argv);
