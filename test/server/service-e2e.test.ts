// `t2u-verify serve` end to end on loopback with the real verification: the
// command as the CLI runs it (flags and a --config file, no injected job), a
// smart-HTTP git server with the repository of a real git-debpush tag, a
// mirror with the real dgit upload in its pool, a signed InRelease over its
// Sources index (a test archive key), and a tampered copy of the upload beside
// it. An API request with the honest .dsc URL is reproduced; the same tag with
// the tampered .dsc is a mismatch, named in the dashboard and POSTed to the
// alert receiver; GitLab's Tag Push Hook without an upload is verified against
// the mirror's archive entry, and one that names another tag object than the
// one fetched gets a TAG_MOVED note.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../src/report/report.js';
import type { ServiceHandle } from '../../src/server/service.js';
import { Gpg } from '../authenticate/gpg-harness.js';
import { publishSuite, sourcesStanza } from '../helpers/debian-mirror.js';
import type { GitHttpServer } from '../helpers/git-http-server.js';
import { runVerifyingServe, type ServeCommand } from '../helpers/serve-command.js';
import { publishUpload, serveUploadRepos } from '../helpers/upload-served.js';
import { MANIFEST, dscOf, uploadCase } from '../reconstruct/upload-fixtures.js';
import { startMirrorServer, type MirrorServer } from '../upload/mirror-server.js';
import type { JobView } from '../../src/server/api/api-routes.js';
import { tagPushBody } from './intake-helpers.js';
import { apiHeaders, hookHeaders, startAlertReceiver, waitFor } from './service-helpers.js';
import { PROFILES } from '../../src/sandbox/builder-profiles.js';
import { forSteps, TEST_BUILD_MS, verifySteps } from '../helpers/work-limits.js';

const ARCHIVE_UID = 'Test Archive <archive@t2u.test>';
const POOL = 'pool/main/t/t2u-gbp';
/** One verification: each of its sandboxed steps limited to TEST_BUILD_MS by the service's configuration (build.timeoutMs). */
const VERDICT_MS = forSteps(verifySteps(PROFILES.length));

const gbp = uploadCase('gbp');
const tampered = uploadCase('tamper-debian-tar');
/** A real tag object of another package: what a push event could have named before the tag was replaced. */
const OTHER_OBJECT = MANIFEST.uploads.find((u) => u.tagObject !== gbp.tagObject)!.tagObject;

let root: string;
let gitServer: GitHttpServer;
let mirror: MirrorServer;
let archive: Gpg;
let alerts: Awaited<ReturnType<typeof startAlertReceiver>>;
let serve: ServeCommand;
let service: ServiceHandle;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 't2u-service-e2e-'));
  // The sandbox user (when the tests run as root) must read the repositories.
  chmodSync(root, 0o755);
  gitServer = await serveUploadRepos(root, [gbp]);

  // The honest upload in the pool, indexed by a suite the test archive key signs; the tampered copy elsewhere.
  const tree = join(root, 'mirror');
  publishUpload(tree, POOL, gbp);
  publishUpload(tree, 'tampered', tampered);
  archive = Gpg.create();
  archive.must(['--quick-gen-key', ARCHIVE_UID, 'ed25519', 'sign', 'never']);
  const archiveRing = join(root, 'archive.gpg');
  writeFileSync(archiveRing, archive.must(['--export']));
  publishSuite(tree, 'sid', [sourcesStanza(readFileSync(dscOf(gbp)), POOL, gbp.dsc)], { signer: archive, uid: ARCHIVE_UID });
  mirror = await startMirrorServer(tree);

  alerts = await startAlertReceiver();

  // The archive keyring has no flag: it goes in the configuration file.
  serve = runVerifyingServe(
    root,
    { upload: { suite: 'sid', archiveKeyring: archiveRing }, build: { timeoutMs: TEST_BUILD_MS }, pollMs: 50 },
    ['--mirror', mirror.url, '--alert-url', alerts.url],
  );
  service = await serve.started();
}, 60_000);

afterAll(async () => {
  await serve?.stop();
  await alerts?.close();
  await gitServer?.close();
  await mirror?.close();
  archive?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** A job as the API answers it (its origin is `source` there). */
type ApiJob = JobView & { report?: VerifyReport };

const repoUrl = (): string => `${gitServer.url}/gbp.git`;

async function requestVerification(upload: string): Promise<string> {
  const res = await fetch(`${service.url}/api/v1/verifications`, {
    method: 'POST',
    headers: { ...apiHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ repo: repoUrl(), tag: gbp.tag, upload }),
  });
  const body = (await res.json()) as { id: string; created: boolean };
  expect(res.status, JSON.stringify(body)).toBe(202);
  expect(body.created).toBe(true);
  return body.id;
}

async function finished(id: string): Promise<ApiJob> {
  return waitFor(
    async () => {
      const res = await fetch(`${service.url}/api/v1/verifications/${id}`, { headers: apiHeaders });
      expect(res.status).toBe(200);
      const job = (await res.json()) as ApiJob;
      return job.status === 'done' ? job : undefined;
    },
    `verification ${id}`,
    VERDICT_MS,
  );
}

function describeReport(r: VerifyReport | undefined): string {
  if (r === undefined) return 'no report';
  return `${r.verdict}: ${r.reasons.map((x) => `${x.code} ${x.message}`).join('; ')}`;
}

/** The service's own dashboard page for a verification, over HTTP. */
async function detailPage(id: string): Promise<string> {
  const res = await fetch(`${service.url}/verifications/${id}`);
  expect(res.status).toBe(200);
  return res.text();
}

describe('serve with the real verification, on loopback', () => {
  // Queued at once: the single worker takes them in order while the first test waits.
  let honestId: string;
  let tamperedId: string;
  let hookId: string;
  let movedId: string;
  beforeAll(async () => {
    honestId = await requestVerification(`${mirror.url}/${POOL}/${gbp.dsc}`);
    tamperedId = await requestVerification(`${mirror.url}/tampered/${tampered.dsc}`);
    const res = await fetch(`${service.url}/hooks/gitlab`, {
      method: 'POST',
      headers: hookHeaders('e2e-delivery-1'),
      body: tagPushBody({ ref: `refs/tags/${gbp.tag}`, after: gbp.tagObject, url: repoUrl() }),
    });
    expect(res.status).toBe(202);
    hookId = ((await res.json()) as { id: string }).id;
    // A push event for the same tag naming another object (as if the tag was replaced before the fetch).
    const moved = await fetch(`${service.url}/hooks/gitlab`, {
      method: 'POST',
      headers: hookHeaders('e2e-delivery-2'),
      body: tagPushBody({ ref: `refs/tags/${gbp.tag}`, after: OTHER_OBJECT, url: repoUrl() }),
    });
    expect(moved.status).toBe(202);
    movedId = ((await moved.json()) as { id: string }).id;
  });

  it(
    'the honest upload by .dsc URL is reproduced, every layer passing, and the dashboard says so',
    async () => {
      const job = await finished(honestId);
      const r = job.report;
      expect(job.verdict, describeReport(r)).toBe('reproduced');
      expect(job.source).toBe('api');
      expect(job.upload).toBe(`${mirror.url}/${POOL}/${gbp.dsc}`);
      expect(job.version).toBe(gbp.version);
      expect(r?.reasons).toEqual([]);
      for (const [name, layer] of Object.entries(r!.layers)) expect(layer.status, name).toBe('pass');
      expect(r?.tag.object).toBe(gbp.tagObject);
      expect(r?.upload?.signer).toBe(MANIFEST.serviceKey.fingerprint.toLowerCase());
      const page = await detailPage(honestId);
      expect(page).toMatch(/class="[^"]*v-reproduced[^"]*"[^>]*>\s*reproduced/);
      expect(page).not.toContain('v-mismatch');
      // What the attempt printed is kept: progress, the sandboxed commands with their output, dgit's build log, the end.
      const logRes = await fetch(`${service.url}/api/v1/verifications/${honestId}/attempts/1/log`, { headers: apiHeaders });
      expect(logRes.status).toBe(200);
      expect(logRes.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      const log = await logRes.text();
      expect(log).toMatch(/^\[t2u-verify\] attempt 1 at job /);
      expect(log).toContain(`[t2u-verify] fetching ${gbp.tag} and its history from ${repoUrl()}`);
      expect(log).toMatch(/^\$ sh \/work\/build\.sh\n/m);
      expect(log).toMatch(
        /--- the build's log under profile \S+ \(dgit, dpkg-source\) ---\n[^]*dpkg-source[^]*--- end of the build's log ---/,
      );
      expect(log).toMatch(/\[t2u-verify\] verdict reproduced, after [0-9.]+ s\n$/);
      expect(page).toContain(`/verifications/${honestId}/attempts/1/log`);
    },
    VERDICT_MS,
  );

  it(
    'the tampered upload is a mismatch naming the extra file, on the dashboard and in the alert',
    async () => {
      const job = await finished(tamperedId);
      const r = job.report;
      expect(job.verdict, describeReport(r)).toBe('mismatch');
      expect(r?.reasons.map((x) => x.code)).toContain('CONTENT_MISMATCH');
      expect(r?.layers.content.status).toBe('fail');
      expect(r?.content?.differences.map((d) => d.path)).toContain('debian/extra-file');
      const page = await detailPage(tamperedId);
      expect(page).toMatch(/class="[^"]*v-mismatch[^"]*"[^>]*>\s*mismatch/);
      expect(page).toContain('CONTENT_MISMATCH');
      expect(page).toContain('debian/extra-file');
      const alert = await waitFor(() => alerts.received.find((a) => (a.body as VerifyReport).verdict === 'mismatch'), 'the alert', 10_000);
      const body = alert.body as VerifyReport;
      expect(body.reasons.map((x) => x.code)).toContain('CONTENT_MISMATCH');
      expect(body.repo).toBe(repoUrl());
      expect(body.tag.object).toBe(gbp.tagObject);
      // Only the mismatch is alerted; the reproduced job before it is not.
      expect(alerts.received.filter((a) => (a.body as VerifyReport).verdict !== 'mismatch')).toEqual([]);
    },
    VERDICT_MS,
  );

  it(
    "a GitLab Tag Push Hook is verified against the mirror's signed archive entry",
    async () => {
      const job = await finished(hookId);
      const r = job.report;
      expect(job.source).toBe('webhook');
      expect(job.tagObject).toBe(gbp.tagObject);
      expect(job.upload).toBeNull();
      expect(job.verdict, describeReport(r)).toBe('reproduced');
      expect(r?.upload?.origin).toContain(`${mirror.url}/${POOL}/${gbp.dsc}`);
      // The mirror was read through its signed index, not guessed.
      expect(mirror.requests).toContain('/dists/sid/InRelease');
      expect(r?.notes.map((x) => x.code)).not.toContain('TAG_MOVED');
      expect(await detailPage(hookId)).toContain('v-reproduced');
    },
    VERDICT_MS,
  );

  it(
    'a push event naming another tag object than the one fetched: the report is about the fetched one and says so',
    async () => {
      const job = await finished(movedId);
      const r = job.report;
      expect(job.tagObject).toBe(OTHER_OBJECT);
      expect(r?.tag.object).toBe(gbp.tagObject);
      // The tag fetched is still authentic and reproduced; the move is a note, not a verdict.
      expect(job.verdict, describeReport(r)).toBe('reproduced');
      const moved = r?.notes.find((x) => x.code === 'TAG_MOVED');
      expect(moved, JSON.stringify(r?.notes)).toBeDefined();
      expect(moved?.message).toContain(OTHER_OBJECT);
      expect(moved?.message).toContain(gbp.tagObject);
      // Both webhook jobs found their upload in one verified index, fetched once.
      expect(mirror.requests.filter((p) => p === '/dists/sid/InRelease')).toHaveLength(1);
    },
    VERDICT_MS,
  );

  it('stops gracefully with exit 0', async () => {
    expect(await serve.stop()).toBe(0);
    await expect(fetch(`${service.url}/healthz`)).rejects.toThrow();
  });
});
