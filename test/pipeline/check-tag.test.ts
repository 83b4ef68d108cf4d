// check-tag end to end through the real stages, on every tag of the fixture
// corpus (made by git-debpush, git tag -s, git mktag; fixtures/tags/make.sh):
// from a local repository read in place and over loopback smart HTTP, the
// verdict and the expected reason codes; and the authenticity layer's
// agreement with `git verify-tag` (recorded when the fixtures were made),
// except where the policy is stricter, which the manifest states.
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTag, type HeldRepository } from '../../src/pipeline/check-tag.js';
import type { CheckTagReport } from '../../src/report/report.js';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.js';
import { loadFixtureTrust, type FixtureTrust } from '../helpers/fixture-keyrings.js';
import { unpackFixtureRepos, type FixtureRepos, type FixtureTag } from '../helpers/fixture-repos.js';

let fixtures: FixtureRepos;
let server: GitHttpServer;
let trusted: FixtureTrust;

beforeAll(async () => {
  fixtures = await unpackFixtureRepos();
  server = await startGitHttpServer({ root: fixtures.root });
  trusted = await loadFixtureTrust({
    fetch: { timeoutMs: 60_000, maxPackBytes: 64 << 20, maxObjectBytes: 64 << 20, maxRefsBytes: 1 << 20, allowHttpLoopback: true },
  });
});

afterAll(async () => {
  await server?.close();
  await fixtures?.cleanup();
});

function run(repo: string, tag: string): Promise<CheckTagReport> {
  return checkTag({ repo, tag }, trusted.deps);
}

function codes(r: CheckTagReport): string[] {
  return [...r.reasons, ...r.notes].map((x) => x.code);
}

function describeReport(r: CheckTagReport): string {
  return `${r.verdict}: ${[...r.reasons.map((x) => `${x.code} ${x.message}`), ...r.notes.map((x) => `note ${x.code}`)].join('; ')}`;
}

function expectMatches(t: FixtureTag, r: CheckTagReport): void {
  expect(r.verdict, `${t.id}: ${describeReport(r)}`).toBe(t.expect.verdict);
  for (const code of t.expect.codes) expect(codes(r), `${t.id}: ${describeReport(r)}`).toContain(code);
  if (t.expect.verdict === 'authentic') expect(r.reasons, t.id).toEqual([]);
}

describe('check-tag on the fixture corpus', async () => {
  const { loadManifest } = await import('../helpers/fixture-repos.js');
  const manifest = await loadManifest();

  it.each(manifest.tags.map((t) => [t.id, t] as const))('local repository: %s', async (_id, t) => {
    const r = await run(fixtures.repos[t.repo]!, t.tag);
    expectMatches(t, r);
  });

  it.each(manifest.tags.map((t) => [t.id, t] as const))('over smart HTTP: %s', async (_id, t) => {
    const r = await run(`${server.url}/${t.repo}.git`, t.tag);
    expectMatches(t, r);
  });

  // Tags on which tag2upload and git disagree: tag2upload cuts at the first -----BEGIN PGP line
  // and acts on the first signature packet, git at the last line and refuses two packets.
  // check-tag follows tag2upload (test/authenticate/tag-oracle-corpus.integration.test.ts runs its code).
  const TAG2UPLOAD_NOT_GIT = new Set([
    'corpus/two-signature-blocks',
    'corpus/nested-signature',
    'corpus/two-signatures-one-armor',
    'corpus/marker-in-message',
  ]);

  it.each(manifest.tags.map((t) => [t.id, t] as const))('authenticity agrees with git verify-tag: %s', async (_id, t) => {
    const r = await run(fixtures.repos[t.repo]!, t.tag);
    const ours = r.layers.authenticity.status;
    if (TAG2UPLOAD_NOT_GIT.has(t.id)) {
      expect(ours, `${t.id}: ${describeReport(r)}`).toBe(t.expect.verdict === 'authentic' ? 'pass' : 'fail');
    } else if (t.gitVerifyTag === 'good' && t.policyStricterThanGit === undefined) {
      expect(ours, `${t.id}: git says good; ${describeReport(r)}`).toBe('pass');
    } else if (t.gitVerifyTag === 'good') {
      // Stricter than git by policy: the manifest says why, the report must say which rule.
      expect(t.expect.codes.length, t.id).toBeGreaterThan(0);
      expect(codes(r), t.id).toEqual(expect.arrayContaining([...t.expect.codes]));
    } else if (t.gitVerifyTag === 'error') {
      // git could not process the tag at all (e.g. no tagger, two signature packets): never authentic.
      expect(r.verdict, `${t.id}: git says error; ${describeReport(r)}`).toBe('rejected');
    } else {
      // bad, no-signature, no-public-key, expired-key, revoked-key, not-a-tag: our signature check fails too.
      expect(ours, `${t.id}: git says ${t.gitVerifyTag}; ${describeReport(r)}`).toBe('fail');
    }
  });

  it('reports the signer, its primary key, the keyring and the digest of an authentic tag', async () => {
    const { loadFixtureKeys } = await import('../helpers/fixture-repos.js');
    const keys = await loadFixtureKeys();
    const t = manifest.tags.find((x) => x.id === 'honest/ed25519-subkey')!;
    const r = await run(`${server.url}/${t.repo}.git`, t.tag);
    expect(r.verdict).toBe('authentic');
    expect(r.tag.object).toBe(t.object);
    expect(r.tag.signerFingerprint).toBe(keys['ed25519']!.signing.toLowerCase());
    expect(r.tag.primaryFingerprint).toBe(keys['ed25519']!.primary.toLowerCase());
    expect(r.tag.signerFingerprint).not.toBe(r.tag.primaryFingerprint);
    expect(r.tag.keyring).toBe(fixtures.keyrings.uploaders);
    expect(r.tag.digestAlgorithm).toMatch(/^sha(256|384|512)$/);
    expect(r.source.package).toBe('hello-t2u');
    expect(r.layers).toEqual({ authenticity: { status: 'pass' }, metadata: { status: 'pass' } });
  });

  it('reports the upstream commit and tag of a gbp tag', async () => {
    const t = manifest.tags.find((x) => x.id === 'honest/rsa3072')!;
    const r = await run(fixtures.repos[t.repo]!, t.tag);
    expect(r.source).toMatchObject({ package: 'hello-t2u', version: '1.0-1', quiltMode: 'gbp', upstreamTag: 'upstream/1.0' });
    expect(r.source.upstreamCommit).toMatch(/^[0-9a-f]{40}$/);
    // The upstream commit's tree, for the ledger of upstream trees (UPSTREAM_TREE_CHANGED).
    const tree = execFileSync('git', ['rev-parse', `${r.source.upstreamCommit!}^{tree}`], {
      cwd: fixtures.repos[t.repo]!,
      encoding: 'utf8',
    }).trim();
    expect(r.source.upstreamTree).toBe(tree);
  });

  it('takes keyrings still loading: the same verdict, the wait timed, and a load that fails after the verification ended is not awaited', async () => {
    const t = manifest.tags.find((x) => x.id === 'honest/ed25519-subkey')!;
    const url = `${server.url}/${t.repo}.git`;
    const late = <T>(v: T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(v), 50));
    const r = await checkTag(
      { repo: url, tag: t.tag },
      { ...trusted.deps, keyrings: late(trusted.trust.keyrings), dm: late(trusted.trust.dm) },
    );
    expect(r.verdict).toBe('authentic');
    expect(r.tag.signerFingerprint).toBe((await run(url, t.tag)).tag.signerFingerprint);
    expect(r.timings['keyringsMs']).toBeGreaterThanOrEqual(0);
    // The tag is missing: the check ends before the signature, leaving the failing load alone.
    const failing = Promise.reject(new Error('keyring unreadable'));
    failing.catch(() => undefined);
    const missing = await checkTag({ repo: url, tag: 'debian/9.9-9' }, { ...trusted.deps, keyrings: failing, dm: undefined });
    expect(codes(missing)).toEqual(['TAG_NOT_FOUND']);
    // Reached, the failing load is the check's failure, not a verdict.
    await expect(checkTag({ repo: url, tag: t.tag }, { ...trusted.deps, keyrings: failing, dm: undefined })).rejects.toThrow(
      'keyring unreadable',
    );
  });

  it("with the whole history (verify's fetch): the tag with its history and the upstream tag it most likely names, in one fetch; read only once the tag is authentic", async () => {
    const packRequests = (from: number): string[] =>
      server.requests
        .slice(from)
        .filter((r) => r.path.endsWith('/git-upload-pack') && r.body.includes('deepen'))
        .map((r) => r.body.toString('latin1'));
    const repo = fixtures.repos['hello-t2u']!;
    const upstream = execFileSync('git', ['rev-parse', 'refs/tags/upstream/1.0'], { cwd: repo, encoding: 'utf8' }).trim();
    const url = `${server.url}/hello-t2u.git`;
    for (const id of ['honest/rsa3072', 'key/outsider']) {
      const t = manifest.tags.find((x) => x.id === id)!;
      expect(execFileSync('git', ['cat-file', 'tag', t.object], { cwd: repo, encoding: 'utf8' })).toContain('upstream-tag=upstream/1.0');
      const from = server.requests.length;
      let held: HeldRepository | undefined;
      const r = await checkTag({ repo: url, tag: t.tag }, { ...trusted.deps, wholeHistory: true, hold: (h) => (held = h) });
      try {
        expectMatches(t, r);
        // One fetch, bounded as any: DEP-14's upstream/1.0 for debian/1.0-1 comes with the tag, authentic or not.
        const packs = packRequests(from);
        expect(packs).toHaveLength(1);
        expect(packs[0]).toContain('deepen 2147483647\n');
        expect(packs[0]).toContain(`want ${t.object}\n`);
        expect(packs[0]).toContain(`want ${upstream}\n`);
        if (t.expect.verdict === 'authentic') {
          expect(r.source.upstreamCommit).toBeDefined();
          expect(held!.refs.get('upstream/1.0')).toBe(upstream);
          // The history is all here: verify's history step asks for nothing.
          const asked = server.requests.length;
          await held!.repo.fetchHistory([...held!.refs.values()]);
          expect(server.requests.length).toBe(asked);
        } else {
          // Not authenticated: the upstream tag is not read, nor taken into the refs the build sees.
          expect(r.source.upstreamTag).toBeUndefined();
          expect(held!.refs.has('upstream/1.0')).toBe(false);
        }
      } finally {
        await held?.repo.close();
      }
    }
  });

  it('says unverifiable (TAG_NOT_FOUND) for a tag the repository does not have', async () => {
    const r = await run(`${server.url}/hello-t2u.git`, 'debian/9.9-9');
    expect(r.verdict).toBe('unverifiable');
    expect(codes(r)).toEqual(['TAG_NOT_FOUND']);
  });

  it('rejects a tag name git would refuse before touching the repository', async () => {
    const r = await run('/nonexistent', '../../config');
    expect(r.verdict).toBe('rejected');
    expect(codes(r)).toEqual(['TAG_NAME_INVALID']);
  });

  it('rejects an authentic tag whose local tree holds an object that does not hash to its id (OBJECT_HASH_MISMATCH)', async () => {
    const t = manifest.tags.find((x) => x.id === 'honest/rsa3072')!;
    const src = fixtures.repos[t.repo]!;
    // The same objects, loose, in a new repository; then one blob of the tagged tree is replaced.
    const dir = join(fixtures.root, 'loose.git');
    execFileSync('git', ['init', '-q', '--bare', dir]);
    const upstream = execFileSync('git', ['rev-parse', 'refs/tags/upstream/1.0'], { cwd: src, encoding: 'utf8' }).trim();
    const pack = execFileSync('git', ['pack-objects', '--stdout', '--revs', '-q'], { cwd: src, input: `${t.object}\n${upstream}\n` });
    execFileSync('git', ['unpack-objects', '-q'], { cwd: dir, input: pack });
    execFileSync('git', ['update-ref', `refs/tags/${t.tag}`, t.object], { cwd: dir });
    execFileSync('git', ['update-ref', 'refs/tags/upstream/1.0', upstream], { cwd: dir });
    expect((await run(dir, t.tag)).verdict).toBe('authentic');
    const blob = execFileSync('git', ['rev-parse', `${t.object}^{commit}:debian/control`], { cwd: dir, encoding: 'utf8' }).trim();
    const other = Buffer.from('Source: evil\n');
    const file = join(dir, 'objects', blob.slice(0, 2), blob.slice(2));
    chmodSync(file, 0o644);
    writeFileSync(file, deflateSync(Buffer.concat([Buffer.from(`blob ${other.length}\0`), other])));
    const r = await run(dir, t.tag);
    expect(r.verdict).toBe('rejected');
    expect(r.reasons).toEqual([expect.objectContaining({ code: 'OBJECT_HASH_MISMATCH', layer: 'authenticity' })]);
  });

  it('says unverifiable (OBJECT_MISSING) when the tag names an object the repository lacks', async () => {
    const dir = join(fixtures.root, 'dangling.git');
    execFileSync('git', ['init', '-q', '--bare', dir]);
    writeFileSync(join(dir, 'packed-refs'), `${'ab'.repeat(20)} refs/tags/debian/1.0-1\n`);
    const r = await run(dir, 'debian/1.0-1');
    expect(r.verdict).toBe('unverifiable');
    expect(codes(r)).toEqual(['OBJECT_MISSING']);
  });

  it('says unverifiable (UNSUPPORTED_OBJECT_FORMAT) for a local sha256 repository', async () => {
    const dir = join(fixtures.root, 'sha256.git');
    execFileSync('git', ['init', '-q', '--bare', '--object-format=sha256', dir]);
    const r = await run(dir, 'debian/1.0-1');
    expect(r.verdict).toBe('unverifiable');
    expect(codes(r)).toEqual(['UNSUPPORTED_OBJECT_FORMAT']);
  });

  it('says unverifiable (LOCAL_REPO_INVALID) for a path that is not a repository', async () => {
    const r = await run(fixtures.root, 'debian/1.0-1');
    expect(r.verdict).toBe('unverifiable');
    expect(codes(r)).toEqual(['LOCAL_REPO_INVALID']);
  });
});
