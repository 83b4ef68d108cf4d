// Size caps at the door, end to end: a tag object far larger than any tag
// git-debpush makes, in a real repository served over loopback smart HTTP,
// is not read into memory (the object reader skips its bytes from the size
// in git's header) and ends in a recorded verdict with TAG_TOO_LARGE, even
// though the repository's objects may be as large as maxObjectBytes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TAG_OBJECT_BYTES } from '../../src/gitobj/tag-object.js';
import { MAX_CHANGELOG_BYTES } from '../../src/interpret/changelog.js';
import { Gpg, KEYS_DIR, signedTag } from '../authenticate/gpg-harness.js';
import { checkTag } from '../../src/pipeline/check-tag.js';
import type { CheckTagReport } from '../../src/report/report.js';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.js';
import { loadFixtureTrust, type FixtureTrust } from '../helpers/fixture-keyrings.js';
import { loadManifest, unpackFixtureRepos, type FixtureRepos } from '../helpers/fixture-repos.js';

let fixtures: FixtureRepos;
let server: GitHttpServer;
let trusted: FixtureTrust;
let repoName: string;

/** A tag object: a real tag's headers and message, then a signature block of `signatureBytes`. */
function bigTag(repo: string, honest: string, signatureBytes: number, name: string): void {
  const raw = execFileSync('git', ['-C', repo, 'cat-file', 'tag', honest]);
  const cut = raw.indexOf('-----BEGIN PGP SIGNATURE-----');
  const line = `${'A'.repeat(76)}\n`;
  const body = line.repeat(Math.ceil(signatureBytes / line.length));
  const object = Buffer.concat([
    raw.subarray(0, cut),
    Buffer.from(`-----BEGIN PGP SIGNATURE-----\n\n${body}-----END PGP SIGNATURE-----\n`),
  ]);
  const oid = execFileSync('git', ['-C', repo, 'hash-object', '-t', 'tag', '-w', '--stdin', '--literally'], { input: object })
    .toString()
    .trim();
  execFileSync('git', ['-C', repo, 'update-ref', `refs/tags/${name}`, oid]);
}

/**
 * A commit like `base` whose debian/changelog is `bytes` long, under a tag
 * validly signed by the fixture uploader key (so the metadata layer runs).
 */
function bigChangelogTag(repo: string, base: string, bytes: number, name: string): void {
  const git = (args: string[], input?: Buffer, env: Record<string, string> = {}): string =>
    execFileSync('git', ['-C', repo, ...args], { input, env: { ...process.env, ...env }, maxBuffer: 1 << 20 })
      .toString()
      .trim();
  const entry = 'x (1.0-1) unstable; urgency=low\n\n  * A line.\n\n -- A <a@b.c>  Thu, 02 Jan 2025 00:00:00 +0100\n\n';
  const blob = git(['hash-object', '-w', '--stdin'], Buffer.from(entry.repeat(Math.ceil(bytes / entry.length))));
  const index = join(mkdtempSync(join(tmpdir(), 't2u-index-')), 'index');
  git(['read-tree', `${base}^{commit}`], undefined, { GIT_INDEX_FILE: index });
  git(['update-index', '--add', '--cacheinfo', `100644,${blob},debian/changelog`], undefined, { GIT_INDEX_FILE: index });
  const tree = git(['write-tree'], undefined, { GIT_INDEX_FILE: index });
  rmSync(join(index, '..'), { recursive: true });
  const ident = {
    GIT_AUTHOR_NAME: 'A',
    GIT_AUTHOR_EMAIL: 'a@b.c',
    GIT_COMMITTER_NAME: 'A',
    GIT_COMMITTER_EMAIL: 'a@b.c',
    GIT_AUTHOR_DATE: '1709251200 +0000',
    GIT_COMMITTER_DATE: '1709251200 +0000',
  };
  const commit = git(['commit-tree', tree, '-m', 'big changelog'], undefined, ident);
  const payload = Buffer.from(
    `object ${commit}\ntype commit\ntag ${name}\ntagger A <a@b.c> 1709251200 +0000\n\n` +
      'x release 1.0-1 for unstable\n\n[dgit distro=debian split --quilt=linear]\n[dgit please-upload source=x version=1.0-1]\n',
  );
  const gpg = Gpg.create();
  try {
    gpg.importFile(join(KEYS_DIR, 'rsa3072.sec.asc'));
    const signature = gpg.detachSign(payload, gpg.fingerprints('rsa3072@t2u.test')[0]!, '20240301T000000');
    const oid = git(['hash-object', '-t', 'tag', '-w', '--stdin'], signedTag(payload, signature));
    git(['update-ref', `refs/tags/${name}`, oid]);
  } finally {
    gpg.close();
  }
}

beforeAll(async () => {
  fixtures = await unpackFixtureRepos();
  const manifest = await loadManifest();
  const honest = manifest.tags.find((t) => t.expect.verdict === 'authentic' && t.objectType === 'tag')!;
  repoName = honest.repo;
  const repo = fixtures.repos[honest.repo]!;
  bigTag(repo, `refs/tags/${honest.tag}`, 16 << 20, 'debian/9.9-1');
  bigTag(repo, `refs/tags/${honest.tag}`, MAX_TAG_OBJECT_BYTES - 64 * 1024, 'debian/9.9-2');
  bigChangelogTag(repo, `refs/tags/${honest.tag}`, MAX_CHANGELOG_BYTES + 1, 'debian/9.9-3');
  execFileSync('git', ['-C', repo, 'update-server-info']);
  server = await startGitHttpServer({ root: fixtures.root });
  trusted = await loadFixtureTrust({
    keyrings: [{ path: fixtures.keyrings.uploaders, role: 'uploader' }],
    dmTxt: undefined,
    // Objects up to 1 GiB may be read (the default); the tag has its own, smaller cap.
    fetch: { timeoutMs: 120_000, maxPackBytes: 256 << 20, maxObjectBytes: 1 << 30, maxRefsBytes: 1 << 20, allowHttpLoopback: true },
  });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await fixtures?.cleanup();
});

function run(repo: string, tag: string): Promise<CheckTagReport> {
  return checkTag({ repo, tag }, trusted.deps);
}

describe('a tag object over the cap', () => {
  it('is unverifiable with TAG_TOO_LARGE over smart HTTP, without holding it', async () => {
    const before = process.memoryUsage().rss;
    const r = await run(`${server.url}/${repoName}.git`, 'debian/9.9-1');
    expect(r.verdict).toBe('unverifiable');
    expect(r.reasons.map((x) => x.code)).toEqual(['TAG_TOO_LARGE']);
    expect(r.reasons[0]!.message).toMatch(/is 1677\d+ bytes, above the 1048576 bytes/);
    // The 16 MiB object was skipped, not held (a few copies of it would show here).
    expect(process.memoryUsage().rss - before).toBeLessThan(64 << 20);
  }, 120_000);

  it('is unverifiable with TAG_TOO_LARGE from a local repository', async () => {
    const r = await run(fixtures.repos[repoName]!, 'debian/9.9-1');
    expect(r.reasons.map((x) => x.code)).toEqual(['TAG_TOO_LARGE']);
  }, 120_000);

  it('a tag just under the cap is read and judged (its signature is not one)', async () => {
    const r = await run(`${server.url}/${repoName}.git`, 'debian/9.9-2');
    expect(r.verdict).toBe('rejected');
    expect(r.reasons.map((x) => x.code)).toContain('SIGNATURE_MALFORMED');
  }, 120_000);
});

describe('a debian/changelog over the cap', () => {
  it('is unverifiable with CHANGELOG_TOO_LARGE, after the tag verified', async () => {
    const r = await run(`${server.url}/${repoName}.git`, 'debian/9.9-3');
    expect(r.layers.authenticity.status).toBe('pass');
    expect(r.verdict).toBe('unverifiable');
    expect(r.reasons.map((x) => x.code)).toEqual(['CHANGELOG_TOO_LARGE']);
  }, 120_000);
});
