// The CLI as users run it (`node bin/t2u-verify.js`, the compiled code that
// `npx t2u-verify` runs): exit codes, --json report shape, human output,
// --help on every subcommand, usage and configuration errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { BIN, runBin, type CliRun } from '../helpers/cli.js';
import { FIXTURE_KEYRING_FLAGS } from '../helpers/fixture-keyrings.js';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.js';
import { REPO_ROOT, unpackFixtureRepos, type FixtureRepos } from '../helpers/fixture-repos.js';
import { deadPort } from '../helpers/dead-port.js';

const cli = (...args: string[]): Promise<CliRun> => runBin(args);
/** check-tag of `tag` in the fixture repository read in place. */
const checkLocal = (tag: string, ...more: string[]): Promise<CliRun> =>
  cli('check-tag', '--repo', fixtures.repos['hello-t2u']!, '--tag', tag, ...more);

let fixtures: FixtureRepos;
let server: GitHttpServer;
const keyringArgs = FIXTURE_KEYRING_FLAGS;

beforeAll(async () => {
  fixtures = await unpackFixtureRepos(['hello-t2u']);
  server = await startGitHttpServer({ root: fixtures.root });
});

afterAll(async () => {
  await server?.close();
  await fixtures?.cleanup();
});

describe('t2u-verify check-tag', () => {
  it('exits 0 and prints the report object for an authentic tag fetched over HTTP', async () => {
    const r = await cli(
      'check-tag',
      '--repo',
      `${server.url}/hello-t2u.git`,
      '--tag',
      'debian/1.0-1',
      ...keyringArgs,
      '--allow-http',
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown> & { tag: Record<string, string>; source: Record<string, string> };
    expect(report).toMatchObject({ schema: 't2u-verify/report/v1', verdict: 'authentic', reasons: [] });
    expect(report.tag.name).toBe('debian/1.0-1');
    expect(report.tag.object).toMatch(/^[0-9a-f]{40}$/);
    expect(report.tag.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(report.tag.signerFingerprint).toMatch(/^[0-9a-f]{40}$/);
    expect(report.tag.primaryFingerprint).toMatch(/^[0-9a-f]{40}$/);
    expect(report.tag.keyring).toBe(fixtures.keyrings.uploaders);
    expect(report.tag.digestAlgorithm).toBe('sha512');
    expect(report.tag.tagger).toMatch(/<.+@.+>$/);
    expect(report.source).toMatchObject({ package: 'hello-t2u', version: '1.0-1', quiltMode: 'gbp', upstreamTag: 'upstream/1.0' });
  });

  it('exits 1 with the reason code for a rejected tag, in human output', async () => {
    const r = await checkLocal('debian/1.0-10', ...keyringArgs);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toMatch(/^rejected: debian\/1\.0-10/);
    expect(r.stdout).toContain('PLEASE_UPLOAD_MISSING (metadata)');
  });

  // A user's mistake is a usage error (exit 2, one line naming the thing), never a verdict.
  it('a tag the repository does not have: exit 2 naming the tag and the repository, over HTTP and locally', async () => {
    for (const repo of [`${server.url}/hello-t2u.git`, fixtures.repos['hello-t2u']!]) {
      const r = await cli('check-tag', '--repo', repo, '--tag', 'debian/9.9-9', ...keyringArgs, '--allow-http', '--json');
      expect(r.code, r.stdout).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toEqual([`t2u-verify: tag debian/9.9-9: no such tag in ${repo}`]);
    }
  });

  it('a missing path, a path that is not a repository, a malformed URL, an invalid tag name: exit 2 naming each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 't2u-cli-'));
    const cases: Array<[string[], RegExp]> = [
      [['--repo', join(dir, 'nowhere'), '--tag', 'debian/1.0-1'], /^t2u-verify: --repo \S*nowhere: .*not a directory$/],
      [['--repo', dir, '--tag', 'debian/1.0-1'], /^t2u-verify: --repo \S+: .*not a git repository/],
      [
        ['--repo', 'htps:/salsa.debian.org/x.git', '--tag', 'debian/1.0-1'],
        /^t2u-verify: --repo htps:\/salsa\.debian\.org\/x\.git: not an https:\/\/ URL or a local path$/,
      ],
      [['--repo', 'https://[salsa/x.git', '--tag', 'debian/1.0-1'], /^t2u-verify: --repo https:\/\/\[salsa\/x\.git: malformed URL$/],
      [['--repo', fixtures.repos['hello-t2u']!, '--tag', 'debian/../x'], /^t2u-verify: --tag debian\/\.\.\/x: .*not a valid git ref name/],
    ];
    for (const [args, want] of cases) {
      const r = await cli('check-tag', ...args, ...keyringArgs);
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(want);
    }
  });

  it('plain http without --allow-http is a usage error naming the rule (UNSUPPORTED_URL)', async () => {
    const r = await cli('check-tag', '--repo', `${server.url}/hello-t2u.git`, '--tag', 'debian/1.0-1', ...keyringArgs, '--json');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^t2u-verify: --repo http:\/\/127\.0\.0\.1:\d+\/hello-t2u\.git: /);
  });

  it('verify: a tag the repository does not have is a usage error too, before any upload is read', async () => {
    const r = await cli(
      'verify',
      '--repo',
      fixtures.repos['hello-t2u']!,
      '--tag',
      'debian/9.9-9',
      '--upload',
      join(REPO_ROOT, 'fixtures', 'uploads', 'gbp', 't2u-gbp_1.0-1.dsc'),
      '--upload-keyring',
      fixtures.keyrings.uploaders,
      ...keyringArgs,
    );
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr.trim()).toBe(`t2u-verify: tag debian/9.9-9: no such tag in ${fixtures.repos['hello-t2u']!}`);
  });

  it('a tag that exists and fails the rules is rejected (exit 1), not a usage error', async () => {
    const r = await checkLocal('debian/1.0-5', ...keyringArgs, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'rejected', reasons: [{ code: 'KEY_UNKNOWN' }] });
  });

  it("--keyring adds to Debian's keyrings, as dscverify's does; --no-default-keyrings leaves only the given ones", async () => {
    const dir = mkdtempSync(join(tmpdir(), 't2u-cli-'));
    const config = join(dir, 'dead-mirror.json');
    writeFileSync(
      config,
      JSON.stringify({ debianKeyrings: { mirror: `http://127.0.0.1:${await deadPort()}/debian` }, cacheDir: join(dir, 'cache') }),
    );
    const args = [
      'check-tag',
      '--repo',
      fixtures.repos['hello-t2u']!,
      '--tag',
      'debian/1.0-1',
      '--keyring',
      fixtures.keyrings.uploaders,
      '--config',
      config,
      '--json',
    ];
    // Debian's keyrings are still wanted, and this mirror cannot give them.
    const added = await cli(...args);
    expect(added.code, added.stderr).toBe(3);
    expect(JSON.parse(added.stdout)).toMatchObject({ verdict: 'unverifiable', reasons: [{ code: 'KEYRING_UNAVAILABLE' }] });
    const only = await cli(...args, '--no-default-keyrings');
    expect(only.code, only.stderr).toBe(0);
    const none = await checkLocal('debian/1.0-1', '--no-default-keyrings');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no uploader keyrings/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 2 on usage errors: missing options, a missing keyring file, a bad configuration file', async () => {
    const missing = await cli('check-tag', '--repo', fixtures.repos['hello-t2u']!);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--tag/);

    const noKeyring = await checkLocal('debian/1.0-1', '--no-default-keyrings', '--keyring', '/nonexistent.gpg');
    expect(noKeyring.code).toBe(2);
    expect(noKeyring.stderr).toMatch(/nonexistent\.gpg/);

    const dir = mkdtempSync(join(tmpdir(), 't2u-cli-'));
    const bad = join(dir, 'config.json');
    writeFileSync(bad, JSON.stringify({ fetch: { timeoutMs: 'soon' } }));
    const badConfig = await checkLocal('debian/1.0-1', '--config', bad);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toMatch(/fetch\.timeoutMs/);

    const unknown = await cli('frobnicate');
    expect(unknown.code).toBe(2);
  });

  it('has --help on every subcommand, exiting 0', async () => {
    for (const args of [
      ['--help'],
      ['check-tag', '--help'],
      ['reproduce', '--help'],
      ['sandbox', '--help'],
      ['sandbox', 'build', '--help'],
      ['sandbox', 'status', '--help'],
    ]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout, args.join(' ')).toMatch(/Usage: t2u-verify/);
    }
    const top = await cli('--help');
    for (const sub of ['check-tag', 'reproduce', 'sandbox']) expect(top.stdout).toContain(sub);
  });
});

describe('t2u-verify with its standard output closed early', () => {
  it('ends quietly with the status SIGPIPE gives (141), not a stack trace', async () => {
    // `t2u-verify verify --help | head -0`: the reader is gone before anything is written.
    const child = spawn('node', [BIN, 'verify', '--help'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect({ code, stderr }).toEqual({ code: 141, stderr: '' });
  });
});
