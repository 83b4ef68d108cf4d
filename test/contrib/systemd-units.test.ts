// The systemd units in contrib/systemd: systemd-analyze verify accepts them
// (every key known, every command executable: /usr/bin/t2u-verify stands for
// this checkout's bin/t2u-verify.js), systemd-sysusers accepts the user
// file, and the subcommands and options the units run exist in the CLI.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../reconstruct/upload-fixtures.js';

const UNITS = join(REPO_ROOT, 'contrib', 'systemd');
const haveAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 't2u-units-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const unitFiles = readdirSync(UNITS).filter((f) => /\.(service|timer)$/.test(f));

/** The units with /usr/bin/t2u-verify pointing at this checkout, written to `dir`, and `systemd-analyze verify` over them. */
function analyze(edit: (name: string, text: string) => string = (_, t) => t): { status: number | null; stderr: string } {
  const exe = join(dir, 't2u-verify');
  if (!readdirSync(dir).includes('t2u-verify')) symlinkSync(join(REPO_ROOT, 'bin', 't2u-verify.js'), exe);
  for (const f of unitFiles)
    writeFileSync(join(dir, f), edit(f, readFileSync(join(UNITS, f), 'utf8').replaceAll('/usr/bin/t2u-verify', exe)));
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...unitFiles.map((f) => join(dir, f))], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

describe.skipIf(!haveAnalyze)('contrib/systemd', () => {
  it('has a unit for serve, one for worker, and a timer with its service for watch', () => {
    expect(unitFiles.sort()).toEqual([
      't2u-verify-watch.service',
      't2u-verify-watch.timer',
      't2u-verify-worker.service',
      't2u-verify.service',
    ]);
  });

  it('systemd-analyze verify accepts every unit, silently', () => {
    const r = analyze();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('and would say so of a unit with a mistake', () => {
    const typo = analyze((name, text) => (name === 't2u-verify.service' ? text.replace('StateDirectory=', 'StateDirectroy=') : text));
    expect(typo.stderr).toMatch(/Unknown key 'StateDirectroy'/);
  });

  it('the service takes its secrets as credentials, its state and cache from systemd', () => {
    const serve = readFileSync(join(UNITS, 't2u-verify.service'), 'utf8');
    expect(serve).toMatch(/^LoadCredential=webhook-secret:/m);
    expect(serve).toMatch(/^LoadCredential=api-token:/m);
    expect(serve).toMatch(/^StateDirectory=t2u-verify$/m);
    expect(serve).not.toMatch(/--webhook-secret |--api-token /);
  });

  it('systemd-sysusers accepts the user file', () => {
    const root = mkdtempSync(join(dir, 'root-'));
    const r = spawnSync('systemd-sysusers', [`--root=${root}`, '--dry-run', join(UNITS, 't2u-verify.sysusers.conf')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr + r.stdout).toMatch(/Creating user 't2u-verify'/);
  });

  it('every subcommand and option the units run exists', () => {
    for (const f of unitFiles.filter((u) => u.endsWith('.service'))) {
      const exec = /^ExecStart=\/usr\/bin\/t2u-verify (\S+)(.*)$/m.exec(readFileSync(join(UNITS, f), 'utf8'));
      expect(exec, f).not.toBeNull();
      const help = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 't2u-verify.js'), exec![1]!, '--help'], { encoding: 'utf8' });
      expect(help.status, f).toBe(0);
      for (const option of exec![2]!.match(/--[a-z-]+/g) ?? []) expect(help.stdout, `${f}: ${option}`).toContain(option);
    }
  });
});
