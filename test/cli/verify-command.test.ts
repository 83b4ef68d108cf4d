// `t2u-verify verify` as registered on a program: exit codes (0 reproduced,
// 1 mismatch, 2 usage, 3 unverifiable), the --json report and the human
// output, on the reference builder's uploads.
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerVerify } from '../../src/cli/verify-command.js';
import { defaultCacheDir } from '../../src/config/load.js';
import { UsageError } from '../../src/report/usage-error.js';
import { INSTALLED_UPLOAD_KEYRING } from '../../src/pipeline/verify.js';
import type { VerifyReport } from '../../src/report/report.js';
import { Gpg } from '../authenticate/gpg-harness.js';
import { publishSuite, sourcesStanza } from '../helpers/debian-mirror.js';
import { SERVICE_KEYRING, dscOf, uploadCase } from '../reconstruct/upload-fixtures.js';
import { startMirrorServer, type MirrorServer } from '../upload/mirror-server.js';
import { PROFILES } from '../../src/sandbox/builder-profiles.js';
import { commanderExitCode, runCommand, type CommandRun } from '../helpers/cli.js';
import { FIXTURE_KEYRINGS } from '../helpers/fixture-keyrings.js';
import { mirrorUploadRepo, publishUpload, readableTempDir } from '../helpers/upload-served.js';
import { deadPort } from '../helpers/dead-port.js';
import { forSteps, TEST_BUILD_MS, verifySteps } from '../helpers/work-limits.js';

const cli = (...args: string[]): Promise<CommandRun> => runCommand(registerVerify, ['verify', ...args]);

const gbp = uploadCase('gbp');
let dir: string;
let repo: string;
let mirror: MirrorServer;
let archive: Gpg;
/** A configuration whose archive keyring is the loopback mirror's. */
let mirrorConfig: string;

beforeAll(async () => {
  dir = readableTempDir('t2u-verify-cli-');
  repo = mirrorUploadRepo(gbp, join(dir, 'repo.git'));
  // A loopback mirror with the gbp upload in its pool, sid signed by a test archive key.
  const tree = join(dir, 'mirror');
  archive = Gpg.create();
  archive.must(['--quick-gen-key', 'Test Archive <archive@t2u.test>', 'ed25519', 'sign', 'never']);
  const archiveRing = join(dir, 'archive.gpg');
  writeFileSync(archiveRing, archive.must(['--export']));
  const pool = `pool/main/t/${gbp.source}`;
  publishUpload(tree, pool, gbp);
  publishSuite(tree, 'sid', [sourcesStanza(readFileSync(dscOf(gbp)), pool, gbp.dsc)], {
    signer: archive,
    uid: 'Test Archive <archive@t2u.test>',
  });
  mirror = await startMirrorServer(tree);
  mirrorConfig = join(dir, 'mirror.json');
  writeFileSync(mirrorConfig, JSON.stringify({ upload: { archiveKeyring: archiveRing } }));
});

afterAll(async () => {
  await mirror?.close();
  archive?.close();
  rmSync(dir, { recursive: true, force: true });
});

// Each build or unpacking is limited to TEST_BUILD_MS by the command itself.
const trustFlags = (): string[] => [
  '--no-default-keyrings',
  '--keyring',
  FIXTURE_KEYRINGS.uploaders,
  '--upload-keyring',
  SERVICE_KEYRING,
  '--timeout',
  String(TEST_BUILD_MS / 1000),
];

/** `verify SOURCE VERSION --json`: the upload from the loopback mirror's signed Sources index, the tag from `repo`. */
const fromMirror = (source: string, version: string): Promise<CommandRun> =>
  cli(source, version, '--repo', repo, '--mirror', mirror.url, '--allow-http', '--config', mirrorConfig, ...trustFlags(), '--json');

// Each test runs at most one verify, under every profile at worst.
vi.setConfig({ testTimeout: forSteps(verifySteps(PROFILES.length)) });

describe('verify command', () => {
  it('--help exits through commander with code 0', async () => {
    expect(commanderExitCode(await cli('--help'))).toBe(0);
  });

  it('usage errors exit 2 before anything is fetched', async () => {
    expect(
      (await cli('--repo', repo, '--tag', gbp.tag, '--upload', dscOf(gbp), '--mirror', 'https://deb.debian.org/debian')).error,
    ).toBeInstanceOf(UsageError);
    expect((await cli('--repo', repo, '--tag', gbp.tag, '--upload', join(dir, 'none.dsc'))).error).toBeInstanceOf(UsageError);
    expect(
      (await cli('--repo', repo, '--tag', gbp.tag, '--upload', dscOf(gbp), '--upload-keyring', join(dir, 'none.gpg'))).error,
    ).toBeInstanceOf(UsageError);
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
    // The mismatch is decided: the profiles not built under are named, with why.
    expect(r.stdout).toMatch(/^ {2}not tried {4}\S.*: \S/m);
  });

  it("SOURCE VERSION: the upload from the mirror's verified Sources index, the tag named by git-debpush's mangling", async () => {
    const r = await fromMirror(gbp.source, gbp.version);
    expect(r.error).toBeUndefined();
    const report = JSON.parse(r.stdout) as VerifyReport;
    expect(report.verdict).toBe('reproduced');
    expect(r.code).toBe(0);
    expect(report.tag.name).toBe(gbp.tag);
    expect(report.tag.object).toBe(gbp.tagObject);
    expect(report.upload?.origin).toBe(`${mirror.url}/pool/main/t/${gbp.source}/${gbp.dsc}`);
  });

  it('a .dsc, as dscverify takes it: its tag in --repo; a version the mirror lacks is UPLOAD_NOT_FOUND (exit 3)', async () => {
    const r = await cli(dscOf(gbp), '--repo', repo, ...trustFlags(), '--json');
    expect(r.error).toBeUndefined();
    expect((JSON.parse(r.stdout) as VerifyReport).verdict).toBe('reproduced');
    const absent = await fromMirror(gbp.source, '9.9-9');
    expect(absent.code).toBe(3);
    const report = JSON.parse(absent.stdout) as VerifyReport;
    expect(report.tag.name).toBe('debian/9.9-9');
    expect(report.reasons.map((x) => x.code)).toEqual(['UPLOAD_NOT_FOUND']);
  });

  it('the ways of naming an upload do not mix: usage errors, exit 2', async () => {
    for (const args of [
      [],
      ['--repo', repo],
      ['hello'],
      ['Hello_World', '1.0-1'],
      ['hello', 'not a version'],
      [dscOf(gbp), '--upload', dscOf(gbp)],
      [gbp.source, gbp.version, '--upload', dscOf(gbp)],
      [dscOf(gbp), '--mirror', 'https://deb.debian.org/debian'],
      [join(dir, 'absent.dsc')],
    ]) {
      const r = await cli(...args, ...trustFlags());
      expect(r.error, args.join(' ')).toBeInstanceOf(UsageError);
    }
  });

  it('progress: none on a pipe or with --json; --progress prints each long step on stderr', async () => {
    const quiet = await cli('--repo', repo, '--tag', gbp.tag, '--upload', dscOf(gbp), ...trustFlags(), '--json');
    expect(quiet.stderr).toBe('');
    const r = await cli('--repo', repo, '--tag', gbp.tag, '--upload', dscOf(gbp), ...trustFlags(), '--json', '--progress');
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines.every((l) => /^t2u-verify: \[ *[0-9]+\.[0-9] s\] /.test(l))).toBe(true);
    const steps = lines.map((l) => l.replace(/^t2u-verify: \[ *[0-9.]+ s\] /, ''));
    expect(steps[0]).toBe(`fetching ${gbp.tag} and its history from ${repo} and checking its signature`);
    expect(steps).toContain('tag authentic');
    expect(steps).toContain(
      `upload: ${gbp.dscFiles.length + 1} files, ${((gbp.dscFiles.reduce((n, f) => n + f.size, 0) + readFileSync(dscOf(gbp)).length) / 1024).toFixed(1)} KiB`,
    );
    expect(steps.find((l) => /^building under profile \S+ \(1 of [0-9]+\)$/.test(l))).toBeDefined();
    expect(steps.find((l) => /^profile \S+: reproduced in [0-9.]+ s$/.test(l))).toBeDefined();
    expect(steps.at(-1)).toBe('verdict: reproduced');
  });

  it('an unreachable repository: exit 3', async () => {
    const r = await cli(
      '--repo',
      `http://127.0.0.1:${await deadPort()}/none.git`,
      '--tag',
      gbp.tag,
      '--upload',
      dscOf(gbp),
      ...trustFlags(),
      '--allow-http',
      '--json',
    );
    expect(r.code).toBe(3);
    expect((JSON.parse(r.stdout) as VerifyReport).reasons.map((x) => x.code)).toEqual(['FETCH_FAILED']);
  });

  // Without --upload-keyring and without the installed package, the package is obtained from the mirror.
  it.skipIf(existsSync(INSTALLED_UPLOAD_KEYRING))('no upload keyring obtainable: KEYRING_UNAVAILABLE with the reason, exit 3', async () => {
    const config = join(dir, 'dead-mirror.json');
    // A cache of its own for the keyring packages; the builder root filesystems, found under the
    // same cacheDir, are the shared ones (built by `sandbox build`).
    mkdirSync(join(dir, 'cache'));
    symlinkSync(join(defaultCacheDir(), 'rootfs'), join(dir, 'cache', 'rootfs'));
    const mirror = `http://127.0.0.1:${await deadPort()}/debian`;
    writeFileSync(config, JSON.stringify({ debianKeyrings: { mirror }, cacheDir: join(dir, 'cache') }));
    const r = await cli(
      '--repo',
      repo,
      '--tag',
      gbp.tag,
      '--upload',
      dscOf(gbp),
      '--no-default-keyrings',
      '--keyring',
      FIXTURE_KEYRINGS.uploaders,
      '--config',
      config,
      '--timeout',
      String(TEST_BUILD_MS / 1000),
      '--json',
    );
    expect(r.error).toBeUndefined();
    const report = JSON.parse(r.stdout) as VerifyReport;
    expect(report.verdict).toBe('unverifiable');
    expect(r.code).toBe(3);
    const why = report.reasons.find((x) => x.code === 'KEYRING_UNAVAILABLE');
    expect(why?.message).toContain(
      `debian-tag2upload-keyring could not be obtained: Cannot download the tag2upload service keyring from ${mirror} `,
    );
    expect(why?.message).toMatch(/no cached copy/);
  });
});
