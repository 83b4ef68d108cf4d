// A bounded fuzzing run in every test run (test/fuzz/targets.ts); a longer one
// on demand with T2U_FUZZ_ITERATIONS or `npx tsx test/fuzz/run.ts --iterations N`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzz, makeTargets, type Fixtures } from './targets.js';

const ITERATIONS = Number(process.env.T2U_FUZZ_ITERATIONS ?? 200);
const SEED = Number(process.env.T2U_FUZZ_SEED ?? 20261204);
let fixtures: Fixtures;

beforeAll(async () => {
  fixtures = await makeTargets();
}, 120_000);
afterAll(async () => {
  await fixtures?.close();
});

describe('mutation fuzzing from real fixtures', () => {
  it('starts from signed inputs that verify (so a mutation that still verifies is caught)', async () => {
    for (const name of ['tag object, signature and interpretation', '.dsc: clearsigned framing, deb822, fields, signature']) {
      const target = fixtures.targets.find((t) => t.name === name)!;
      expect(await target.run(Buffer.from(target.seed)), name).toBe(true);
      expect(target.gpgvAccepts!(Buffer.from(target.seed)), name).toBe(true);
    }
  });

  for (const name of [
    'tag object, signature and interpretation',
    'debian/changelog',
    '.dsc: clearsigned framing, deb822, fields, signature',
    'tar reader',
    'pkt-line',
    'webhook body through the intake app',
  ]) {
    it(`${name}: ${ITERATIONS} inputs, typed errors only, bounded time, nothing signed accepted that gpgv refuses`, async () => {
      const target = fixtures.targets.find((t) => t.name === name)!;
      const r = await fuzz(target, ITERATIONS, SEED);
      expect(r.failures).toEqual([]);
    }, 600_000);
  }
});
