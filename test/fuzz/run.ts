// A longer fuzzing run on demand: `npx tsx test/fuzz/run.ts --iterations N [--seed S]`.
// Prints each target's counts; exits 1 when any property failed.
import { fuzz, makeTargets } from './targets.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const iterations = arg('iterations', 10_000);
const seed = arg('seed', Date.now() % 2 ** 31);
const fixtures = await makeTargets();
let failed = 0;
try {
  for (const [i, target] of fixtures.targets.entries()) {
    const r = await fuzz(target, iterations, seed + i);
    failed += r.failures.length;
    console.log(
      `${r.target}: ${r.runs} inputs (seed ${seed + i}), ${r.acceptedSigned} accepted as signed, max ${r.maxCpuMs.toFixed(1)} ms CPU, ${r.failures.length} failures`,
    );
    for (const f of r.failures.slice(0, 5)) console.log(`  ${f}`);
  }
} finally {
  await fixtures.close();
}
process.exit(failed === 0 ? 0 : 1);
