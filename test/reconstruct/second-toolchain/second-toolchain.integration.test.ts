// The second toolchain on the committed upload fixtures (made by dgit 12.16
// and dpkg-dev 1.22 the way tag2upload builds): every honest upload of a
// mode it models is made again from the bundle's git objects and agrees byte
// for byte; each tampered copy differs and names the file or field; linear
// is refused as unsupported.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseClearsigned } from '../../../src/deb822/clearsigned.js';
import { CatFileReader } from '../../../src/fetch/cat-file-reader.js';
import {
  runSecondToolchain,
  type SecondToolchainInput,
  type SecondToolchainResult,
} from '../../../src/reconstruct/second-toolchain/second-toolchain.js';
import { MANIFEST, REPO_ROOT, packageOf, type UploadCase } from '../upload-fixtures.js';
import { builderWork } from '../../helpers/scratch-dir.js';

const repos = new Map<string, string>();

const work = builderWork('t2u-second-toolchain-');

/** A bare repository made from the case's bundle (once per bundle). */
function repoOf(u: UploadCase & { bundle: string }): string {
  const hit = repos.get(u.bundle);
  if (hit) return hit;
  const dir = join(work.dir, `repo-${repos.size}.git`);
  execFileSync('git', ['clone', '-q', '--bare', join(REPO_ROOT, u.bundle), dir], { stdio: 'ignore' });
  execFileSync('chmod', ['-R', 'a+rX', dir]);
  repos.set(u.bundle, dir);
  return dir;
}

interface Case extends UploadCase {
  upstreamCommit?: string | null;
}

async function runCase(u: Case, over: Partial<SecondToolchainInput> & { uploadDir?: string } = {}): Promise<SecondToolchainResult> {
  const repo = repoOf(u);
  const objects = new CatFileReader(
    {
      rootfs: { kind: 'host' },
      readOnly: [{ host: repo, inside: '/repo' }],
      env: { GIT_DIR: '/repo' },
      timeoutMs: 120_000,
      limits: { maxOutputBytes: Number.MAX_SAFE_INTEGER },
    },
    256 * 1024 ** 2,
  );
  try {
    const tag = await objects.read(u.tagObject);
    const commit = /^object ([0-9a-f]{40})$/m.exec(tag!.content.toString('latin1'))![1]!;
    const { uploadDir: givenDir, ...rest } = over;
    const upload = await packageOf(join(givenDir ?? join(REPO_ROOT, u.dir), u.dsc));
    const p = upload.dsc.paragraph;
    return await runSecondToolchain({
      objects,
      commit,
      quiltMode: u.quiltMode ?? '',
      umask: '0022',
      dpkgDev: '1.22',
      sandbox: work.sandbox,
      ...(u.upstreamCommit ? { upstreamCommit: u.upstreamCommit } : {}),
      appended: { dgit: p.get('Dgit')!, gitTagInfo: p.get('Git-Tag-Info')!, gitTagTagger: p.get('Git-Tag-Tagger')! },
      upload,
      ...rest,
    });
  } finally {
    await objects.close();
  }
}

const SUPPORTED = new Set(['gbp', 'unapplied', 'baredebian', 'native', 'native-1.0', 'new-upstream', 'existing-orig']);
const cases = MANIFEST.uploads as readonly Case[];

describe('honest uploads agree', () => {
  for (const u of cases.filter((x) => x.kind === 'honest' && SUPPORTED.has(x.case))) {
    it(`${u.case}: ${u.quiltMode ?? 'native'}`, async () => {
      const started = performance.now();
      const r = await runCase(u);
      process.stderr.write(`second toolchain ${u.case}: ${Math.round(performance.now() - started)} ms\n`);
      expect(r.supported).toBe(true);
      if (!r.supported) return;
      expect(r.dscBody).toEqual({ status: 'identical' });
      for (const f of r.files)
        expect(f.status, `${f.name}: ${f.detail ?? ''}`).toBe(u.existingOrig && /\.orig\./.test(f.name) ? 'not-made' : 'identical');
      expect(r.files.map((f) => f.name).sort()).toEqual(u.dscFiles.map((f) => f.name).sort());
      expect(r.agrees).toBe(true);
    });
  }
});

describe('tampered uploads differ, naming what', () => {
  it('tamper-debian-tar: the debian tarball differs at the extra member', async () => {
    const r = await runCase(cases.find((x) => x.case === 'tamper-debian-tar')!);
    expect(r.supported && r.agrees).toBe(false);
    if (!r.supported) return;
    const f = r.files.find((x) => x.name.endsWith('.debian.tar.xz'))!;
    expect(f.status).toBe('differs');
    expect(f.detail).toMatch(/debian\/extra-file/);
    expect(r.files.find((x) => x.name.endsWith('.orig.tar.xz'))!.status).toBe('identical');
    // The .dsc names the tampered tarball's checksums, which ours do not have.
    expect(r.dscBody.status).toBe('differs');
    expect(r.dscBody.fields?.map((x) => x.field)).toEqual(['Checksums-Sha1', 'Checksums-Sha256', 'Files']);
  });

  it('tamper-orig-byte: the orig differs in src/hello.c', async () => {
    const r = await runCase(cases.find((x) => x.case === 'tamper-orig-byte')!);
    expect(r.supported && r.agrees).toBe(false);
    if (!r.supported) return;
    const f = r.files.find((x) => x.name.endsWith('.orig.tar.xz'))!;
    expect(f.status).toBe('differs');
    expect(f.detail).toMatch(/src\/hello\.c/);
    expect(r.files.find((x) => x.name.endsWith('.debian.tar.xz'))!.status).toBe('identical');
  });

  it('tamper-dsc-build-depends: every file agrees, the .dsc body differs in Build-Depends', async () => {
    const r = await runCase(cases.find((x) => x.case === 'tamper-dsc-build-depends')!);
    expect(r.supported && r.agrees).toBe(false);
    if (!r.supported) return;
    expect(r.files.every((f) => f.status === 'identical')).toBe(true);
    expect(r.dscBody.status).toBe('differs');
    expect(r.dscBody.fields?.map((x) => x.field)).toEqual(['Build-Depends']);
  });
});

describe('builder parameters and scope', () => {
  const gbp = cases.find((x) => x.case === 'gbp')!;

  it('runs each compressor under the time limit it is given (the verifier gives its build’s), not a fixed one', async () => {
    await expect(runCase(gbp, { timeoutMs: 1 })).rejects.toThrow(/time|timed out|killed/i);
    const r = await runCase(gbp, { timeoutMs: 120_000 });
    expect(r.supported && r.agrees).toBe(true);
  });

  it('umask 0002 gives other modes in the debian tarball, so the honest upload differs', async () => {
    const r = await runCase(gbp, { umask: '0002' });
    expect(r.supported && r.agrees).toBe(false);
    if (!r.supported) return;
    const f = r.files.find((x) => x.name.endsWith('.debian.tar.xz'))!;
    expect(f.status).toBe('differs');
    expect(f.detail).toMatch(/member "debian\/"/);
  });

  it('dpkg-dev 1.23 writes another Package-List for a package with Build-Profiles only, so gbp still agrees', async () => {
    const r = await runCase(gbp, { dpkgDev: '1.23' });
    expect(r.supported && r.agrees).toBe(true);
  });

  it('another appended field value makes the .dsc body differ there', async () => {
    const r = await runCase(gbp, {
      appended: {
        dgit: `${'0'.repeat(40)} debian archive/debian/1.0-1 https://git.dgit.debian.org/t2u-gbp`,
        gitTagInfo: 'tag=d8d56703546d19bb1bc96f530b374e2b4b0ecbc2 fp=24f424a367355329697d092dc68afc82f3a2064e',
        gitTagTagger: 'T2U Test RSA3072 <rsa3072@t2u.test>',
      },
    });
    expect(r.supported && r.dscBody.fields?.map((x) => x.field)).toEqual(['Dgit']);
  });

  it('an orig recompressed with other xz settings has the same tar, other compression, and still agrees', async () => {
    const dir = join(work.dir, 'recompressed');
    await cp(join(REPO_ROOT, gbp.dir), dir, { recursive: true });
    const name = 't2u-gbp_1.0.orig.tar.xz';
    const before = await readFile(join(dir, name));
    const after = execFileSync('xz', ['-9e', '-T1', '-c'], { input: execFileSync('xz', ['-dc'], { input: before }) });
    expect(after.equals(before)).toBe(false);
    await writeFile(join(dir, name), after);
    // The .dsc (unsigned here) names the recompressed file, as an upload that passed its checksum check would.
    let body = Buffer.from(parseClearsigned(await readFile(join(dir, gbp.dsc))).body).toString('latin1');
    for (const alg of ['md5', 'sha1', 'sha256']) {
      body = body.replace(
        `${createHash(alg).update(before).digest('hex')} ${before.length} ${name}`,
        `${createHash(alg).update(after).digest('hex')} ${after.length} ${name}`,
      );
    }
    await writeFile(join(dir, gbp.dsc), body, 'latin1');
    await chmod(dir, 0o755);
    const r = await runCase(gbp, { uploadDir: dir });
    expect(r.supported).toBe(true);
    if (!r.supported) return;
    expect(r.files.find((x) => x.name === name)?.status).toBe('same-tar-different-compression');
    expect(r.dscBody.status).toBe('identical');
    expect(r.agrees).toBe(true);
  });

  it('linear: dgit writes the patches, so the toolchain says it does not model it', async () => {
    const r = await runCase(cases.find((x) => x.case === 'linear')!);
    expect(r.supported).toBe(false);
    expect(!r.supported && r.why).toMatch(/--quilt=linear/);
  });

  it('the tree of another commit makes the tarball and the .dsc differ', async () => {
    // gbp's upload checked against new-upstream's tag commit (1.1-1).
    const nu = cases.find((x) => x.case === 'new-upstream')!;
    const repo = repoOf(nu);
    const tag = execFileSync('git', ['-C', repo, 'rev-parse', `${nu.tagObject}^{commit}`])
      .toString()
      .trim();
    const r = await runCase(gbp, { commit: tag });
    expect(r.supported && r.agrees).toBe(false);
  });
});
