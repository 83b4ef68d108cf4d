// Root with its inputs under a mode-0700 directory (as under /root): the
// sandbox runs as an unprivileged uid that cannot enter it, yet every path
// the invoking user can read must work. check-tag, reproduce and verify, run
// as users run them (node bin/t2u-verify.js), on a repository and an upload
// there. Without staging they ended unverifiable with SANDBOX_FAILED.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin, type CliRun } from '../helpers/cli.js';
import { FIXTURE_KEYRING_FLAGS, FIXTURE_KEYRINGS } from '../helpers/fixture-keyrings.js';
import { unpackFixtureRepos, type FixtureRepos } from '../helpers/fixture-repos.js';
import { REPO_ROOT, SERVICE_KEYRING, bundleOf, uploadCase } from '../reconstruct/upload-fixtures.js';

const root = process.getuid?.() === 0;

const cli = (...args: string[]): Promise<CliRun> => runBin(args, { timeoutMs: 300_000 });

const gbp = uploadCase('gbp');
let fixtures: FixtureRepos;
let privateDir: string;
let repo: string;
let dsc: string;

beforeAll(async () => {
  fixtures = await unpackFixtureRepos(['hello-t2u']);
  chmodSync(fixtures.root, 0o700);
  privateDir = mkdtempSync(join(tmpdir(), 't2u-private-'));
  chmodSync(privateDir, 0o700);
  repo = join(privateDir, 'repo.git');
  execFileSync('git', ['clone', '-q', '--mirror', bundleOf(gbp), repo]);
  mkdirSync(join(privateDir, 'upload'));
  for (const f of readdirSync(join(REPO_ROOT, gbp.dir))) copyFileSync(join(REPO_ROOT, gbp.dir, f), join(privateDir, 'upload', f));
  dsc = join(privateDir, 'upload', gbp.dsc);
}, 120_000);

afterAll(async () => {
  await fixtures?.cleanup();
  if (privateDir) rmSync(privateDir, { recursive: true, force: true });
});

describe.runIf(root)('inputs under a mode-0700 directory, as root', () => {
  it('check-tag on a local repository there: authentic', async () => {
    const r = await cli('check-tag', '--repo', fixtures.repos['hello-t2u']!, '--tag', 'debian/1.0-1', ...FIXTURE_KEYRING_FLAGS, '--json');
    expect(r.stderr).not.toContain('SANDBOX_FAILED');
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'authentic', reasons: [] });
    expect(r.code).toBe(0);
  }, 300_000);

  it('reproduce from a repository and a .dsc there: reproduced', async () => {
    const r = await cli(
      'reproduce',
      '--repo',
      repo,
      '--tag',
      gbp.tag,
      '--dsc',
      dsc,
      '--upload-keyring',
      SERVICE_KEYRING,
      '--profile',
      'trixie',
      '--json',
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'reproduced' });
    expect(r.code).toBe(0);
  }, 300_000);

  it('verify a repository and an upload there: reproduced, every layer passing', async () => {
    const r = await cli(
      'verify',
      '--repo',
      repo,
      '--tag',
      gbp.tag,
      '--upload',
      dsc,
      '--no-default-keyrings',
      '--keyring',
      FIXTURE_KEYRINGS.uploaders,
      '--upload-keyring',
      SERVICE_KEYRING,
      '--json',
    );
    const report = JSON.parse(r.stdout) as { verdict: string; reasons: { code: string }[]; layers: Record<string, { status: string }> };
    expect(report.reasons.map((x) => x.code)).toEqual([]);
    expect(report.verdict).toBe('reproduced');
    expect(Object.values(report.layers).map((l) => l.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
    expect(r.code).toBe(0);
  }, 300_000);
});
