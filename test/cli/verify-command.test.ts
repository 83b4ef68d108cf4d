// `t2u-verify verify` as registered on a program: exit codes (0 reproduced,
// 1 mismatch, 2 usage, 3 unverifiable), the --json report and the human
// output, on the reference builder's uploads.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerVerify } from '../../src/cli/verify-command.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { INSTALLED_UPLOAD_KEYRING } from '../../src/pipeline/verify.js';
import type { VerifyReport } from '../../src/report/report.js';
import { REPO_ROOT, SERVICE_KEYRING, bundleOf, dscOf, uploadCase } from '../reconstruct/upload-fixtures.js';

interface Outcome { code: number | undefined; stdout: string; error?: unknown }

async function cli(...args: string[]): Promise<Outcome> {
  let code: number | undefined;
  const program = new Command('t2u-verify').exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  registerVerify(program, (c) => (code = c));
  let stdout = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  });
  try {
    await program.parseAsync(['node', 't2u-verify', 'verify', ...args]);
    return { code, stdout };
  } catch (error) {
    return { code, stdout, error };
  } finally {
    spy.mockRestore();
  }
}

const gbp = uploadCase('gbp');
const KEYS = join(REPO_ROOT, 'fixtures', 'keys', 'keyrings');
let dir: string;
let repo: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 't2u-verify-cli-'));
  chmodSync(dir, 0o755);
  repo = join(dir, 'repo.git');
  execFileSync('git', ['clone', '-q', '--mirror', bundleOf(gbp), repo]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const trustFlags = (): string[] => ['--keyring', join(KEYS, 'uploaders.gpg'), '--upload-keyring', SERVICE_KEYRING];

describe('verify command', () => {
  it('--help exits through commander with code 0', async () => {
    const r = await cli('--help');
    expect(r.error).toBeInstanceOf(CommanderError);
    expect((r.error as CommanderError).exitCode).toBe(0);
  });

  it('usage errors exit 2 before anything is fetched', async () => {
    expect((await cli('--repo', repo, '--tag', gbp.tag, '--upload', dscOf(gbp), '--mirror', 'https://deb.debian.org/debian')).error).toBeInstanceOf(UsageError);
    expect((await cli('--repo', repo, '--tag', gbp.tag, '--upload', join(dir, 'none.dsc'))).error).toBeInstanceOf(UsageError);
    expect((await cli('--repo', repo, '--tag', gbp.tag, '--upload', dscOf(gbp), '--upload-keyring', join(dir, 'none.gpg'))).error).toBeInstanceOf(UsageError);
    expect((await cli('--repo', repo, '--tag', gbp.tag, '--upload', dscOf(gbp), '--timeout', 'soon')).error).toBeInstanceOf(UsageError);
  });

  it('an honest upload: exit 0 and a report object with every layer passing', async () => {
    const r = await cli('--repo', repo, '--tag', gbp.tag, '--upload', dscOf(gbp), ...trustFlags(), '--json');
    expect(r.error).toBeUndefined();
    const report = JSON.parse(r.stdout) as VerifyReport;
    expect(report.schema).toBe('t2u-verify/report/v1');
    expect(report.verdict).toBe('reproduced');
    expect(r.code).toBe(0);
    expect(Object.values(report.layers).map((l) => l.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
    expect(report.reconstruction?.toolchains.map((t) => `${t.name}:${t.status}`)).toEqual(['dgit:agrees', 'typescript:agrees']);
  });

  it('a tampered upload: exit 1, the verdict line first, then the differing path and tarball member', async () => {
    const t = uploadCase('tamper-debian-tar');
    const r = await cli('--repo', repo, '--tag', gbp.tag, '--upload', dscOf(t), ...trustFlags());
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^MISMATCH: debian\/1\.0-1 in /);
    expect(r.stdout).toMatch(/added +debian\/extra-file .*in the upload, not in the tag/);
    expect(r.stdout).toMatch(/member by member/);
    expect(r.stdout).toMatch(/added +debian\/extra-file: absent → 0644 /);
    expect(r.stdout).toContain('CONTENT_MISMATCH (content)');
  });

  it('an unreachable repository: exit 3', async () => {
    const r = await cli('--repo', 'http://127.0.0.1:9/none.git', '--tag', gbp.tag, '--upload', dscOf(gbp), ...trustFlags(), '--allow-http', '--json');
    expect(r.code).toBe(3);
    expect((JSON.parse(r.stdout) as VerifyReport).reasons.map((x) => x.code)).toEqual(['FETCH_FAILED']);
  });

  // Without --upload-keyring and without the installed package, the package is obtained from the mirror.
  it.skipIf(existsSync(INSTALLED_UPLOAD_KEYRING))('no upload keyring obtainable: UPLOAD_KEYRING_UNAVAILABLE with the reason, exit 3', async () => {
    const config = join(dir, 'dead-mirror.json');
    writeFileSync(config, JSON.stringify({ debianKeyrings: { mirror: 'http://127.0.0.1:9/debian' }, cacheDir: join(dir, 'cache') }));
    const r = await cli('--repo', repo, '--tag', gbp.tag, '--upload', dscOf(gbp), '--keyring', join(KEYS, 'uploaders.gpg'), '--config', config, '--json');
    expect(r.error).toBeUndefined();
    const report = JSON.parse(r.stdout) as VerifyReport;
    expect(report.verdict).toBe('unverifiable');
    expect(r.code).toBe(3);
    const why = report.reasons.find((x) => x.code === 'UPLOAD_KEYRING_UNAVAILABLE');
    expect(why?.message).toMatch(/debian-tag2upload-keyring could not be obtained: Cannot download the tag2upload service keyring from http:\/\/127\.0\.0\.1:9\/debian .*no cached copy/);
  });
});
