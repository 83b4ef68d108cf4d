// Rebuilding from a plain tree (no git): trees unpacked by the real
// `dpkg-source -x` in the sandbox (patches applied, quilt state in .pc/; or
// --skip-patches) are turned back into what the checkout would be and built
// as tag2upload would. The three fields the service adds come from the
// upload (noted as not checked); everything else is compared byte for byte.
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { profileByName } from '../../src/sandbox/builder-profiles.js';
import { reproduce, type ReproduceResult } from '../../src/reconstruct/reproduce.js';
import { REPO_ROOT, SERVICE_KEYRING, dscOf, packageOf, uploadCase } from './upload-fixtures.js';
import { forSteps, TEST_BUILD_MS } from '../helpers/work-limits.js';
import { builderWork } from '../helpers/scratch-dir.js';

// Each test unpacks a tree, builds it once, and may check the checkout's mtimes: three sandboxed steps.
vi.setConfig({ testTimeout: forSteps(3) });

const UPSTREAM_FPR = readFileSync(join(REPO_ROOT, 'fixtures/uploads/upstream-key/fingerprint'), 'utf8').trim();

const work = builderWork('t2u-reproduce-tree-test-');

/** The upload's files in a fresh directory, unpacked there by dpkg-source -x into `tree/`. */
async function unpack(name: string, skipPatches = false): Promise<{ dir: string; tree: string }> {
  const u = uploadCase(name);
  const dir = await mkdtemp(join(work.dir, `${name}-`));
  for (const f of await readdir(join(REPO_ROOT, u.dir))) await copyFile(join(REPO_ROOT, u.dir, f), join(dir, f));
  const r = await work.sandbox.run({
    argv: ['dpkg-source', ...(skipPatches ? ['--skip-patches'] : []), '-x', u.dsc, 'tree'],
    workDir: dir,
    keep: ['.'],
    timeoutMs: TEST_BUILD_MS,
  });
  expect(r.exitCode, r.stderr.toString()).toBe(0);
  return { dir, tree: join(dir, 'tree') };
}

async function run(tree: string, dsc: string): Promise<ReproduceResult> {
  return reproduce({
    from: { kind: 'tree', dir: tree },
    upload: await packageOf(dsc),
    uploadKeyring: SERVICE_KEYRING,
    profiles: [profileByName('trixie')!],
    sandboxFor: () => Promise.resolve(work.sandbox),
    timeoutMs: TEST_BUILD_MS,
  });
}

describe.concurrent('plain trees', () => {
  for (const [name, skip] of [
    ['gbp', false],
    ['gbp', true],
    ['linear', false],
    ['native', false],
  ] as const) {
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

  for (const name of ['component-orig', 'upstream-signature'] as const) {
    it(`${name}: reproduced from the dpkg-source -x tree, every orig the upload's`, async () => {
      const { tree, dir } = await unpack(name);
      const r = await run(tree, join(dir, uploadCase(name).dsc));
      expect(r.reasons).toEqual([]);
      expect(r.verdict).toBe('reproduced');
      expect(r.dscIdentical).toBe(true);
      const origs = uploadCase(name)
        .dscFiles.map((f) => f.name)
        .filter((n) => n.includes('.orig'))
        .sort();
      expect(origs.length).toBe(2);
      expect(r.files.filter((f) => f.origin === 'given').map((f) => f.name)).toEqual(origs);
    });
  }

  it('patch-symlink: a patch creating a symlink, applied by dpkg-source -x, is popped again and built as gbp: reproduced', async () => {
    // --quilt=linear on the applied tree fails in dgit: "cannot represent change: creation with non-default mode, or symlink".
    const { tree, dir } = await unpack('patch-symlink');
    const r = await run(tree, join(dir, uploadCase('patch-symlink').dsc));
    expect(r.reasons).toEqual([]);
    expect(r.verdict).toBe('reproduced');
    expect(r.build?.quilt).toBe('gbp');
  });

  it('component-orig: the honest tree against a tampered component orig: dgit refuses it, named', async () => {
    const { tree } = await unpack('component-orig');
    const r = await run(tree, dscOf(uploadCase('tamper-component-orig')));
    expect(r.verdict).toBe('mismatch');
    expect(r.reasons.map((x) => x.code)).toEqual(['ORIG_TREE_MISMATCH']);
    expect(r.reasons[0]?.message).toContain('t2u-comp_1.0.orig-extra.tar.gz');
  });

  it('upstream-signature: the honest tree against an .asc by the upstream key over other bytes: mismatch naming the .asc', async () => {
    const { tree } = await unpack('upstream-signature');
    const r = await run(tree, dscOf(uploadCase('tamper-upstream-signature')));
    expect(r.verdict).toBe('mismatch');
    expect(r.reasons.map((x) => x.code)).toEqual(['UPSTREAM_SIGNATURE_INVALID']);
    expect(r.reasons[0]?.message).toMatch(/^t2u-sig_1\.0\.orig\.tar\.gz\.asc: .*does not verify over t2u-sig_1\.0\.orig\.tar\.gz/);
    expect(r.reasons[0]?.message).toContain(UPSTREAM_FPR.slice(-16));
  });

  it("tamper-upstream-orig: a changed orig with upstream's .asc kept is refuted even from its own dpkg-source -x tree", async () => {
    // The tree agrees with the changed orig (it was unpacked from it): only the upstream signature tells.
    const { tree, dir } = await unpack('tamper-upstream-orig');
    const r = await run(tree, join(dir, uploadCase('tamper-upstream-orig').dsc));
    expect(r.verdict).toBe('mismatch');
    expect(r.reasons.map((x) => x.code)).toEqual(['UPSTREAM_SIGNATURE_INVALID']);
    expect(r.reasons[0]?.message).toContain('BAD');
  });

  // What tag2upload's builder uploads whether or not its dpkg-source -b accepts the signature: notes, not alarms.
  // The trixie rootfs's Dpkg::OpenPGP backend is sopv-gpgv (sop, gpgv's rules): it refuses no key and an
  // expired key, and accepts the first good signature of the multi-block .asc (sqv, forky's rsopv refuse it: SHA-1 bindings).
  for (const [name, code, says, builderWarns] of [
    [
      'upstream-signature-unknown-key',
      'UPSTREAM_SIGNATURE_UNVERIFIED',
      /no signature in it is by a key of the tree's debian\/upstream\/signing-key\.asc \(456EBAC57CD9BA9E5B271079EC5C3E265FD24D98|EC5C3E265FD24D98/,
      true,
    ],
    [
      'upstream-signature-multi',
      'UPSTREAM_SIGNATURE_GOOD',
      /1E71B10C1B3D70A0B9DAC33FF5FD4161DA5491ED, made [-0-9]+: good;.*by a key not in debian\/upstream\/signing-key\.asc/,
      false,
    ],
    [
      'upstream-signature-expired',
      'UPSTREAM_SIGNATURE_GOOD',
      /CC51A6917AC7A0D587F46C71F474D5FF8115BA22, made [-0-9]+: good, by a key whose copy in the tree has expired/,
      true,
    ],
  ] as const) {
    it(`${name}: reproduced, the upstream signature told in a note (${code})`, async () => {
      const { tree, dir } = await unpack(name);
      const r = await run(tree, join(dir, uploadCase(name).dsc));
      expect(r.reasons).toEqual([]);
      expect(r.verdict).toBe('reproduced');
      const note = r.notes.find((n) => n.code === code);
      expect(note?.message, JSON.stringify(r.notes)).toMatch(says);
      // When dpkg-source -b's own backend refused it, it only warned: said, not judged.
      expect(note?.message.includes("dpkg-source -b's own check")).toBe(builderWarns);
      // One build: the signature no longer counts as a difference under every profile.
      expect(r.attempts).toHaveLength(1);
    });
  }

  it('future-changelog: from the tree too, the checkout mtimes are explained (the changelog date bounds the window)', async () => {
    const { tree, dir } = await unpack('future-changelog');
    const r = await run(tree, join(dir, uploadCase('future-changelog').dsc));
    expect(r.reasons).toEqual([]);
    expect(r.verdict).toBe('equivalent');
    // From a plain tree the orig can only be the upload's (no upstream commit for git deborig).
    expect(r.notes.map((n) => n.code)).toEqual(['TAG_FIELDS_NOT_CHECKED', 'ORIG_NOT_REBUILT', 'CHECKOUT_MTIME_LEAK']);
    const bad = await run(tree, dscOf(uploadCase('tamper-future-content')));
    expect(bad.verdict).toBe('mismatch');
    expect(bad.files.filter((f) => !f.match).map((f) => f.name)).toEqual(['t2u-future_1.0-1.debian.tar.xz']);
  });

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

describe('a plain tree whose upload names a non-UTF-8 tagger', () => {
  it('gets Git-Tag-Tagger back byte for byte (0xE9, not its UTF-8 spelling), so the .dsc is identical', async () => {
    const fixture = join(REPO_ROOT, 'fixtures/uploads/latin1-tagger');
    const dsc = JSON.parse(readFileSync(join(fixture, 'case.json'), 'utf8')) as { dsc: string };
    const dir = await mkdtemp(join(work.dir, 'latin1-'));
    for (const f of await readdir(fixture)) await copyFile(join(fixture, f), join(dir, f));
    const x = await work.sandbox.run({
      argv: ['dpkg-source', '-x', dsc.dsc, 'tree'],
      workDir: dir,
      keep: ['.'],
      timeoutMs: TEST_BUILD_MS,
    });
    expect(x.exitCode, x.stderr.toString()).toBe(0);
    const r = await run(join(dir, 'tree'), join(dir, dsc.dsc));
    expect(r.reasons).toEqual([]);
    expect(r.verdict).toBe('reproduced');
    expect(r.dscIdentical).toBe(true);
  });
});
