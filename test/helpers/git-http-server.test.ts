// The loopback git server serves the fixture repositories to the real git
// client over smart HTTP (protocol v0 and v2), and its faults (delay, cut,
// HTTP 500) do what the fetch-stage tests rely on.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGitHttpServer, type GitHttpServer } from './git-http-server.js';
import { fixtureTag, unpackFixtureRepos, type FixtureRepos } from './fixture-repos.js';

const run = promisify(execFile);

/** Runs the host's git with no user or system configuration. */
async function git(args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  return run('git', [...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GIT_CONFIG_NOSYSTEM: '1', HOME: tmpdir(), GIT_TERMINAL_PROMPT: '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
}

function lsRemoteMap(stdout: string): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [oid, ref] = line.split('\t');
    if (oid !== undefined && ref !== undefined) refs.set(ref, oid);
  }
  return refs;
}

let fixtures: FixtureRepos;
let server: GitHttpServer;
let scratch: string;

beforeAll(async () => {
  fixtures = await unpackFixtureRepos();
  server = await startGitHttpServer({ root: fixtures.root });
  scratch = await mkdtemp(join(tmpdir(), 't2u-http-test-'));
});

afterAll(async () => {
  await server?.close();
  await fixtures?.cleanup();
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

afterEach(() => server.setFaults(undefined));

describe('git-http-server', () => {
  it.each(['0', '2'])('serves ls-remote with protocol v%s, listing the fixture tag objects', async (version) => {
    const before = server.requests.length;
    const { stdout } = await git(['-c', `protocol.version=${version}`, 'ls-remote', `${server.url}/hello-t2u.git`]);
    const refs = lsRemoteMap(stdout);
    const honest = fixtureTag(fixtures.manifest, 'honest/rsa3072');
    expect(refs.get(`refs/tags/${honest.tag}`)).toBe(honest.object);
    const lightweight = fixtureTag(fixtures.manifest, 'rule/lightweight');
    expect(refs.get(`refs/tags/${lightweight.tag}`)).toBe(lightweight.object);
    const sent = server.requests.slice(before);
    expect(sent[0]?.path).toBe('/hello-t2u.git/info/refs');
    expect(sent[0]?.gitProtocol).toBe(version === '2' ? 'version=2' : undefined);
    if (version === '2') expect(sent.some((r) => r.path.endsWith('/git-upload-pack'))).toBe(true);
  });

  it.each(['0', '2'])('serves a full clone with protocol v%s; tag objects arrive byte for byte', async (version) => {
    const dest = join(scratch, `clone-v${version}.git`);
    await git(['-c', `protocol.version=${version}`, 'clone', '--quiet', '--mirror', `${server.url}/hello-t2u.git`, dest]);
    const { stdout } = await git(['-C', dest, 'for-each-ref', '--format=%(objectname) %(refname)', 'refs/tags']);
    const refs = new Map(
      stdout
        .trim()
        .split('\n')
        .map((l) => [l.slice(41), l.slice(0, 40)] as const),
    );
    const entries = fixtures.manifest.tags.filter((t) => t.repo === 'hello-t2u');
    expect(entries.length).toBeGreaterThan(50);
    for (const t of entries) expect(refs.get(`refs/tags/${t.tag}`), t.id).toBe(t.object);
    // The object id is the SHA-1 of the bytes: re-hashing the received tag proves the bytes.
    const crlf = fixtureTag(fixtures.manifest, 'corpus/crlf-message');
    const { stdout: raw } = await run('git', ['-C', dest, 'cat-file', 'tag', crlf.object], { encoding: 'buffer' });
    expect(raw.includes(Buffer.from('\r\n'))).toBe(true);
  });

  it('answers 404 for a repository that does not exist', async () => {
    await expect(git(['ls-remote', `${server.url}/no-such-repo.git`])).rejects.toThrow(/not found|404/i);
  });

  it('injects HTTP 500', async () => {
    server.setFaults({ status: 500 });
    await expect(git(['ls-remote', `${server.url}/hello-t2u.git`])).rejects.toThrow(/500/);
    expect(server.requests.at(-1)?.status).toBe(500);
  });

  it('injects HTTP 500 on the pack request only: the advertisement still works', async () => {
    server.setFaults({ status: 500, only: 'upload-pack' });
    const dest = join(scratch, 'clone-500.git');
    await expect(git(['-c', 'protocol.version=0', 'clone', '--quiet', '--bare', `${server.url}/hello-t2u.git`, dest])).rejects.toThrow(
      /500/,
    );
    const statuses = server.requests.slice(-2).map((r) => r.status);
    expect(statuses).toEqual([200, 500]);
  });

  it('delays the response: a client with a shorter timeout gives up, and close() does not wait for it', async () => {
    server.setFaults({ delayMs: 10_000 });
    const started = Date.now();
    await expect(
      fetch(`${server.url}/hello-t2u.git/info/refs?service=git-upload-pack`, { signal: AbortSignal.timeout(300) }),
    ).rejects.toThrow(/timeout|abort/i);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('delays the response: a patient client gets it', async () => {
    server.setFaults({ delayMs: 400 });
    const started = Date.now();
    const res = await fetch(`${server.url}/hello-t2u.git/info/refs?service=git-upload-pack`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  });

  it('cuts the response after N bytes', async () => {
    server.setFaults({ cutAfterBytes: 100 });
    const res = await fetch(`${server.url}/hello-t2u.git/info/refs?service=git-upload-pack`);
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
    expect(server.requests.at(-1)?.bytesSent).toBe(100);
  });

  it('cuts the pack mid-stream: git clone fails', async () => {
    server.setFaults({ cutAfterBytes: 2000, only: 'upload-pack' });
    const dest = join(scratch, 'clone-cut.git');
    await expect(git(['clone', '--quiet', '--bare', `${server.url}/hello-t2u.git`, dest])).rejects.toThrow();
    expect(server.requests.at(-1)?.bytesSent).toBe(2000);
  });
});
