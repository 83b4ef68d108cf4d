// The service's verification as the workers run it, on a reference-builder
// upload served over loopback: without an upload keyring configured or
// installed, debian-tag2upload-keyring is asked of the configured mirror, and
// a mirror that cannot be reached makes the binding unverifiable with the
// reason, not a pass.
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCacheDir } from '../../src/config/load.js';
import { INSTALLED_UPLOAD_KEYRING } from '../../src/pipeline/verify.js';
import { PROFILES } from '../../src/sandbox/builder-profiles.js';
import { makeVerifyJob } from '../../src/server/queue/verify-job.js';
import { REPO_ROOT, dscOf, uploadCase } from '../reconstruct/upload-fixtures.js';
import { startMirrorServer, type MirrorServer } from '../upload/mirror-server.js';
import { testConfig } from './service-helpers.js';
import { deadPort } from '../helpers/dead-port.js';
import { mirrorUploadRepo, readableTempDir } from '../helpers/upload-served.js';
import { forSteps, TEST_BUILD_MS, verifySteps } from '../helpers/work-limits.js';

const gbp = uploadCase('gbp');
let dir: string;
let repo: string;
let uploads: MirrorServer;

beforeAll(async () => {
  dir = readableTempDir('t2u-verify-job-');
  repo = mirrorUploadRepo(gbp, join(dir, 'repo.git'));
  uploads = await startMirrorServer(dirname(dscOf(gbp)));
});

afterAll(async () => {
  await uploads?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('makeVerifyJob', () => {
  it.skipIf(existsSync(INSTALLED_UPLOAD_KEYRING))(
    'no upload keyring obtainable: KEYRING_UNAVAILABLE with the reason',
    async () => {
      const mirror = `http://127.0.0.1:${await deadPort()}/debian`;
      // A cache of its own for the keyring packages; the builder root filesystems, found under the
      // same cacheDir, are the shared ones (built by `sandbox build`), not built again here.
      mkdirSync(join(dir, 'cache'));
      symlinkSync(join(defaultCacheDir(), 'rootfs'), join(dir, 'cache', 'rootfs'));
      const config = testConfig({
        dataDir: join(dir, 'data'),
        config: {
          keyrings: [{ path: join(REPO_ROOT, 'fixtures', 'keys', 'keyrings', 'uploaders.gpg'), role: 'uploader' }],
          debianKeyrings: { mirror },
          cacheDir: join(dir, 'cache'),
          build: { timeoutMs: TEST_BUILD_MS },
          fetch: { allowHttpLoopback: true },
        },
      });
      const job = makeVerifyJob(config);
      const report = await job(
        { repo, tag: gbp.tag, upload: `${uploads.url}/${basename(dscOf(gbp))}` },
        { signal: new AbortController().signal, log: pino({ enabled: false }) },
      );
      expect(report.verdict).toBe('unverifiable');
      const why = report.reasons.find((x) => x.code === 'KEYRING_UNAVAILABLE');
      expect(why?.message).toContain(
        `debian-tag2upload-keyring could not be obtained: Cannot download the tag2upload service keyring from ${mirror} `,
      );
      expect(why?.message).toMatch(/no cached copy/);
    },
    forSteps(verifySteps(PROFILES.length)),
  );
});
