// The CLI run from the compiled tree (dist/cli/main.js) as bin/t2u-verify.js
// ran it before there was a bundle: a script in `dir` that imports it and runs
// it on its arguments, so a bench can time it beside the bundle in the same run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const COMPILED_MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** Writes the script into `dir` and answers its path (run it as `node PATH ...args`). */
export function compiledCli(dir: string): string {
  const file = join(dir, 'compiled-cli.mjs');
  writeFileSync(file, `const { run } = await import(${JSON.stringify(COMPILED_MAIN)});\nprocess.exitCode = await run(process.argv);\n`);
  return file;
}
