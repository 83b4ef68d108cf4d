// The service end to end on loopback, over a real store: SQLite in a data
// directory, and PostgreSQL started from Debian's binaries
// (test/helpers/postgres.ts). GitLab's documented Tag Push body goes in; the
// job is in the database when the 202 arrives; a worker runs the injected
// verification; the read API shows the verdict; alerts reach a loopback
// receiver through its failures; a stopped worker's job is finished by
// another, once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ServiceHandle } from '../../src/server/service.js';
import type { VerifyJob } from '../../src/server/queue/worker.js';
import type { VerifyReport } from '../../src/report/report.js';
import type { Job } from '../../src/store/store.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { tagPushBody } from './intake-helpers.js';
import { LogCapture, apiHeaders, hookHeaders, startAlertReceiver, startTestService, verifyReport, waitFor } from './service-helpers.js';

const OBJECT_A = 'a'.repeat(40);
const OBJECT_B = 'b'.repeat(40);

let pgServer: PostgresServer | undefined;
let dbCount = 0;
beforeAll(async () => {
  pgServer = await startPostgres({ durable: false });
});
afterAll(async () => {
  await pgServer?.stop();
});

const backends = [
  { name: 'SQLite', database: (): Promise<string | undefined> => Promise.resolve(undefined) },
  {
    name: 'PostgreSQL',
    database: async (): Promise<string | undefined> => {
      if (pgServer === undefined) throw new Error('the test PostgreSQL server did not start');
      return pgServer.createDatabase(`service_${dbCount++}`);
    },
  },
];

describe.each(backends)('service over $name', (backend) => {
  let dir: string;
  let database: string | undefined;
  const handles: ServiceHandle[] = [];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 't2u-service-'));
    database = await backend.database();
  });
  afterEach(async () => {
    await Promise.all(handles.splice(0).map((h) => h.stop()));
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async (o: Omit<Parameters<typeof startTestService>[0], 'dataDir'>): Promise<ServiceHandle> => {
    const h = await startTestService({ dataDir: dir, ...(database !== undefined && { database }), ...o });
    handles.push(h);
    return h;
  };
  const postHook = (h: ServiceHandle, body: string, uuid?: string) =>
    fetch(`${h.url}/hooks/gitlab`, { method: 'POST', headers: hookHeaders(uuid), body });
  const getJob = async (h: ServiceHandle, id: string) => {
    const res = await fetch(`${h.url}/api/v1/verifications/${id}`, { headers: apiHeaders });
    return (await res.json()) as Job & { report?: VerifyReport };
  };
  /** The job as the API serves it once it is done. */
  const doneJob = (h: ServiceHandle, id: string, what: string) =>
    waitFor(async () => {
      const j = await getJob(h, id);
      return j.status === 'done' ? j : undefined;
    }, what);

  it('persists a webhook before acknowledging it, verifies it, and serves the verdict', async () => {
    const capture = new LogCapture();
    const calls: Parameters<VerifyJob>[0][] = [];
    const h = await start({
      log: capture.logger,
      verifyJob: (req) => {
        calls.push(req);
        return Promise.resolve(verifyReport(req, [], { version: '1.0-1' }));
      },
    });
    // Without a job to run, the worker is idle: it is woken by the intake, not by polling alone.
    const res = await postHook(h, tagPushBody({ after: OBJECT_A }), 'delivery-1');
    expect(res.status).toBe(202);
    const { id, created } = (await res.json()) as { id: string; created: boolean };
    expect(created).toBe(true);
    const stored = await h.store.get(id);
    expect(stored).toMatchObject({
      repo: 'https://salsa.debian.org/jsmith/example.git',
      tag: 'debian/1.0-1',
      tagObject: OBJECT_A,
      intake: 'webhook',
    });

    const done = await doneJob(h, id, 'the job to be done');
    expect(done).toMatchObject({ id, status: 'done', verdict: 'reproduced', version: '1.0-1', attempts: 1 });
    expect(done.report).toMatchObject({
      schema: 't2u-verify/report/v1',
      verdict: 'reproduced',
      tag: { name: 'debian/1.0-1', object: OBJECT_A },
    });
    expect(calls).toEqual([{ repo: 'https://salsa.debian.org/jsmith/example.git', tag: 'debian/1.0-1', tagObject: OBJECT_A }]);

    // A redelivery is the same job; it is not verified again.
    const again = await postHook(h, tagPushBody({ after: OBJECT_A }), 'delivery-1');
    expect(await again.json()).toEqual({ id, created: false });

    // Listing, with filters.
    const list = async (q: string) => {
      const r = await fetch(`${h.url}/api/v1/verifications${q}`, { headers: apiHeaders });
      return { status: r.status, body: (await r.json()) as { verifications: Job[]; reason?: string } };
    };
    expect((await list('?verdict=reproduced&source=webhook&version=1.0-1')).body.verifications.map((j) => j.id)).toEqual([id]);
    expect((await list('?verdict=mismatch')).body.verifications).toEqual([]);
    expect((await list('?source=api')).body.verifications).toEqual([]);
    expect(
      (await list(`?since=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}&limit=5`)).body.verifications,
    ).toHaveLength(1);
    expect((await list(`?until=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}`)).body.verifications).toHaveLength(0);
    expect((await list('?offset=1')).body.verifications).toHaveLength(0);
    const bad = await list('?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.reason).toMatch(/^limit: /);
    expect((await list('?verdict=great')).status).toBe(400);
    expect((await list('?colour=red')).status).toBe(400);
    expect((await fetch(`${h.url}/api/v1/verifications`)).status).toBe(401);
    expect(
      (await fetch(`${h.url}/api/v1/verifications/${id}`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status,
    ).toBe(401);
    expect((await fetch(`${h.url}/api/v1/verifications/999999`, { headers: apiHeaders })).status).toBe(404);
    expect((await fetch(`${h.url}/api/v1/verifications/x'1`, { headers: apiHeaders })).status).toBe(404);

    // Health and metrics.
    const health = await fetch(`${h.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', queue: { ready: 0, delayed: 0, running: 0 } });
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toContain('t2u_verify_verifications_total{verdict="reproduced"} 1');
    expect(metrics).toContain('t2u_verify_verification_duration_seconds_count 1');
    expect(metrics).toContain('t2u_verify_queue_depth{state="ready"} 0');
    expect(metrics).toContain('t2u_verify_intake_requests_total{route="/hooks/gitlab",status="202"} 2');
    expect(metrics).toContain('t2u_verify_store_up 1');

    // Every log line of the job names the job and the tag; those after the verdict name it too.
    const jobLines = capture.lines.filter((l) => l['job'] === id);
    expect(jobLines.map((l) => l['msg'])).toEqual(expect.arrayContaining(['verification started', 'verification done']));
    for (const l of jobLines) expect(l).toMatchObject({ tag: 'debian/1.0-1' });
    expect(jobLines.find((l) => l['msg'] === 'verification done')).toMatchObject({ verdict: 'reproduced' });
  });

  it('alerts on a mismatch through a failing receiver, with retries', async () => {
    const receiver = await startAlertReceiver([503, 500]);
    try {
      const h = await start({
        config: { alerts: { urls: [receiver.url], retries: 3, backoffMs: 20, timeoutMs: 2_000 } },
        verifyJob: (req) => Promise.resolve(verifyReport(req, ['RECONSTRUCTION_MISMATCH'])),
      });
      const { id } = (await (await postHook(h, tagPushBody({ after: OBJECT_A }))).json()) as { id: string };
      await waitFor(() => (receiver.received.length >= 3 ? true : undefined), 'the alert to be delivered');
      expect(receiver.received.map((r) => r.status)).toEqual([503, 500, 200]);
      for (const r of receiver.received) {
        expect(r.headers['t2u-verify-job']).toBe(id);
        expect(r.headers['t2u-verify-event']).toBe('mismatch');
        expect(r.headers['idempotency-key']).toBe(`t2u-verify-job-${id}-mismatch`);
        expect(r.body).toMatchObject({ verdict: 'mismatch', reasons: [{ code: 'RECONSTRUCTION_MISMATCH' }] });
      }
      expect((await getJob(h, id)).verdict).toBe('mismatch');
      await waitFor(
        async () =>
          (await (await fetch(`${h.url}/metrics`)).text()).includes('t2u_verify_alerts_total{outcome="delivered"} 1') ? true : undefined,
        'the delivery to be counted',
      );
      // Nothing more is sent once delivered.
      await new Promise((r) => setTimeout(r, 100));
      expect(receiver.received).toHaveLength(3);
    } finally {
      await receiver.close();
    }
  });

  it('an archive upload still unverifiable after its retries raises an unverifiable alert, counted in the metrics and on the dashboard', async () => {
    const receiver = await startAlertReceiver();
    try {
      const attempts = new Map<string, number>();
      const h = await start({
        config: { maxAttempts: 2, alerts: { urls: [receiver.url], retries: 0, backoffMs: 0 } },
        verifyJob: (req) => {
          attempts.set(req.tag, (attempts.get(req.tag) ?? 0) + 1);
          // One that throws on every attempt, the others transient failures.
          if (req.tag === 'debian/3.0-1') return Promise.reject(new Error('the verification crashed'));
          return Promise.resolve(verifyReport(req, ['UPLOAD_FETCH_FAILED']));
        },
      });
      const repo = 'https://git.dgit.debian.org/hello';
      const upload = 'https://deb.debian.org/debian/pool/main/h/hello/hello_2.0-1.dsc';
      // As the archive watcher queues them, and the same failure for a job that names no archive upload.
      const archive = await h.store.enqueue({ repo, tag: 'debian/2.0-1', tagObject: OBJECT_A, upload, intake: 'archive' });
      const crashing = await h.store.enqueue({ repo, tag: 'debian/3.0-1', tagObject: OBJECT_B, upload, intake: 'archive' });
      const api = (await (await postHook(h, tagPushBody({ after: 'c'.repeat(40) }))).json()) as { id: string };
      h.worker.wake();
      for (const id of [archive.id, crashing.id, api.id]) {
        await doneJob(h, id, `job ${id}`);
        expect((await getJob(h, id)).verdict).toBe('unverifiable');
      }
      expect([...attempts.values()]).toEqual([2, 2, 2]);
      await waitFor(() => (receiver.received.length >= 2 ? true : undefined), 'the unverifiable alerts');
      await new Promise((r) => setTimeout(r, 100));
      expect(receiver.received.map((r) => [r.headers['t2u-verify-job'], r.headers['t2u-verify-event']]).sort()).toEqual(
        [
          [archive.id, 'unverifiable'],
          [crashing.id, 'unverifiable'],
        ].sort(),
      );
      const fromArchive = receiver.received.find((r) => r.headers['t2u-verify-job'] === archive.id)!;
      expect(fromArchive.body).toMatchObject({ verdict: 'unverifiable', reasons: [{ code: 'UPLOAD_FETCH_FAILED' }] });
      const crashed = receiver.received.find((r) => r.headers['t2u-verify-job'] === crashing.id)!;
      expect(crashed.body).toMatchObject({
        verdict: 'unverifiable',
        error: expect.stringContaining('the verification crashed') as unknown,
      });

      const metrics = await (await fetch(`${h.url}/metrics`)).text();
      expect(metrics).toContain('t2u_verify_unverifiable_archive_uploads 2\n');
      expect(metrics).toContain('t2u_verify_alerts_raised_total{event="unverifiable"} 2\n');
      const page = await (await fetch(`${h.url}/`)).text();
      expect(page).toMatch(
        /<p class="notice" id="unverifiable-archive"><a href="\/\?verdict=unverifiable&amp;source=archive">2 archive uploads are unverifiable<\/a>/,
      );
    } finally {
      await receiver.close();
    }
  });

  it('records tags in the ledger: a moved tag is noted in the report and raises an alarm alert', async () => {
    const receiver = await startAlertReceiver();
    try {
      const h = await start({
        config: { alerts: { urls: [receiver.url], retries: 0, backoffMs: 0 } },
        verifyJob: (req) => Promise.resolve(verifyReport(req)),
      });
      const first = (await (await postHook(h, tagPushBody({ after: OBJECT_A }))).json()) as { id: string };
      await doneJob(h, first.id, 'the first job');
      expect(receiver.received).toHaveLength(0);
      // The same tag name, now another tag object (the tag was moved or re-made).
      const second = (await (await postHook(h, tagPushBody({ after: OBJECT_B }))).json()) as { id: string };
      const done = await doneJob(h, second.id, 'the second job');
      expect(done.verdict).toBe('reproduced');
      expect(done.report).toMatchObject({
        notes: [{ code: 'TAG_MOVED' }],
        alarms: [{ code: 'TAG_MOVED', previous: { tagObject: OBJECT_A } }],
      });
      await waitFor(() => (receiver.received.length > 0 ? true : undefined), 'the alarm alert');
      expect(receiver.received[0]!.headers['t2u-verify-event']).toBe('alarm');
      expect(receiver.received[0]!.body).toMatchObject({ notes: [{ code: 'TAG_MOVED' }] });
    } finally {
      await receiver.close();
    }
  });

  it('records upstream trees in the ledger: the same upstream= commit with another tree is rejected (UPSTREAM_TREE_CHANGED)', async () => {
    const upstreamCommit = 'c'.repeat(40);
    const treeOf: Record<string, string> = { 'debian/1.0-1': 'd'.repeat(40), 'debian/1.0-2': 'e'.repeat(40) };
    const h = await start({
      verifyJob: (req) => {
        const r = verifyReport(req);
        return Promise.resolve({ ...r, source: { ...r.source, upstreamCommit, upstreamTree: treeOf[req.tag]! } });
      },
    });
    const first = (await (await postHook(h, tagPushBody({ after: OBJECT_A }))).json()) as { id: string };
    const one = await doneJob(h, first.id, 'the first job');
    expect(one.verdict).toBe('reproduced');
    const second = (await (await postHook(h, tagPushBody({ ref: 'refs/tags/debian/1.0-2', after: OBJECT_B }))).json()) as { id: string };
    const done = await doneJob(h, second.id, 'the second job');
    expect(done.verdict).toBe('rejected');
    expect(done.report).toMatchObject({
      reasons: [{ code: 'UPSTREAM_TREE_CHANGED' }],
      alarms: [{ code: 'UPSTREAM_TREE_CHANGED', previous: { upstreamCommit, upstreamTree: treeOf['debian/1.0-1'] } }],
    });
  });

  it('retries a transient unverifiable outcome and keeps a permanent one', async () => {
    const attempts = new Map<string, number>();
    const h = await start({
      verifyJob: (req) => {
        const n = (attempts.get(req.tag) ?? 0) + 1;
        attempts.set(req.tag, n);
        if (req.tag === 'debian/1.0-1') return Promise.resolve(verifyReport(req, n === 1 ? ['FETCH_FAILED'] : []));
        return Promise.resolve(verifyReport(req, ['UNSUPPORTED_OBJECT_FORMAT', 'FETCH_TIMEOUT']));
      },
    });
    const a = (await (await postHook(h, tagPushBody({ after: OBJECT_A }))).json()) as { id: string };
    const b = (await (await postHook(h, tagPushBody({ ref: 'refs/tags/debian/2.0-1', after: OBJECT_B }))).json()) as { id: string };
    const ja = await doneJob(h, a.id, 'job a');
    const jb = await doneJob(h, b.id, 'job b');
    expect(ja).toMatchObject({ verdict: 'reproduced', attempts: 2 });
    expect(jb).toMatchObject({ verdict: 'unverifiable', attempts: 1 });
    expect(jb.report?.reasons.map((r) => r.code)).toEqual(['UNSUPPORTED_OBJECT_FORMAT', 'FETCH_TIMEOUT']);
  });

  it('on shutdown, hands a long job back; another worker finishes it, and only its verdict is recorded', async () => {
    let sawAbort = false;
    let resolveLate: ((r: VerifyReport) => void) | undefined;
    let started: (() => void) | undefined;
    const running = new Promise<void>((r) => (started = r));
    const first = await start({
      workerId: 'first',
      abortWaitMs: 100,
      // A verification that notices the abort but does not stop (the worst case): the job must be handed back anyway.
      verifyJob: (req, { signal }) =>
        new Promise<VerifyReport>((resolve) => {
          signal.addEventListener('abort', () => (sawAbort = true));
          resolveLate = () => resolve(verifyReport(req, ['RECONSTRUCTION_MISMATCH']));
          started?.();
        }),
    });
    const { id } = (await (await postHook(first, tagPushBody({ after: OBJECT_A }))).json()) as { id: string };
    await running;
    expect((await first.store.get(id))?.status).toBe('running');

    const secondCalls: string[] = [];
    const second = await start({
      mode: 'worker',
      workerId: 'second',
      verifyJob: async (req) => {
        secondCalls.push(req.tag);
        await new Promise((r) => setTimeout(r, 300));
        return verifyReport(req, [], { timings: { second: 1 } });
      },
    });
    // A worker listens on no port unless told to: it never contends for serve's.
    expect(second.url).toBeUndefined();
    // The second worker cannot take a job under a live lease.
    await new Promise((r) => setTimeout(r, 150));
    expect(secondCalls).toEqual([]);

    await first.stop();
    expect(sawAbort).toBe(true);
    // Handed back at once (not left for its lease to expire): queued again, or already taken by the second worker.
    const handedBack = await second.store.get(id);
    expect(handedBack?.lastError ?? '').toMatch(/^aborted: shutdown/);
    expect(handedBack?.status === 'queued' || handedBack?.leaseOwner === 'second').toBe(true);
    const done = await waitFor(async () => {
      const j = await second.store.get(id);
      return j?.status === 'done' ? j : undefined;
    }, 'the second worker to finish the job');
    // The first worker's attempt was handed back uncounted.
    expect(done).toMatchObject({ verdict: 'reproduced', attempts: 1, report: { timings: { second: 1 } } });
    expect(done.lastError).toBeNull();
    expect(secondCalls).toEqual(['debian/1.0-1']);

    // The first verification's late result changes nothing.
    resolveLate?.(verifyReport({ repo: 'x', tag: 'debian/1.0-1' }));
    await new Promise((r) => setTimeout(r, 50));
    expect(await second.store.get(id)).toMatchObject({ verdict: 'reproduced', report: { timings: { second: 1 } } });
    expect(await second.store.list({})).toHaveLength(1);
  });
});
