// The content layer on source packages made here with real git, git archive
// and dpkg-source: a bare-debian tag whose upstream tree carries
// export-ignore attributes (the orig is git archive's rendering: a note, not
// a mismatch, while a plain difference stays one), baredebian+tarball (the
// orig is not compared), an upload dpkg-source refuses, and a quilt mode the
// layer does not know.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkContent, contentPlan, type ContentCheckInput } from '../../src/compare/content.js';
import { hostSandbox as sandbox } from '../helpers/host-sandbox.js';

let root: string;
let repo: string;
let upload: string;
let upstreamCommit: string;
let commit: string;

const git = (...args: string[]): string =>
  execFileSync('git', ['-C', repo, ...args], {
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'T',
      GIT_AUTHOR_EMAIL: 't@t2u.test',
      GIT_COMMITTER_NAME: 'T',
      GIT_COMMITTER_EMAIL: 't@t2u.test',
      GIT_AUTHOR_DATE: '2024-03-01T00:00:00Z',
      GIT_COMMITTER_DATE: '2024-03-01T00:00:00Z',
    },
  })
    .toString()
    .trim();

function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

const DEBIAN = {
  'debian/source/format': '3.0 (quilt)\n',
  'debian/changelog': 'pkg (1.0-1) unstable; urgency=medium\n\n  * Initial.\n\n -- T <t@t2u.test>  Fri, 01 Mar 2024 00:00:00 +0000\n',
  'debian/control': 'Source: pkg\nMaintainer: T <t@t2u.test>\n\nPackage: pkg\nArchitecture: all\nDescription: test\n test\n',
};

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 't2u-content-'));
  chmodSync(root, 0o755);
  repo = join(root, 'repo');
  mkdirSync(repo);
  git('init', '-q');
  write(repo, { 'hello.c': 'int main(void) { return 0; }\n', 'dev-notes': 'not shipped\n', '.gitattributes': 'dev-notes export-ignore\n' });
  git('add', '-A');
  git('commit', '-qm', 'upstream');
  git('tag', 'upstream/1.0');
  upstreamCommit = git('rev-parse', 'HEAD');
  // The bare-debian branch: only debian/.
  git('checkout', '-q', '--orphan', 'debian');
  git('rm', '-rq', '--cached', '.');
  for (const f of ['hello.c', 'dev-notes', '.gitattributes']) rmSync(join(repo, f));
  write(repo, DEBIAN);
  git('add', '-A');
  git('commit', '-qm', 'debian');
  git('tag', 'debian/1.0-1');
  commit = git('rev-parse', 'HEAD');

  // The upload: git archive's orig (export-ignore honoured), debian/ from the tag, dpkg-source -b.
  const build = join(root, 'build');
  mkdirSync(join(build, 'pkg-1.0'), { recursive: true });
  execFileSync('sh', ['-c', `git -C ${repo} archive --prefix=pkg-1.0/ upstream/1.0 | xz -c > ${build}/pkg_1.0.orig.tar.xz`]);
  execFileSync('tar', ['-xJf', 'pkg_1.0.orig.tar.xz'], { cwd: build });
  write(join(build, 'pkg-1.0'), DEBIAN);
  execFileSync('dpkg-source', ['-b', 'pkg-1.0'], { cwd: build, stdio: 'ignore' });
  upload = join(root, 'upload');
  mkdirSync(upload);
  for (const f of readdirSync(build).filter((f) => f.startsWith('pkg_'))) copyFileSync(join(build, f), join(upload, f));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

function input(extra: Partial<ContentCheckInput> = {}): ContentCheckInput {
  return {
    repo,
    tag: 'debian/1.0-1',
    commit,
    upstreamTag: 'upstream/1.0',
    upstreamCommit,
    quiltMode: 'baredebian',
    format: '3.0 (quilt)',
    uploadDir: upload,
    dscName: 'pkg_1.0-1.dsc',
    uploadFiles: ['pkg_1.0.orig.tar.xz', 'pkg_1.0-1.debian.tar.xz'],
    sandbox,
    timeoutMs: 120_000,
    ...extra,
  };
}

describe('content layer', () => {
  it('an orig that is git archive of the upstream commit (export-ignore honoured) is a note, not a mismatch', async () => {
    const r = await checkContent(input());
    expect(r.reasons).toEqual([]);
    expect(r.notes.map((n) => n.code)).toEqual(['ORIG_EXPORT_ATTRIBUTES']);
    expect(r.facts?.differences).toEqual([]);
  });

  it('against another upstream commit the orig differs, path by path', async () => {
    git('checkout', '-q', '-b', 'other', 'upstream/1.0');
    writeFileSync(join(repo, 'hello.c'), 'int main(void) { return 1; }\n');
    git('commit', '-qam', 'changed');
    git('tag', 'upstream/1.0-other');
    const other = git('rev-parse', 'HEAD');
    git('checkout', '-q', 'debian');
    const r = await checkContent(input({ upstreamTag: 'upstream/1.0-other', upstreamCommit: other }));
    expect(r.reasons.map((x) => x.code)).toEqual(['ORIG_CONTENT_MISMATCH']);
    expect(r.facts?.differences.map((d) => `${d.scope} ${d.change} ${d.path}`)).toContain('orig changed hello.c');
  });

  it('baredebian+tarball: the orig is the upstream source, not compared', async () => {
    const r = await checkContent(input({ quiltMode: 'baredebian+tarball' }));
    expect(r.reasons).toEqual([]);
    expect(r.notes.map((n) => n.code)).toEqual(['ORIG_NOT_COMPARED']);
  });

  it('an upload dpkg-source -x refuses is UPLOAD_UNPACK_FAILED', async () => {
    const broken = join(root, 'broken');
    mkdirSync(broken);
    for (const f of readdirSync(upload)) copyFileSync(join(upload, f), join(broken, f));
    writeFileSync(join(broken, 'pkg_1.0-1.debian.tar.xz'), 'not xz');
    const r = await checkContent(input({ uploadDir: broken }));
    expect(r.reasons.map((x) => x.code)).toEqual(['UPLOAD_UNPACK_FAILED']);
  });

  it('an upload that unpacks to more than the work directory holds is WORK_QUOTA_EXCEEDED, not UPLOAD_UNPACK_FAILED', async () => {
    // An orig of a few KB that unpacks to 32 MiB (any large package looks
    // like this to a limit): dpkg-source -x runs out of room, and so does any
    // log written beside what it unpacks.
    const big = join(root, 'big');
    const tree = join(big, 'pkg-1.0');
    mkdirSync(tree, { recursive: true });
    execFileSync('sh', ['-c', `git -C ${repo} archive upstream/1.0 | tar -x -C ${tree} && head -c 33554432 /dev/zero > ${tree}/zeros`]);
    execFileSync('tar', ['--sort=name', '-cJf', 'pkg_1.0.orig.tar.xz', 'pkg-1.0'], { cwd: big });
    write(tree, DEBIAN);
    execFileSync('dpkg-source', ['-b', 'pkg-1.0'], { cwd: big, stdio: 'ignore' });
    rmSync(tree, { recursive: true });
    const saved = process.env.T2U_SANDBOX_WORK_FLOOR;
    process.env.T2U_SANDBOX_WORK_FLOOR = String(16 * 1024 ** 2);
    try {
      const r = await checkContent(input({ uploadDir: big }));
      expect(r.reasons.map((x) => x.code)).toEqual(['WORK_QUOTA_EXCEEDED']);
      expect(r.reasons[0]!.message).toContain(String(16 * 1024 ** 2));
    } finally {
      if (saved === undefined) delete process.env.T2U_SANDBOX_WORK_FLOOR;
      else process.env.T2U_SANDBOX_WORK_FLOOR = saved;
    }
  });

  it('a quilt mode the layer does not know is CONTENT_UNSUPPORTED, never a pass', async () => {
    expect(contentPlan('3.0 (quilt)', 'mystery', true).unpack).toEqual([]);
    const r = await checkContent(input({ quiltMode: 'mystery' }));
    expect(r.reasons.map((x) => x.code)).toEqual(['CONTENT_UNSUPPORTED']);
    expect(r.facts).toBeUndefined();
  });
});
