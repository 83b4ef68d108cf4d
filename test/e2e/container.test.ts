// The service image, built for real from Containerfile with Debian's podman
// (scripts/container-image.sh: a local mmdebstrap base passed as BASE) and
// run: /healthz answers, and a fixture upload verifies `reproduced` inside
// it, the sandbox's bubblewrap in the container's user namespaces as
// docs/service.md says (seccomp unconfined, /proc unmasked). The builder root
// filesystems are the host's cached ones, mounted read-only. Skipped where
// podman is not installed or not run as root.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCacheDir } from '../../src/config/load.js';
import type { VerifyReport } from '../../src/report/report.js';
import { builderRootfs } from '../helpers/builder-rootfs.js';
import { REPO_ROOT, SERVICE_KEYRING, bundleOf, dscOf, uploadCase } from '../reconstruct/upload-fixtures.js';

const run = promisify(execFile);
const havePodman = spawnSync('podman', ['--version']).status === 0 && process.getuid?.() === 0;
const dir = join(defaultCacheDir(), 'container');
const env = { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf') };
// The storage scripts/container-image.sh builds into.
const podman = (...args: string[]) =>
  run('podman', ['--root', join(dir, 'overlay'), '--runroot', join(dir, 'run-overlay'), '--storage-driver', 'overlay', ...args], {
    env,
    maxBuffer: 64 << 20,
  });
// What docs/service.md asks of the runtime for the sandbox's user namespaces.
const SANDBOX_OPTS = ['--security-opt', 'seccomp=unconfined', '--security-opt', 'unmask=ALL'];

const gbp = uploadCase('gbp');
let image: string;
let work: string;

beforeAll(async () => {
  if (!havePodman) return;
  await builderRootfs('trixie');
  await builderRootfs('forky');
  // The first build installs Debian's nodejs and npm and runs npm ci: minutes; later ones reuse the layers.
  image = (await run('bash', [join(REPO_ROOT, 'scripts', 'container-image.sh')], { maxBuffer: 64 << 20 })).stdout.trim();
  work = mkdtempSync(join(tmpdir(), 't2u-container-'));
  chmodSync(work, 0o755);
  execFileSync('git', ['clone', '-q', '--mirror', bundleOf(gbp), join(work, 'repo.git')]);
  execFileSync('chmod', ['-R', 'a+rX', work]);
}, 40 * 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!havePodman)('the service image', () => {
  it(
    'serves /healthz',
    async () => {
      const secret = join(work, 'webhook-secret');
      writeFileSync(secret, 'container-test-secret-0123456789\n', { mode: 0o644 });
      const id = (
        await podman(
          'run',
          '-d',
          '--network',
          'host',
          '-v',
          `${secret}:/run/secrets/webhook:ro`,
          image,
          'serve',
          '--listen',
          '127.0.0.1:0',
          '--data-dir',
          '/var/lib/t2u-verify/data',
          '--webhook-secret-file',
          '/run/secrets/webhook',
          '--workers',
          '0',
        )
      ).stdout.trim();
      try {
        let url: string | undefined;
        for (let i = 0; i < 120 && url === undefined; i++) {
          const logs = await podman('logs', id);
          url = /"url":"(http:\/\/127\.0\.0\.1:[0-9]+)"/.exec(logs.stdout)?.[1];
          if (url === undefined) await new Promise((r) => setTimeout(r, 500));
        }
        expect(url, 'the service logs its address once started').toBeDefined();
        const r = await fetch(`${url!}/healthz`);
        expect(r.status).toBe(200);
        expect(await r.json()).toMatchObject({ status: 'ok' });
      } finally {
        await podman('rm', '-f', id);
      }
    },
    5 * 60_000,
  );

  it(
    'verifies a fixture upload: reproduced, in the sandbox inside the container',
    async () => {
      const r = await podman(
        'run',
        '--rm',
        '--network',
        'none',
        ...SANDBOX_OPTS,
        '-v',
        `${join(defaultCacheDir(), 'rootfs')}:/var/lib/t2u-verify/cache/rootfs:ro`,
        '-v',
        `${join(REPO_ROOT, 'fixtures')}:/fixtures:ro`,
        '-v',
        `${work}:/work:ro`,
        image,
        'verify',
        dscOf(gbp).replace(join(REPO_ROOT, 'fixtures'), '/fixtures'),
        '--repo',
        '/work/repo.git',
        '--no-default-keyrings',
        '--keyring',
        '/fixtures/keys/keyrings/uploaders.gpg',
        '--upload-keyring',
        SERVICE_KEYRING.replace(join(REPO_ROOT, 'fixtures'), '/fixtures'),
        '--json',
      );
      const report = JSON.parse(r.stdout) as VerifyReport;
      expect(report.verdict).toBe('reproduced');
      expect(report.tag.object).toBe(gbp.tagObject);
    },
    5 * 60_000,
  );
});
