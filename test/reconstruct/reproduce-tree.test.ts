// Rebuilding from a plain tree (no git): trees unpacked by the real
// `dpkg-source -x` in the sandbox (patches applied, quilt state in .pc/; or
// --skip-patches) are turned back into what the checkout would be and built
// as tag2upload would. The three fields the service adds come from the
// upload (noted as not checked); everything else is compared byte for byte.
import { chmod, copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileByName } from '../../src/reconstruct/profiles.js';
import { reproduce, type ReproduceResult } from '../../src/reconstruct/reproduce.js';
import { runSandboxed, type Rootfs } from '../../src/sandbox/launcher.js';
import { ensureRootfs } from '../../src/sandbox/rootfs.js';
import { REPO_ROOT, SERVICE_KEYRING, dscOf, uploadCase } from './upload-fixtures.js';

let rootfs: Rootfs;
let scratch: string;

beforeAll(async () => {
  rootfs = await ensureRootfs('trixie');
  scratch = await mkdtemp(join(tmpdir(), 't2u-reproduce-tree-test-'));
  // The sandbox uid must traverse to its work directories.
  await chmod(scratch, 0o755);
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** The upload's files in a fresh directory, unpacked there by dpkg-source -x into `tree/`. */
async function unpack(name: string, skipPatches = false): Promise<{ dir: string; tree: string }> {
  const u = uploadCase(name);
  const dir = await mkdtemp(join(scratch, `${name}-`));
  for (const f of await readdir(join(REPO_ROOT, u.dir))) await copyFile(join(REPO_ROOT, u.dir, f), join(dir, f));
  const r = await runSandboxed({ argv: ['dpkg-source', ...(skipPatches ? ['--skip-patches'] : []), '-x', u.dsc, 'tree'], rootfs, workDir: dir, timeoutMs: 60_000 });
  expect(r.exitCode, r.stderr.toString()).toBe(0);
  return { dir, tree: join(dir, 'tree') };
}

function run(tree: string, dsc: string): Promise<ReproduceResult> {
  return reproduce({
    from: { kind: 'tree', dir: tree }, dsc, uploadKeyring: SERVICE_KEYRING,
    profiles: [profileByName('trixie')!], rootfsFor: () => Promise.resolve(rootfs), timeoutMs: 120_000,
  });
}

describe.concurrent('plain trees', () => {
  for (const [name, skip] of [['gbp', false], ['gbp', true], ['linear', false], ['native', false]] as const) {
    it(`${name}${skip ? ' (--skip-patches)' : ''} is reproduced, the tag fields not checked`, async () => {
      const { tree, dir } = await unpack(name, skip);
      const r = await run(tree, join(dir, uploadCase(name).dsc));
      expect(r.reasons).toEqual([]);
      expect(r.verdict).toBe('reproduced');
      expect(r.dscIdentical).toBe(true);
      expect(r.notes.map((n) => n.code)).toContain('TAG_FIELDS_NOT_CHECKED');
      expect(r.build?.tag).toBeUndefined();
      expect(r.build?.quilt).toBe(name === 'native' ? '' : skip ? 'gbp' : 'linear');
    });
  }

  it('the honest tree against a tampered debian.tar: mismatch naming the file', async () => {
    const { tree } = await unpack('gbp');
    const r = await run(tree, dscOf(uploadCase('tamper-debian-tar')));
    expect(r.verdict).toBe('mismatch');
    expect(r.files.filter((f) => !f.match).map((f) => f.name)).toEqual(['t2u-gbp_1.0-1.debian.tar.xz']);
  });

  it('the honest tree against a tampered orig: dgit refuses the orig', async () => {
    const { tree } = await unpack('gbp');
    const r = await run(tree, dscOf(uploadCase('tamper-orig-byte')));
    expect(r.verdict).toBe('mismatch');
    expect(r.reasons.map((x) => x.code)).toEqual(['ORIG_TREE_MISMATCH']);
  });

  it('the honest tree against a tampered field: mismatch naming the field', async () => {
    const { tree } = await unpack('gbp');
    const r = await run(tree, dscOf(uploadCase('tamper-dsc-build-depends')));
    expect(r.verdict).toBe('mismatch');
    expect(r.fields.map((f) => f.field)).toEqual(['Build-Depends']);
  });
});
