// Ref discovery against real `git http-backend` (v2 and v0, an empty
// repository) and against answers no git server gives: each a FETCH_FAILED
// that names the problem without quoting the page.
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTransport } from '../../src/net/http-transport.js';
import { discoverRefs, lsRefs } from '../../src/fetch/ref-discovery.js';
import { pktLine } from '../../src/fetch/pkt-line.js';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.js';
import { VerificationError } from '../../src/report/verification-error.js';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.org', ...args], { cwd, encoding: 'utf8' }).trim();

let root: string;
let server: GitHttpServer;
let tagOid: string;
let commit: string;
const transport = (): HttpTransport =>
  new HttpTransport({ policy: { allowHttpLoopback: true }, signal: new AbortController().signal, userAgent: 'test' });

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 't2u-refs-'));
  const work = join(root, 'work');
  mkdirSync(work);
  git(work, 'init', '-q', '-b', 'main');
  writeFileSync(join(work, 'f'), 'x\n');
  git(work, 'add', '.');
  git(work, 'commit', '-qm', 'one');
  git(work, 'tag', '-a', '-m', 'r', 'debian/1.0-1');
  git(work, 'tag', '-a', '-m', 'r', 'debian/1.0-10');
  git(root, 'clone', '-q', '--bare', work, 'pkg.git');
  git(root, 'init', '-q', '--bare', 'empty.git');
  tagOid = git(work, 'rev-parse', 'debian/1.0-1');
  commit = git(work, 'rev-parse', 'HEAD');
  server = await startGitHttpServer({ root });
});

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('discoverRefs and lsRefs against git http-backend', () => {
  it('v2: capabilities, then ls-refs by prefix with the peeled commit', async () => {
    const t = transport();
    const adv = await discoverRefs(t, `${server.url}/pkg.git/`, 2, 1 << 20);
    expect(adv.protocol).toBe(2);
    expect(adv.url).toBe(`${server.url}/pkg.git`);
    expect(adv.capabilities['ls-refs']).toBeDefined();
    expect(adv.refs).toBeUndefined();
    const refs = await lsRefs(t, adv, 'refs/tags/debian/1.0-1', 'test', 1 << 20);
    // A prefix matches longer names too; the caller picks the exact one.
    expect(refs.map((r) => r.ref).sort()).toEqual(['refs/tags/debian/1.0-1', 'refs/tags/debian/1.0-10']);
    expect(refs.find((r) => r.ref === 'refs/tags/debian/1.0-1')).toEqual({ ref: 'refs/tags/debian/1.0-1', oid: tagOid, peeled: commit });
  });

  it('v0: every ref with its peeled commit, and the capabilities of the first', async () => {
    const adv = await discoverRefs(transport(), `${server.url}/pkg.git`, 1, 1 << 20);
    expect(adv.protocol).toBe(1);
    expect(adv.capabilities['side-band-64k']).toBe(true);
    expect(adv.refs).toContainEqual({ ref: 'refs/tags/debian/1.0-1', oid: tagOid, peeled: commit });
    expect(adv.refs).toContainEqual({ ref: 'refs/heads/main', oid: commit });
  });

  it('an empty repository has no refs', async () => {
    const adv = await discoverRefs(transport(), `${server.url}/empty.git`, 1, 1 << 20);
    expect(adv.refs).toEqual([]);
  });
});

describe('answers that are not git', () => {
  let fake: Server;
  let url: string;
  let answer: { type: string; body: Buffer };
  beforeAll(async () => {
    fake = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': answer.type });
      res.end(answer.body);
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/repo.git`;
  });
  afterAll(() => new Promise<void>((r) => fake.close(() => r())));

  async function failure(): Promise<VerificationError> {
    const err = await discoverRefs(transport(), url, 2, 1 << 20).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VerificationError);
    expect((err as VerificationError).code).toBe('FETCH_FAILED');
    return err as VerificationError;
  }

  it('a web page: named by its content type, its text not quoted', async () => {
    answer = { type: 'text/html', body: Buffer.from('<html>secret internal page</html>') };
    const err = await failure();
    expect(err.message).toMatch(/smart HTTP protocol \(content-type "text\/html"\)/);
    expect(err.message).not.toMatch(/secret/);
  });

  it('the right content type over bytes that are not pkt-lines', async () => {
    answer = { type: 'application/x-git-upload-pack-advertisement', body: Buffer.from('zzzz secret') };
    expect((await failure()).message).not.toMatch(/secret/);
  });

  it('a v0 ref line without an object id, and an answer cut short', async () => {
    const head = Buffer.concat([pktLine('# service=git-upload-pack\n'), Buffer.from('0000')]);
    answer = {
      type: 'application/x-git-upload-pack-advertisement',
      body: Buffer.concat([head, pktLine('nothex refs/heads/x\0side-band-64k\n'), Buffer.from('0000')]),
    };
    expect((await failure()).message).toMatch(/malformed ref line/);
    answer = { type: 'application/x-git-upload-pack-advertisement', body: head };
    expect((await failure()).message).toMatch(/ended early/);
    // Cut inside the ref list: not read as a shorter list.
    answer = {
      type: 'application/x-git-upload-pack-advertisement',
      body: Buffer.concat([head, pktLine(`${'a'.repeat(40)} refs/heads/x\0side-band-64k\n`)]),
    };
    expect((await failure()).message).toMatch(/ended early/);
  });
});
