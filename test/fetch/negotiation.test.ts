// The upstream tag's fetch negotiates with what the object store already has,
// as `git fetch` does in a shallow repository: the request names the Debian
// tag's commit as `have` (and the store's boundaries as `shallow`), and the
// pack that comes back leaves out every object that commit's tree already
// brought. Checked against the real git client fetching the same refs from
// the same loopback `git http-backend`: the same objects in each pack, and the
// same objects in the end.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteRepository, type RemoteLimits } from '../../src/fetch/remote-repository.js';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.js';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.org', ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  }).trim();

const limits: RemoteLimits = { timeoutMs: 60_000, maxPackBytes: 64 << 20, maxObjectBytes: 64 << 20, maxRefsBytes: 1 << 20 };
const DEBIAN = 'debian/2.0-1';
const UPSTREAM = 'upstream/2.0';
/** Each upstream commit adds a file of this many random (incompressible) bytes. */
const BIG = 200_000;

let root: string;
let server: GitHttpServer;
let url: string;
let debianCommit: string;
let bigBlobs: string[];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 't2u-negotiation-'));
  const work = join(root, 'work');
  mkdirSync(join(work, 'src'), { recursive: true });
  git(work, 'init', '-q', '-b', 'main');
  // An upstream history of three commits; the packaging commit on top of it.
  for (let i = 1; i <= 3; i++) {
    writeFileSync(join(work, 'src', `big${i}.bin`), randomBytes(BIG));
    writeFileSync(join(work, 'src', 'version.h'), `#define VERSION ${i}\n`);
    git(work, 'add', '.');
    git(work, 'commit', '-qm', `upstream ${i}`);
  }
  git(work, 'tag', '-a', '-m', 'upstream 2.0', UPSTREAM);
  mkdirSync(join(work, 'debian'));
  writeFileSync(join(work, 'debian', 'changelog'), 'x (2.0-1) unstable; urgency=medium\n');
  git(work, 'add', '.');
  git(work, 'commit', '-qm', 'packaging');
  git(work, 'tag', '-a', '-m', 'release', DEBIAN);
  git(root, 'clone', '-q', '--bare', work, 'pkg.git');
  debianCommit = git(work, 'rev-parse', 'HEAD');
  bigBlobs = [1, 2, 3].map((i) => git(work, 'rev-parse', `HEAD:src/big${i}.bin`));
  server = await startGitHttpServer({ root });
  url = `${server.url}/pkg.git`;
});

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

const packs = (gitDir: string): string[] =>
  readdirSync(join(gitDir, 'objects', 'pack'))
    .filter((f) => f.endsWith('.idx'))
    .sort();

/** The object ids in a pack, read from its index. */
function packObjects(gitDir: string, idx: string): string[] {
  const out = execFileSync('git', ['show-index'], { input: readFileSync(join(gitDir, 'objects', 'pack', idx)), encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((l) => l.split(' ')[1]!)
    .sort();
}

/** Every object in a repository, with type and size (ids name the bytes). */
const allObjects = (gitDir: string): string =>
  git(gitDir, '-c', 'safe.directory=*', 'cat-file', '--batch-all-objects', '--batch-check=%(objectname) %(objecttype) %(objectsize)');

/**
 * What the real git client receives when it fetches `refs` in turn into one
 * fresh repository (packs kept, never unpacked). Asynchronous: the server
 * answers from this process.
 */
async function gitFetches(steps: string[][]): Promise<{ dir: string; packs: string[][] }> {
  const dir = mkdtempSync(join(root, 'git-client-'));
  git(dir, 'init', '-q', '--bare');
  const received: string[][] = [];
  for (const args of steps) {
    const before = new Set(packs(dir));
    await promisify(execFile)('git', ['-c', 'fetch.unpackLimit=1', '-c', 'protocol.version=2', 'fetch', '-q', '--no-tags', ...args], {
      cwd: dir,
    });
    received.push(
      ...packs(dir)
        .filter((p) => !before.has(p))
        .map((p) => packObjects(dir, p)),
    );
  }
  return { dir, packs: received };
}

const spec = (tag: string): string => `refs/tags/${tag}:refs/tags/${tag}`;

/** Runs `body` on the repository opened over `protocol`, with its object store and the Debian tag's ref; closes it after. */
async function withRepository(
  protocol: 1 | 2,
  body: (repo: RemoteRepository, gitDir: string, debian: { oid: string }) => Promise<void>,
): Promise<void> {
  const repo = await RemoteRepository.open(url, { allowHttpLoopback: true }, limits, protocol);
  try {
    await body(repo, await repo.buildSource(new Map()), (await repo.resolveTag(DEBIAN))!);
  } finally {
    await repo.close();
  }
}

describe.each([
  ['protocol v2', 2 as const],
  ['protocol v0', 1 as const],
])('the upstream fetch negotiates with what the store has (%s)', (_label, protocol) => {
  it("sends have and shallow for the Debian tag's commit and receives only what that commit lacks, as git does", async () => {
    const before = server.requests.length;
    await withRepository(protocol, async (repo, gitDir, debian) => {
      await repo.fetchObjects(debian.oid);
      const first = packs(gitDir);
      const upstream = (await repo.resolveTag(UPSTREAM))!;
      await repo.fetchObjects(upstream.oid);
      const second = packs(gitDir).filter((p) => !first.includes(p));
      expect(second).toHaveLength(1);
      const secondObjects = packObjects(gitDir, second[0]!);

      const fetches = server.requests.slice(before).filter((r) => r.path.endsWith('/git-upload-pack') && r.body.includes('deepen'));
      expect(fetches).toHaveLength(2);
      const [one, two] = fetches.map((r) => r.body.toString('latin1'));
      expect(one).not.toMatch(/have /);
      expect(two).toContain(`have ${debianCommit}\n`);
      expect(two).toContain(`shallow ${debianCommit}\n`);

      // The real client, fetching the same two tags one after the other at depth 1.
      const oracle = await gitFetches([
        ['--depth', '1', url, spec(DEBIAN)],
        ['--depth', '1', url, spec(UPSTREAM)],
      ]);
      expect(oracle.packs).toHaveLength(2);
      expect(secondObjects).toEqual(oracle.packs[1]);
      // The upstream files came with the Debian tag's tree and do not cross the wire again.
      for (const blob of bigBlobs) expect(secondObjects).not.toContain(blob);
      expect(fetches[1]!.bytesSent).toBeLessThan(BIG);
      expect(allObjects(gitDir)).toBe(allObjects(oracle.dir));
      // A tag fetched already is not asked for again.
      const asked = server.requests.length;
      await repo.fetchObjects(debian.oid);
      expect(server.requests.length).toBe(asked);

      // The history, deepened with both tags and commits as `have`: nothing
      // arrives twice (git itself sends the two tag objects again), and the
      // store ends with exactly what git fetches for the two tags.
      await repo.fetchHistory([debian.oid, upstream.oid]);
      const all = packs(gitDir);
      expect(all).toHaveLength(3);
      const perPack = all.map((p) => packObjects(gitDir, p));
      const total = perPack.reduce((n, objs) => n + objs.length, 0);
      expect(new Set(perPack.flat()).size).toBe(total);
      const full = await gitFetches([[url, spec(DEBIAN), spec(UPSTREAM)]]);
      expect(allObjects(gitDir)).toBe(allObjects(full.dir));
      const third = server.requests
        .slice(before)
        .filter((r) => r.path.endsWith('/git-upload-pack') && r.body.includes('deepen'))
        .at(-1)!;
      expect(third.body.toString('latin1')).toContain(`have ${debianCommit}\n`);
      // The older commits' files are all in the Debian tag's tree already.
      expect(third.bytesSent).toBeLessThan(BIG);
    });
  });

  it('fetches the Debian tag with its history, then the upstream tag naming it as have: every object once, as git fetching both at once', async () => {
    const before = server.requests.length;
    await withRepository(protocol, async (repo, gitDir, debian) => {
      await repo.fetchHistory([debian.oid]);
      // The whole history, and no shallow boundary left.
      expect(readdirSync(gitDir)).not.toContain('shallow');
      const upstream = (await repo.resolveTag(UPSTREAM))!;
      await repo.fetchHistory([upstream.oid]);
      const fetches = server.requests.slice(before).filter((r) => r.path.endsWith('/git-upload-pack') && r.body.includes('deepen'));
      expect(fetches).toHaveLength(2);
      const [one, two] = fetches.map((r) => r.body.toString('latin1'));
      expect(one).toContain('deepen 2147483647\n');
      expect(one).not.toMatch(/(?:have|shallow) [0-9a-f]{40}/);
      expect(two).toContain(`have ${debian.oid}\n`);
      // The upstream history is the Debian tag's: only the upstream tag object crosses the wire.
      expect(fetches[1]!.bytesSent).toBeLessThan(2_000);
      const perPack = packs(gitDir).map((p) => packObjects(gitDir, p));
      const total = perPack.reduce((n, objs) => n + objs.length, 0);
      expect(new Set(perPack.flat()).size).toBe(total);
      const full = await gitFetches([[url, spec(DEBIAN), spec(UPSTREAM)]]);
      expect(allObjects(gitDir)).toBe(allObjects(full.dir));
      // Asked again (verify's history step), nothing is fetched.
      const asked = server.requests.length;
      await repo.fetchHistory([debian.oid, upstream.oid]);
      await repo.fetchObjects(upstream.oid);
      expect(server.requests.length).toBe(asked);
    });
  });
});
