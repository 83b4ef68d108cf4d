// openpgp.js as the verifier loads it: the package's minified CommonJS build,
// the same release as the ES module its `import` condition names.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadOpenpgp, openpgp } from '../../src/authenticate/openpgp/openpgp-module.js';

describe('loadOpenpgp', () => {
  it("loads the package's minified build, the same release as its ES module, once", async () => {
    expect(() => openpgp()).toThrow(/before loadOpenpgp/);
    const loaded = await loadOpenpgp();
    expect(createRequire(import.meta.url).resolve('openpgp')).toMatch(/openpgp\.min\.cjs$/);
    const esm = await import('openpgp');
    expect(loaded.config.versionString).toBe(esm.config.versionString);
    expect(Object.keys(loaded).sort()).toEqual(Object.keys(esm).sort());
    expect(await loadOpenpgp()).toBe(loaded);
    expect(openpgp()).toBe(loaded);
  });
});
