#!/usr/bin/env node
// Entry point: runs the compiled CLI (`npm run build`, done by `npm run setup`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('t2u-verify: not built yet; run `npm run setup` in the repository first\n');
  process.exit(2);
}
const { run } = await import(main);
process.exitCode = await run(process.argv);
