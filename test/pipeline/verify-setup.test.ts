// verifyDepsFrom: what a verification runs under comes from the configuration,
// here the cache directory the builder root filesystems are found (or built) in.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { verifyDepsFrom } from '../../src/pipeline/verify-setup.js';
import { emptyTrust } from '../helpers/fixture-keyrings.js';
import { locateRootfs } from '../../src/sandbox/rootfs.js';

const cache = mkdtempSync(join(tmpdir(), 't2u-verify-setup-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

describe('verifyDepsFrom', () => {
  it('finds the builder root filesystems under the configured cacheDir', async () => {
    const config = await loadConfig(undefined, { cacheDir: cache });
    const trust = emptyTrust();
    const deps = verifyDepsFrom(config, trust, { origin: 'none', unavailable: 'test', warnings: [] });
    // A cached rootfs is one whose manifest exists: made here, so that nothing is built.
    const where = await locateRootfs('trixie', { cache });
    mkdirSync(where.root, { recursive: true });
    writeFileSync(join(where.dir, 'manifest.json'), '{}');
    expect(deps.sandboxFor).toBeDefined();
    expect((await deps.sandboxFor!('trixie')).root).toBe(where.root);
  });
});
