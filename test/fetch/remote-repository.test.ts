// The fetch stage against real `git http-backend` over loopback HTTP: refs,
// shallow single-tag fetches, limits and failures, each with its reason code.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectStore } from '../../src/fetch/object-store.js';
import { RemoteRepository, type RemoteLimits } from '../../src/fetch/remote-repository.js';
import { parseConfig } from '../../src/config/load.js';
import { verifyDepsFrom } from '../../src/pipeline/verify-setup.js';
import { emptyTrust } from '../helpers/fixture-keyrings.js';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.js';
import { isVerificationError, VerificationError } from '../../src/report/verification-error.js';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.org', ...args], { cwd, encoding: 'utf8' }).trim();

const limits: RemoteLimits = { timeoutMs: 30_000, maxPackBytes: 64 << 20, maxObjectBytes: 64 << 20, maxRefsBytes: 1 << 20 };
const loopback = { allowHttpLoopback: true };

let root: string;
let server: GitHttpServer;
let tagOid: string;
let commit: string;
let parent: string;
let upstreamTag: string;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (isVerificationError(err)) return err.code;
    throw err;
  }
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 't2u-remote-'));
  const work = join(root, 'work');
  mkdirSync(work);
  git(work, 'init', '-q', '-b', 'main');
  writeFileSync(join(work, 'README'), 'upstream\n');
  git(work, 'add', '.');
  git(work, 'commit', '-qm', 'upstream');
  git(work, 'tag', '-a', '-m', 'upstream 1.0', 'upstream/1.0');
  mkdirSync(join(work, 'debian'));
  writeFileSync(join(work, 'debian', 'changelog'), 'x (1.0-1) unstable; urgency=medium\n');
  writeFileSync(join(work, 'big'), randomBytes(300_000));
  git(work, 'add', '.');
  git(work, 'commit', '-qm', 'packaging');
  git(work, 'tag', '-a', '-m', 'release', 'debian/1.0-1');
  git(root, 'clone', '-q', '--bare', work, 'pkg.git');
  git(root, 'init', '-q', '--bare', '--object-format=sha256', 'sha256.git');
  tagOid = git(work, 'rev-parse', 'refs/tags/debian/1.0-1');
  commit = git(work, 'rev-parse', 'HEAD');
  parent = git(work, 'rev-parse', 'HEAD~1');
  upstreamTag = git(work, 'rev-parse', 'refs/tags/upstream/1.0');
  server = await startGitHttpServer({ root });
});

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('RemoteRepository over loopback smart HTTP', () => {
  it('lists the tags once with protocol v2 and fetches one shallowly: tag, commit and tree, no history', async () => {
    server.setFaults(undefined);
    const before = server.requests.length;
    const repo = await RemoteRepository.open(`${server.url}/pkg.git`, loopback, limits);
    try {
      const ref = await repo.resolveTag('debian/1.0-1');
      expect(ref).toEqual({ oid: tagOid, peeled: commit });
      expect(await repo.resolveTag('debian/9.9-9')).toBeUndefined();
      expect(await repo.resolveTag('upstream/1.0')).toMatchObject({ oid: upstreamTag });
      // One ls-refs for every tag: the upstream tag costs no round trip of its own.
      const listings = server.requests.slice(before).filter((r) => r.body.includes('command=ls-refs'));
      expect(listings).toHaveLength(1);
      expect(listings[0]!.body.toString('latin1')).toContain('ref-prefix refs/tags/\n');
      await repo.fetchObjects(tagOid);
      const objects = repo.objects();
      const tag = await objects.read(tagOid);
      expect(tag?.type).toBe('tag');
      expect(tag?.content.toString()).toBe(
        execFileSync('git', ['cat-file', 'tag', tagOid], { cwd: join(root, 'pkg.git'), encoding: 'utf8' }),
      );
      expect((await objects.read(commit))?.type).toBe('commit');
      // Depth 1: the parent commit is not fetched.
      expect(await objects.read(parent)).toBeUndefined();
      // The upstream tag comes with a second, separate fetch.
      expect(await objects.read(upstreamTag)).toBeUndefined();
      await repo.fetchObjects(upstreamTag);
      expect((await objects.read(upstreamTag))?.type).toBe('tag');
      expect(repo.packBytes).toBeGreaterThan(0);
    } finally {
      await repo.close();
    }
    expect(server.requests.some((r) => r.gitProtocol === 'version=2')).toBe(true);
  });

  it('tells onPackBytes the running count of pack bytes as they arrive, over every fetch of the repository', async () => {
    server.setFaults(undefined);
    const repo = await RemoteRepository.open(`${server.url}/pkg.git`, loopback, limits);
    const seen: number[] = [];
    repo.onPackBytes = (n) => seen.push(n);
    try {
      await repo.fetchObjects(tagOid);
      const first = repo.packBytes;
      // The tree holds 300 kB of random bytes: the pack arrives in several side-band packets.
      expect(first).toBeGreaterThan(300_000);
      expect(seen.length).toBeGreaterThan(1);
      expect(seen.at(-1)).toBe(first);
      await repo.fetchObjects(upstreamTag);
      expect(seen.at(-1)).toBe(repo.packBytes);
      expect(repo.packBytes).toBeGreaterThan(first);
      // Never backwards: the second fetch counts on from the first.
      for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
    } finally {
      await repo.close();
    }
  });

  it('the pipeline passes a running byte count to its progress: verifyDepsFrom({onPackBytes}) reaches the repository it opens', async () => {
    const config = parseConfig({ fetch: { allowHttpLoopback: true } }, 'test');
    const trust = emptyTrust();
    const seen: number[] = [];
    const deps = verifyDepsFrom(config, trust, { origin: 'none', unavailable: 'test', warnings: [] }, { onPackBytes: (n) => seen.push(n) });
    const repo = await deps.openRepository(`${server.url}/pkg.git`);
    try {
      await repo.fetchObjects(tagOid);
      expect(seen.at(-1)).toBe((repo as RemoteRepository).packBytes);
    } finally {
      await repo.close();
    }
  });

  it('prepare() starts index-pack and the reader ahead of the fetch, which uses them; unused, closing the repository stops them', async () => {
    const unused = await RemoteRepository.open(`${server.url}/pkg.git`, loopback, limits);
    unused.prepare();
    await unused.close();
    const repo = await RemoteRepository.open(`${server.url}/pkg.git`, loopback, limits);
    try {
      repo.prepare();
      repo.prepare();
      await repo.fetchObjects(tagOid);
      expect((await repo.objects().read(tagOid))?.type).toBe('tag');
      // The next fetch starts an index-pack of its own.
      await repo.fetchObjects(upstreamTag);
      expect((await repo.objects().read(upstreamTag))?.type).toBe('tag');
    } finally {
      await repo.close();
    }
  });

  it('speaks protocol v0 to a server or client that does not use v2', async () => {
    const before = server.requests.length;
    const repo = await RemoteRepository.open(`${server.url}/pkg.git`, loopback, limits, 1);
    try {
      expect(await repo.resolveTag('debian/1.0-1')).toEqual({ oid: tagOid, peeled: commit });
      await repo.fetchObjects(tagOid);
      expect((await repo.objects().read(commit))?.type).toBe('commit');
      expect(await repo.objects().read(parent)).toBeUndefined();
    } finally {
      await repo.close();
    }
    expect(server.requests.slice(before).every((r) => r.gitProtocol === undefined)).toBe(true);
  });

  it('refuses plain http unless allowed, before any request', async () => {
    const before = server.requests.length;
    expect(await codeOf(RemoteRepository.open(`${server.url}/pkg.git`, { allowHttpLoopback: false }, limits))).toBe('UNSUPPORTED_URL');
    expect(server.requests.length).toBe(before);
  });

  it('says unverifiable (UNSUPPORTED_OBJECT_FORMAT) for a sha256 repository', async () => {
    expect(await codeOf(RemoteRepository.open(`${server.url}/sha256.git`, loopback, limits))).toBe('UNSUPPORTED_OBJECT_FORMAT');
  });

  it('reports an HTTP error from the server as FETCH_FAILED', async () => {
    server.setFaults({ status: 500 });
    try {
      expect(await codeOf(RemoteRepository.open(`${server.url}/pkg.git`, loopback, limits))).toBe('FETCH_FAILED');
    } finally {
      server.setFaults(undefined);
    }
    expect(await codeOf(RemoteRepository.open(`${server.url}/missing.git`, loopback, limits))).toBe('FETCH_FAILED');
  });

  it('stops at the time limit (FETCH_TIMEOUT) when the server stalls', async () => {
    const repo = await RemoteRepository.open(`${server.url}/pkg.git`, loopback, { ...limits, timeoutMs: 1500 });
    server.setFaults({ delayMs: 10_000, only: 'upload-pack' });
    try {
      const t0 = Date.now();
      expect(await codeOf(repo.fetchObjects(tagOid))).toBe('FETCH_TIMEOUT');
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      server.setFaults(undefined);
      await repo.close();
    }
  });

  it('refuses a ref advertisement above its cap (FETCH_FAILED), before any pack', async () => {
    // The cap applies while the advertisement streams in, before any parsing.
    const err = await RemoteRepository.open(`${server.url}/pkg.git`, loopback, { ...limits, maxRefsBytes: 64 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VerificationError);
    expect(err).toMatchObject({ code: 'FETCH_FAILED', message: expect.stringMatching(/larger than the limit of 64 bytes/) as unknown });
  });

  it('stops when the pack exceeds the maximum size (PACK_TOO_LARGE)', async () => {
    const repo = await RemoteRepository.open(`${server.url}/pkg.git`, loopback, { ...limits, maxPackBytes: 1000 });
    try {
      expect(await codeOf(repo.fetchObjects(tagOid))).toBe('PACK_TOO_LARGE');
    } finally {
      await repo.close();
    }
  });

  it('stops as soon as index-pack rejects an object (PACK_INVALID), without waiting for the rest of the pack', async () => {
    // A commit without an author (git fsck: missingAuthor) and 4 MB of
    // random bytes in its tree: pack-objects sends the commit first, and
    // index-pack --strict dies on it while the server is still sending.
    const bad = join(root, 'bad.git');
    execFileSync('git', ['init', '-q', '--bare', bad]);
    const blob = execFileSync('git', ['-C', bad, 'hash-object', '-w', '--stdin'], { input: randomBytes(4 << 20), encoding: 'utf8' }).trim();
    const tree = execFileSync('git', ['-C', bad, 'mktree'], { input: `100644 blob ${blob}\tbig\n`, encoding: 'utf8' }).trim();
    const commit = execFileSync('git', ['-C', bad, 'hash-object', '-t', 'commit', '-w', '--literally', '--stdin'], {
      input: `tree ${tree}\ncommitter T <t@example.org> 1700000000 +0000\n\nno author\n`,
      encoding: 'utf8',
    }).trim();
    git(bad, 'update-ref', 'refs/heads/main', commit);
    const repo = await RemoteRepository.open(`${server.url}/bad.git`, loopback, { ...limits, timeoutMs: 600_000 });
    try {
      const err = await repo.fetchObjects(commit).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'PACK_INVALID', message: expect.stringMatching(/author/) as unknown });
    } finally {
      await repo.close();
    }
  });

  it('reports a connection cut in the middle of the pack as FETCH_FAILED', async () => {
    const repo = await RemoteRepository.open(`${server.url}/pkg.git`, loopback, limits);
    server.setFaults({ cutAfterBytes: 200, only: 'upload-pack' });
    try {
      expect(await codeOf(repo.fetchObjects(tagOid))).toBe('FETCH_FAILED');
    } finally {
      server.setFaults(undefined);
      await repo.close();
    }
  });
});

describe('protocol v2: the tags listed beside the discovery', () => {
  const isLsRefs = (r: { path: string; body: Buffer }): boolean =>
    r.path.endsWith('/git-upload-pack') && r.body.includes('command=ls-refs');
  const isDiscovery = (r: { query: string }): boolean => r.query.includes('service=git-upload-pack');

  it('asks for the tags while the discovery is still unanswered, once, and resolves from that listing', async () => {
    const from = server.requests.length;
    // The discovery is held back: a listing asked for after its answer could not be answered first.
    server.setFaults({ delayMs: 5000, only: 'info-refs' });
    const opening = RemoteRepository.open(`${server.url}/pkg.git`, loopback, limits);
    let seen: { listed: boolean; discoveryAnswered: boolean } | undefined;
    try {
      while (!seen) {
        const since = server.requests.slice(from);
        const listing = since.find(isLsRefs);
        if (listing?.status !== undefined)
          seen = { listed: true, discoveryAnswered: since.some((r) => isDiscovery(r) && r.status !== undefined) };
        else await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      server.setFaults(undefined);
    }
    expect(seen).toEqual({ listed: true, discoveryAnswered: false });
    const repo = await opening;
    try {
      expect((await repo.resolveTag('debian/1.0-1'))?.oid).toBe(tagOid);
      expect((await repo.resolveTag('upstream/1.0'))?.oid).toBe(upstreamTag);
      expect(server.requests.slice(from).filter(isLsRefs)).toHaveLength(1);
    } finally {
      await repo.close();
    }
  });

  it('asks again after the discovery when the early listing failed', async () => {
    const from = server.requests.length;
    // A status fault answers without running git (the request's body is not read): upload-pack requests are told apart by their path.
    const isUploadPack = (r: { path: string }): boolean => r.path.endsWith('/git-upload-pack');
    server.setFaults({ status: 500, only: 'upload-pack' });
    let repo: RemoteRepository | undefined;
    try {
      repo = await RemoteRepository.open(`${server.url}/pkg.git`, loopback, limits);
      while (!server.requests.slice(from).some((r) => isUploadPack(r) && r.status === 500)) await new Promise((r) => setTimeout(r, 20));
    } finally {
      server.setFaults(undefined);
    }
    try {
      expect((await repo.resolveTag('debian/1.0-1'))?.oid).toBe(tagOid);
      const asked = server.requests.slice(from).filter(isUploadPack);
      expect(asked.map((r) => r.status)).toEqual([500, 200]);
      expect(isLsRefs(asked[1]!)).toBe(true);
    } finally {
      await repo.close();
    }
  });

  it('asks for nothing early of a client speaking v0', async () => {
    const from = server.requests.length;
    const repo = await RemoteRepository.open(`${server.url}/pkg.git`, loopback, limits, 1);
    try {
      expect((await repo.resolveTag('debian/1.0-1'))?.oid).toBe(tagOid);
      expect(server.requests.slice(from).filter(isLsRefs)).toHaveLength(0);
    } finally {
      await repo.close();
    }
  });
});

describe('ObjectStore: index-pack in the sandbox', () => {
  const packOf = (revs: string): Buffer =>
    execFileSync('git', ['pack-objects', '--stdout', '--revs', '-q'], { cwd: join(root, 'pkg.git'), input: `${revs}\n` });

  async function index(store: ObjectStore, pack: Buffer): Promise<string> {
    const ix = store.startIndexPack();
    ix.sink.end(pack);
    return codeOf(ix.done());
  }

  it('indexes a real pack, and rejects a corrupted one (PACK_INVALID)', async () => {
    const store = await ObjectStore.create({ timeoutMs: 30_000, maxObjectBytes: 1 << 20 });
    try {
      const pack = packOf(commit);
      expect(await index(store, pack)).toBe('ok');
      const bad = Buffer.from(pack);
      bad[bad.length - 30] = bad[bad.length - 30]! ^ 0xff;
      expect(await index(store, bad)).toBe('PACK_INVALID');
    } finally {
      await store.dispose();
    }
  });

  it("maps git's collision detection to SHA1_COLLISION: an object id already present with other content", async () => {
    const store = await ObjectStore.create({ timeoutMs: 30_000, maxObjectBytes: 1 << 20 });
    try {
      // Plant a loose object under the README blob's id whose content is different: when the
      // pack brings the real blob, index-pack compares and reports "SHA1 COLLISION FOUND".
      const blob = git(join(root, 'pkg.git'), 'rev-parse', `${commit}:README`);
      const other = Buffer.from('not the README\n');
      const loose = deflateSync(Buffer.concat([Buffer.from(`blob ${other.length}\0`), other]));
      mkdirSync(join(store.gitDir, 'objects', blob.slice(0, 2)), { recursive: true });
      writeFileSync(join(store.gitDir, 'objects', blob.slice(0, 2), blob.slice(2)), loose);
      expect(await index(store, packOf(commit))).toBe('SHA1_COLLISION');
    } finally {
      await store.dispose();
    }
  });
});
