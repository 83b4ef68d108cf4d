// `t2u-verify reproduce` as registered on a program: exit codes (0
// reproduced, 1 mismatch, 2 usage, 3 unverifiable), the --json report and
// --help, on the committed upload fixtures.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerReproduce } from '../../src/cli/reproduce-command.js';
import { UsageError } from '../../src/report/usage-error.js';
import { commanderExitCode, runCommand, type CommandRun } from '../helpers/cli.js';
import { SERVICE_KEYRING, bundleOf, dscOf, uploadCase } from '../reconstruct/upload-fixtures.js';

const cli = (...args: string[]): Promise<CommandRun> => runCommand(registerReproduce, ['reproduce', ...args]);

afterEach(() => vi.restoreAllMocks());

describe('reproduce command', () => {
  it('--help exits through commander with code 0', async () => {
    expect(commanderExitCode(await cli('--help'))).toBe(0);
  });

  it('usage errors', async () => {
    const gbp = uploadCase('gbp');
    expect((await cli('--dsc', dscOf(gbp))).error).toBeInstanceOf(UsageError);
    expect((await cli('--repo', bundleOf(gbp), '--tag', gbp.tag, '--tree', '/tmp', '--dsc', dscOf(gbp))).error).toBeInstanceOf(UsageError);
    expect((await cli('--repo', bundleOf(gbp), '--tag', gbp.tag, '--dsc', dscOf(gbp), '--profile', 'bookworm')).error).toBeInstanceOf(
      UsageError,
    );
    expect((await cli('--repo', bundleOf(gbp), '--tag', gbp.tag, '--dsc', '/nonexistent.dsc')).error).toBeInstanceOf(UsageError);
    const missing = await cli('--repo', bundleOf(gbp), '--tag', gbp.tag);
    expect(missing.error).toBeInstanceOf(CommanderError);
  });

  it('a tag the --repo directory lacks, or a directory that is no repository, is a usage error naming it, found before any build', async () => {
    const gbp = uploadCase('gbp');
    const dir = mkdtempSync(join(tmpdir(), 't2u-repro-mistake-'));
    try {
      const work = join(dir, 'work');
      execFileSync('git', ['clone', '-q', bundleOf(gbp), work]);
      const typo = await cli('--repo', work, '--tag', `${gbp.tag}9`, '--dsc', dscOf(gbp));
      expect(typo.error).toBeInstanceOf(UsageError);
      expect((typo.error as Error).message).toBe(`tag ${gbp.tag}9: no such tag in ${work}`);
      expect(typo.stdout).toBe('');
      const plain = join(dir, 'plain');
      execFileSync('mkdir', [plain]);
      const notRepo = await cli('--repo', plain, '--tag', gbp.tag, '--dsc', dscOf(gbp));
      expect(notRepo.error).toBeInstanceOf(UsageError);
      expect((notRepo.error as Error).message).toMatch(new RegExp(`^--repo ${plain}: `));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--tree given a git checkout rebuilds from the tag named after the .dsc version', async () => {
    const u = uploadCase('native');
    const dir = mkdtempSync(join(tmpdir(), 't2u-tree-checkout-'));
    chmodSync(dir, 0o755);
    try {
      const work = join(dir, 'work');
      execFileSync('git', ['clone', '-q', bundleOf(u), work]);
      execFileSync('git', ['checkout', '-q', `refs/tags/${u.tag}`], { cwd: work });
      const r = await cli('--tree', work, '--dsc', dscOf(u), '--profile', 'trixie', '--json');
      expect(r.error).toBeUndefined();
      const report = JSON.parse(r.stdout) as { verdict: string; tag: { name: string; object?: string }; notes: { code: string }[] };
      expect(report.verdict).toBe('reproduced');
      // No --upload-keyring: the report says the .dsc signature was never checked.
      expect(report.notes.map((x) => x.code)).toContain('UPLOAD_SIGNATURE_NOT_CHECKED');
      expect(report.tag.name).toBe(u.tag);
      expect(report.tag.object).toMatch(/^[0-9a-f]{40}$/);
      expect(r.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reproduced: exit 0 and a report naming the profile', async () => {
    const u = uploadCase('native');
    const r = await cli(
      '--repo',
      bundleOf(u),
      '--tag',
      u.tag,
      '--dsc',
      dscOf(u),
      '--upload-keyring',
      SERVICE_KEYRING,
      '--profile',
      'trixie',
      '--json',
    );
    expect(r.error).toBeUndefined();
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      schema: string;
      verdict: string;
      reconstruction: { profile: string; files: { name: string; match: boolean }[] };
      layers: Record<string, { status: string }>;
    };
    expect(report.schema).toBe('t2u-verify/report/v1');
    expect(report.verdict).toBe('reproduced');
    expect(report.reconstruction.profile).toBe('trixie');
    expect(report.reconstruction.files).toEqual([expect.objectContaining({ name: 't2u-native_2.0.tar.xz', match: true })]);
    expect(report.layers.bits?.status).toBe('pass');
    expect(report.layers.binding?.status).toBe('pass');
    expect((report as unknown as { notes: { code: string }[] }).notes.map((x) => x.code)).not.toContain('UPLOAD_SIGNATURE_NOT_CHECKED');
  }, 120_000);

  it('mismatch: exit 1, the differing field in the text output', async () => {
    const u = uploadCase('tamper-tag-info-fp');
    const r = await cli('--repo', bundleOf(u), '--tag', u.tag, '--dsc', dscOf(u), '--profile', 'trixie');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^MISMATCH: .*; the \.dsc signature was not checked \(no --upload-keyring\)\n/);
    expect(r.stdout).toContain('field Git-Tag-Info');
  }, 120_000);

  it('unverifiable: exit 3', async () => {
    const u = uploadCase('gbp');
    const r = await cli('--repo', bundleOf(u), '--tag', u.tag, '--dsc', dscOf(u), '--profile', 'trixie', '--timeout', '0.2', '--json');
    expect(r.code).toBe(3);
    expect((JSON.parse(r.stdout) as { reasons: { code: string }[] }).reasons.map((x) => x.code)).toEqual(['BUILD_TIMEOUT']);
  });
});
