// The bits layer on the committed upload fixtures (made by dgit 12.16 the
// way tag2upload builds): each honest upload is rebuilt from its bundle and
// tag in the sandbox and reproduced byte for byte under the trixie profile;
// each tampered copy is a mismatch naming what differs; a .dsc signed by a
// key outside the service keyring fails the signature check; a build that
// runs out of time or has no rootfs is unverifiable.
import { copyFile, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFromGit } from '../../src/reconstruct/build.js';
import { profileByName, PROFILES, type BuilderProfile } from '../../src/sandbox/builder-profiles.js';
import { reproduce, type ReproduceResult } from '../../src/reconstruct/reproduce.js';
import { builderSandboxFor } from '../helpers/builder-rootfs.js';
import { forSteps, TEST_BUILD_MS } from '../helpers/work-limits.js';
import { MANIFEST, REPO_ROOT, SERVICE_KEYRING, bundleOf, dscOf, packageOf, uploadCase, type UploadCase } from './upload-fixtures.js';
import { readLocalPackage } from '../../src/upload/local-package.js';
import { builderWork } from '../helpers/scratch-dir.js';

const TRIXIE = profileByName('trixie')!;

const work = builderWork('t2u-reproduce-test-');

async function run(
  u: UploadCase,
  extra: { profiles?: readonly BuilderProfile[]; dsc?: string; tag?: string; timeoutMs?: number } = {},
): Promise<ReproduceResult> {
  return reproduce({
    from: { kind: 'git', repo: bundleOf(u), tag: extra.tag ?? u.tag },
    upload: await packageOf(extra.dsc ?? dscOf(u)),
    uploadKeyring: SERVICE_KEYRING,
    profiles: extra.profiles ?? [TRIXIE],
    sandboxFor: () => Promise.resolve(work.sandbox),
    timeoutMs: extra.timeoutMs ?? TEST_BUILD_MS,
  });
}

const codes = (r: ReproduceResult): string[] => r.reasons.map((x) => x.code);

describe.concurrent('honest uploads are reproduced', () => {
  for (const u of MANIFEST.uploads.filter((x) => x.kind === 'honest')) {
    it(
      `${u.case}: ${u.quiltMode ?? 'native'}`,
      async () => {
        const r = await run(u);
        expect(r.reasons).toEqual([]);
        expect(r.signature?.ok).toBe(true);
        expect(r.profile).toBe(u.profile);
        expect(r.build?.tag?.object).toBe(u.tagObject);
        expect(r.build?.tag?.fingerprint).toBe(u.tagSigner.fingerprint.toLowerCase());
        if (u.expect.explained?.includes('CHECKOUT_MTIME_LEAK')) {
          // The upload's debian.tar.xz has the builder's checkout mtimes; the
          // rebuild's are clamped to the changelog date: explained, named.
          expect(r.verdict).toBe('equivalent');
          expect(r.notes.map((n) => n.code)).toEqual(['CHECKOUT_MTIME_LEAK']);
          const leaked = r.files.filter((f) => !f.match);
          expect(leaked.map((f) => [f.name, f.explainedBy])).toEqual([[`${u.source}_${u.version}.debian.tar.xz`, 'CHECKOUT_MTIME_LEAK']]);
          expect(r.notes[0]?.message).toMatch(
            new RegExp(
              `^${u.source}_${u.version}\\.debian\\.tar\\.xz: \\d+ of \\d+ members differ only in their mtime: 2024-04-01T00:02:39Z`,
            ),
          );
          // The rest of the .dsc (the checksum lines aside) is the signed body.
          expect(r.fields).toEqual([]);
          expect(r.dscIdentical).toBe(false);
          return;
        }
        // Every file the .dsc names, with the sizes and digests of the manifest.
        expect(r.files.map((f) => ({ name: f.name, size: f.expected?.size, sha256: f.expected?.sha256 }))).toEqual(
          [...u.dscFiles].sort((a, b) => (a.name < b.name ? -1 : 1)).map((f) => ({ name: f.name, size: f.size, sha256: f.sha256 })),
        );
        expect(r.files.every((f) => f.match)).toBe(true);
        if (u.quiltMode === 'linear') {
          // dgit's commit_admin made the dgit view's head with the builder's
          // identity and clock: only the Dgit commit id differs, explained.
          expect(r.verdict).toBe('equivalent');
          expect(r.dscIdentical).toBe(false);
          expect(r.notes.map((n) => n.code)).toEqual(['DGIT_VIEW_NOT_REPRODUCIBLE']);
        } else {
          expect(r.verdict).toBe('reproduced');
          expect(r.dscIdentical).toBe(true);
          expect(r.build?.dgitViewBuilderCommit).toBe(false);
        }
        if (u.existingOrig) {
          // Every orig (component origs and upstream signatures too) is the archive's, used as it is.
          const origs = u.dscFiles
            .filter((f) => f.name.includes('.orig'))
            .map((f) => f.name)
            .sort();
          // Each upstream signature is also told (upstream-signature.ts): a note, whatever it says.
          const signatures = r.notes.filter((n) => n.code.startsWith('UPSTREAM_SIGNATURE_'));
          expect(signatures).toHaveLength(origs.filter((n) => n.endsWith('.asc')).length);
          for (const code of u.expect.notes ?? []) expect(signatures.map((n) => n.code)).toContain(code);
          expect(r.notes.filter((n) => !signatures.includes(n)).map((n) => n.code)).toEqual(origs.map(() => 'ORIG_NOT_REBUILT'));
          expect(r.files.filter((f) => f.origin === 'given').map((f) => f.name)).toEqual(origs);
        } else {
          expect(r.files.every((f) => f.origin === 'rebuilt')).toBe(true);
        }
      },
      forSteps(2),
    );
  }
});

describe.concurrent('tampered uploads are mismatches', () => {
  for (const u of MANIFEST.uploads.filter((x) => x.kind === 'tampered')) {
    it(
      `${u.case}: ${u.expect.differs?.what}`,
      async () => {
        const r = await run(u);
        expect(r.verdict).toBe('mismatch');
        const d = u.expect.differs!;
        if (d.what === 'signature') {
          expect(r.signature?.ok).toBe(false);
          expect(codes(r)).toEqual(['KEY_UNKNOWN']);
          // The body and files are the honest ones: only the signature fails.
          expect(r.files.every((f) => f.match)).toBe(true);
          return;
        }
        expect(r.signature?.ok).toBe(true);
        if (d.file !== null && u.existingOrig && d.file.includes('.orig')) {
          // A given orig matches by construction: dgit's quilt check (the orig
          // against the tag's upstream files) or gpgv's check of the upstream
          // signature (BADSIG) catches it, naming the file.
          const code = d.file.endsWith('.asc') ? 'UPSTREAM_SIGNATURE_INVALID' : 'ORIG_TREE_MISMATCH';
          expect(codes(r)).toEqual([code]);
          expect(r.reasons[0]?.message).toContain(d.file);
          return;
        }
        if (d.file !== null) {
          expect(r.files.filter((f) => !f.match).map((f) => f.name)).toEqual([d.file]);
          // Not explained away: the content differs, not only the mtimes.
          expect(r.notes.map((n) => n.code)).not.toContain('CHECKOUT_MTIME_LEAK');
          expect(codes(r)).toContain('RECONSTRUCTION_MISMATCH');
          expect(r.reasons.find((x) => x.code === 'RECONSTRUCTION_MISMATCH')?.message).toContain(d.file);
        }
        if (d.field !== null) {
          // Git-Tag-Info tampering shows as a .dsc field that the rebuild derives from the tag.
          expect(r.files.every((f) => f.match)).toBe(true);
          expect(r.fields.map((f) => f.field)).toEqual([d.field]);
          expect(codes(r)).toEqual(['DSC_FIELD_MISMATCH']);
          expect(r.fields[0]?.expected).not.toBe(r.fields[0]?.got);
        }
      },
      forSteps(2),
    );
  }
});

describe('builder profiles', () => {
  it(
    'tries profiles in order until one reproduces, and names it',
    async () => {
      const u = uploadCase('gbp');
      const order = ['trixie-umask002', 'trixie-xz-single', 'trixie'].map((n) => profileByName(n)!);
      const r = await run(u, { profiles: order });
      expect(r.verdict).toBe('reproduced');
      expect(r.profile).toBe('trixie');
      // Each parameter changes the bits: umask the debian.tar modes, xz threading the deborig orig.
      expect(r.attempts.map((a) => [a.profile, a.outcome])).toEqual([
        ['trixie-umask002', 'differs'],
        ['trixie-xz-single', 'differs'],
        ['trixie', 'reproduced'],
      ]);
      expect(r.attempts[0]?.reasons.map((x) => x.message).join('\n')).toContain('t2u-gbp_1.0-1.debian.tar.xz');
      expect(r.attempts[1]?.reasons.map((x) => x.message).join('\n')).toContain('t2u-gbp_1.0.orig.tar.xz');
    },
    forSteps(3),
  );

  it(
    'default order: most recent first; forky (dgit 17) differs on a baredebian dgit view, trixie reproduces',
    async () => {
      const u = uploadCase('baredebian');
      // Without its buildinfo, whose dgit would put trixie first (the next test).
      const { buildinfo, ...upload } = await packageOf(dscOf(u));
      expect(buildinfo).toBeDefined();
      const r = await reproduce({
        from: { kind: 'git', repo: bundleOf(u), tag: u.tag },
        upload,
        uploadKeyring: SERVICE_KEYRING,
        timeoutMs: TEST_BUILD_MS,
        // Each profile on its own root filesystem: forky's dgit 17 is what differs.
        sandboxFor: builderSandboxFor,
      });
      expect(r.verdict).toBe('reproduced');
      expect(r.profile).toBe('trixie');
      // The debian.tar.xz's modes (not group-writable) put the umask 0022 profiles first: forky-umask002 is not tried.
      expect(r.profileHint).toMatch(
        /^profiles of umask 0022 \(t2u-bare_1\.0-1\.debian\.tar\.xz: none of the \d+ files and directories read is group-writable\) first$/,
      );
      expect(r.attempts.map((a) => [a.profile, a.outcome])).toEqual([
        ['forky', 'differs'],
        ['trixie', 'reproduced'],
      ]);
      expect(r.attempts[0]?.reasons.map((x) => x.message.split(':')[0])).toEqual(['Dgit']);
    },
    forSteps(5),
  );

  it(
    "the upload's own buildinfo names the builder's dgit: the profiles of that rootfs come first, whatever the date",
    async () => {
      const u = uploadCase('baredebian');
      const r = await reproduce({
        from: { kind: 'git', repo: bundleOf(u), tag: u.tag },
        upload: await packageOf(dscOf(u)),
        uploadKeyring: SERVICE_KEYRING,
        // After forky's date: by date alone forky comes first (and differs, the test above).
        madeAt: new Date('2026-06-01T00:00:00Z'),
        timeoutMs: TEST_BUILD_MS,
        sandboxFor: builderSandboxFor,
      });
      expect(r.verdict).toBe('reproduced');
      const dgit = MANIFEST.profiles.trixie!.packages.dgit;
      expect(r.profileHint).toContain(`dgit ${dgit} (the upload's buildinfo lists dgit (= ${dgit}))`);
      expect(r.attempts.map((a) => [a.profile, a.outcome])).toEqual([['trixie', 'reproduced']]);
    },
    forSteps(1),
  );

  it(
    'an upload built under umask 0002: its group-writable debian.tar members put the umask 0002 profiles first',
    async () => {
      // The upload: dgit's builder mode under trixie-umask002, made here (unsigned).
      const u = uploadCase('gbp');
      const built = await buildFromGit({
        repo: bundleOf(u),
        tag: u.tag,
        profile: profileByName('trixie-umask002')!,
        sandbox: work.sandbox,
        existingOrigs: [],
        timeoutMs: TEST_BUILD_MS,
        tmpDir: work.dir,
      });
      if (!built.ok) throw new Error(built.log);
      try {
        const dsc = join(built.productsDir, built.facts.dsc);
        const r = await reproduce({
          from: { kind: 'git', repo: bundleOf(u), tag: u.tag },
          upload: await packageOf(dsc),
          madeAt: new Date('2026-06-01T00:00:00Z'),
          timeoutMs: TEST_BUILD_MS,
          tmpDir: work.dir,
          sandboxFor: builderSandboxFor,
        });
        expect(r.profileHint).toMatch(
          /^profiles of umask 0002 \(t2u-gbp_1\.0-1\.debian\.tar\.xz: all \d+ files and directories read are group-writable\) first$/,
        );
        // By date alone forky (umask 0022) would come first and differ.
        expect(r.attempts.map((a) => [a.profile, a.outcome])).toEqual([['forky-umask002', 'reproduced']]);
        expect(r.verdict).toBe('reproduced');
      } finally {
        await built.cleanup();
      }
    },
    forSteps(1 + PROFILES.length),
  );

  it(
    'reports the closest profile when none reproduces',
    async () => {
      const u = uploadCase('tamper-debian-tar');
      const r = await run(u, { profiles: ['trixie-xz-single', 'trixie-umask002'].map((n) => profileByName(n)!) });
      expect(r.verdict).toBe('mismatch');
      // xz-single differs in the orig and the debian.tar, umask002 in the debian.tar only.
      expect(r.profile).toBe('trixie-umask002');
      expect(r.attempts.map((a) => [a.outcome, a.differences])).toEqual([
        ['differs', 2],
        ['differs', 1],
      ]);
      expect(r.files.filter((f) => !f.match).map((f) => f.name)).toEqual(['t2u-gbp_1.0-1.debian.tar.xz']);
    },
    forSteps(2),
  );

  it(
    'stops early on a field no profile changes, naming the profiles not tried',
    async () => {
      const u = uploadCase('tamper-dsc-build-depends');
      const r = await run(u, { profiles: ['trixie', 'trixie-umask002', 'forky'].map((n) => profileByName(n)!) });
      expect(r.verdict).toBe('mismatch');
      expect(r.attempts).toHaveLength(1);
      expect(r.skipped).toEqual(
        ['trixie-umask002', 'forky'].map((profile) => ({
          profile,
          why: 'trixie showed a difference no profile setting changes: the .dsc field Build-Depends',
        })),
      );
    },
    forSteps(1),
  );

  it(
    'skips a profile that shares every setting able to change what differs, tries one that does not',
    async () => {
      // The tampered debian.tar: umask could change it, xz threading could not.
      const u = uploadCase('tamper-debian-tar');
      const r = await run(u, { profiles: ['trixie', 'trixie-xz-single', 'trixie-umask002'].map((n) => profileByName(n)!) });
      expect(r.verdict).toBe('mismatch');
      expect(r.attempts.map((a) => [a.profile, a.outcome])).toEqual([
        ['trixie', 'differs'],
        ['trixie-umask002', 'differs'],
      ]);
      expect(r.skipped.map((x) => x.profile)).toEqual(['trixie-xz-single']);
      expect(r.skipped[0]?.why).toMatch(
        /^trixie showed a difference only umask, dgit, dpkg-dev, rootfs can change, which trixie-xz-single shares with it: t2u-gbp_1\.0-1\.debian\.tar\.xz$/,
      );
    },
    2 * forSteps(1),
  );

  it(
    'an upload another layer has refuted gets one build, and says why the rest were not tried',
    async () => {
      const u = uploadCase('tamper-debian-tar');
      const r = await reproduce({
        from: { kind: 'git', repo: bundleOf(u), tag: u.tag },
        upload: await packageOf(dscOf(u)),
        uploadKeyring: SERVICE_KEYRING,
        profiles: ['trixie', 'trixie-umask002'].map((n) => profileByName(n)!),
        sandboxFor: () => Promise.resolve(work.sandbox),
        timeoutMs: TEST_BUILD_MS,
        refuted: () => 'the content layer already refutes the upload (CONTENT_MISMATCH)',
      });
      expect(r.verdict).toBe('mismatch');
      expect(r.attempts).toHaveLength(1);
      expect(r.skipped).toEqual([{ profile: 'trixie-umask002', why: 'the content layer already refutes the upload (CONTENT_MISMATCH)' }]);
    },
    forSteps(1),
  );

  it(
    'a .dsc signature that fails refutes the upload: no profile after the first build',
    async () => {
      // The files are honest; the first profile (the wrong umask) differs, the second would reproduce.
      const u = uploadCase('foreign-signed');
      const r = await run(u, { profiles: ['trixie-umask002', 'trixie'].map((n) => profileByName(n)!) });
      expect(r.verdict).toBe('mismatch');
      expect(r.attempts.map((a) => [a.profile, a.outcome])).toEqual([['trixie-umask002', 'differs']]);
      expect(r.skipped).toEqual([{ profile: 'trixie', why: 'the .dsc signature refutes the upload (KEY_UNKNOWN)' }]);
    },
    forSteps(1),
  );
});

describe('other inputs', () => {
  it(
    'another tag of the same repository is a mismatch',
    async () => {
      const r = await run(uploadCase('gbp'), { tag: 'debian/1.1-1' });
      expect(r.verdict).toBe('mismatch');
      expect(r.fields.map((f) => f.field)).toContain('Version');
    },
    forSteps(1),
  );

  it(
    'a tag the repository does not have is unverifiable (the build fails)',
    async () => {
      const r = await run(uploadCase('gbp'), { tag: 'debian/9.9-9' });
      expect(r.verdict).toBe('unverifiable');
      expect(codes(r)).toEqual(['BUILD_FAILED']);
      expect(r.reasons[0]?.message).toContain('the tag debian/9.9-9 cannot be read');
    },
    forSteps(1),
  );

  it(
    'a build that runs out of time is unverifiable',
    async () => {
      const r = await run(uploadCase('gbp'), { timeoutMs: 300, profiles: [TRIXIE, profileByName('trixie-umask002')!] });
      expect(r.verdict).toBe('unverifiable');
      expect(codes(r)).toEqual(['BUILD_TIMEOUT']);
      // A timeout would recur: no second profile is tried.
      expect(r.attempts).toHaveLength(1);
    },
    forSteps(1),
  );

  it('a missing rootfs is unverifiable', async () => {
    const u = uploadCase('gbp');
    const r = await reproduce({
      from: { kind: 'git', repo: bundleOf(u), tag: u.tag },
      upload: await packageOf(dscOf(u)),
      profiles: [TRIXIE],
      sandboxFor: () => Promise.reject(new Error('mmdebstrap failed: no network')),
    });
    expect(r.verdict).toBe('unverifiable');
    expect(codes(r)).toEqual(['ROOTFS_UNAVAILABLE']);
  });

  it('a refuted signature with no build to compare is still a mismatch: an alarm is never hidden by a failure', async () => {
    const u = uploadCase('foreign-signed');
    const r = await reproduce({
      from: { kind: 'git', repo: bundleOf(u), tag: u.tag },
      upload: await packageOf(dscOf(u)),
      uploadKeyring: SERVICE_KEYRING,
      profiles: [TRIXIE],
      sandboxFor: () => Promise.reject(new Error('mmdebstrap failed: no network')),
    });
    expect(codes(r).sort()).toEqual(['KEY_UNKNOWN', 'ROOTFS_UNAVAILABLE']);
    expect(r.verdict).toBe('mismatch');
  });

  it(
    'a source format tag2upload does not build (3.0 (git), made by dpkg-source) is unverifiable',
    async () => {
      const u = uploadCase('native');
      const dir = await mkdtemp(join(work.dir, 'git-format-'));
      for (const f of await readdir(join(REPO_ROOT, u.dir))) await copyFile(join(REPO_ROOT, u.dir, f), join(dir, f));
      const id = '-c user.name=t2u-test -c user.email=test@t2u.invalid';
      const made = await work.sandbox.run({
        argv: [
          'sh',
          '-ec',
          `dpkg-source -x ${u.dsc} tree; cd tree; echo '3.0 (git)' > debian/source/format; git init -q; git add -A -f; git ${id} commit -qm import; mkdir ../out; cd ../out; dpkg-source -b ../tree`,
        ],
        workDir: dir,
        keep: ['.'],
        timeoutMs: TEST_BUILD_MS,
      });
      expect(made.exitCode, made.stderr.toString()).toBe(0);
      const r = await run(u, { dsc: join(dir, 'out', u.dsc) });
      expect(r.verdict).toBe('unverifiable');
      expect(codes(r)).toEqual(['SOURCE_FORMAT_UNSUPPORTED']);
      expect(r.attempts).toEqual([]);
    },
    forSteps(2),
  );

  it('an upload file that does not match its .dsc is refused as the upload is read, before any build', async () => {
    // reproduce takes an upload read and checked once (upload/local-package.ts, or obtainUpload).
    const u = uploadCase('gbp');
    const dir = await mkdtemp(join(work.dir, 'bad-'));
    for (const f of await readdir(join(REPO_ROOT, u.dir))) await copyFile(join(REPO_ROOT, u.dir, f), join(dir, f));
    await writeFile(join(dir, 't2u-gbp_1.0-1.debian.tar.xz'), 'not the file');
    const r = await readLocalPackage(join(dir, u.dsc));
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.reasons.map((x) => x.code)).toEqual(['UPLOAD_CHECKSUM_MISMATCH']);
  });
});
