// The committed tag fixtures are what the manifest says: every tag resolves to
// its recorded object in the unpacked bundles, every expected code is a code
// of the reason registry, and the real `git verify-tag` still says what was
// recorded when the fixtures were made.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REASONS } from '../../src/report/reasons.js';
import { FIXTURE_TAGS_DIR, loadFixtureKeys, unpackFixtureRepos, type FixtureRepos } from './fixture-repos.js';

const run = promisify(execFile);

let fixtures: FixtureRepos;
let gnupgHome: string;

beforeAll(async () => {
  fixtures = await unpackFixtureRepos();
  gnupgHome = await mkdtemp(join(tmpdir(), 't2u-fixture-gnupg-'));
  await run('gpg', ['--batch', '--quiet', '--homedir', gnupgHome, '--import', fixtures.keyrings.uploaders, fixtures.keyrings.dm]);
});

afterAll(async () => {
  await run('gpgconf', ['--homedir', gnupgHome, '--kill', 'all']).catch(() => undefined);
  await rm(gnupgHome, { recursive: true, force: true });
  await fixtures?.cleanup();
});

/** `git verify-tag --raw`, summarised as fixtures/tags/make.sh does. */
async function gitVerifyTag(repo: string, tag: string): Promise<string> {
  let out: string;
  let exit = 0;
  try {
    const r = await run(
      'git',
      [
        '-c',
        `gpg.ssh.allowedSignersFile=${join(FIXTURE_TAGS_DIR, 'ssh-allowed-signers')}`,
        '-C',
        repo,
        'verify-tag',
        '--raw',
        `refs/tags/${tag}`,
      ],
      { env: { PATH: process.env.PATH, GNUPGHOME: gnupgHome, HOME: gnupgHome, GIT_CONFIG_NOSYSTEM: '1' } },
    );
    out = r.stdout + r.stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    out = (e.stdout ?? '') + (e.stderr ?? '');
    exit = e.code ?? 1;
  }
  if (out.includes('cannot verify a non-tag object')) return 'not-a-tag';
  if (out.includes('no signature found')) return 'no-signature';
  if (out.includes('[GNUPG:] BADSIG')) return 'bad';
  if (out.includes('[GNUPG:] EXPKEYSIG')) return 'expired-key';
  if (out.includes('[GNUPG:] REVKEYSIG')) return 'revoked-key';
  if (out.includes('[GNUPG:] NO_PUBKEY')) return 'no-public-key';
  if (out.includes('Good "git" signature')) return 'good';
  if (out.includes('[GNUPG:] GOODSIG')) return exit === 0 ? 'good' : 'error';
  return 'error';
}

describe('tag fixtures', () => {
  it('name only reason codes of the registry', () => {
    for (const t of fixtures.manifest.tags) {
      for (const code of t.expect.codes) expect(Object.keys(REASONS), `${t.id}: ${code}`).toContain(code);
    }
  });

  it('have unique ids and tag names, signers from keys.json, and a corpus of at least 20', async () => {
    const tags = fixtures.manifest.tags;
    expect(new Set(tags.map((t) => t.id)).size).toBe(tags.length);
    expect(new Set(tags.map((t) => `${t.repo} ${t.tag}`)).size).toBe(tags.length);
    const keys = await loadFixtureKeys();
    for (const t of tags) if (t.signer !== null) expect(Object.keys(keys), t.id).toContain(t.signer);
    expect(tags.filter((t) => t.group === 'corpus').length).toBeGreaterThanOrEqual(20);
  });

  it('resolve in the unpacked bundles to the recorded objects', async () => {
    for (const t of fixtures.manifest.tags) {
      const repo = fixtures.repos[t.repo];
      expect(repo, t.id).toBeDefined();
      const { stdout } = await run('git', ['-C', repo!, 'rev-parse', '--verify', `refs/tags/${t.tag}`]);
      expect(stdout.trim(), t.id).toBe(t.object);
      const { stdout: type } = await run('git', ['-C', repo!, 'cat-file', '-t', t.object]);
      expect(type.trim(), t.id).toBe(t.objectType);
    }
  });

  it('get the same answer from git verify-tag as when they were made', async () => {
    const { stdout } = await run('git', ['--version']);
    const recordedWith = fixtures.manifest.tools.bookworm.split(',')[0];
    // The record is of bookworm's git; another git may legitimately differ.
    if (`git ${stdout.trim().split(' ')[2]}` !== recordedWith) return;
    for (const t of fixtures.manifest.tags) {
      expect(await gitVerifyTag(fixtures.repos[t.repo]!, t.tag), t.id).toBe(t.gitVerifyTag);
    }
  });
});
