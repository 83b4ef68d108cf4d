// A flood of webhooks over loopback into the SQLite store: 5,000 concurrent
// requests for 2,000 distinct tag pushes, with redeliveries (same delivery
// id) and second hooks (new delivery id, same tag object) mixed in and racing
// their originals. Every distinct push must be persisted exactly once, every
// request must get the id of that one job, and nothing may be lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ServiceHandle } from '../../src/server/service.js';
import { tagPushBody } from './intake-helpers.js';
import { postHook, startTestService, verifyReport } from './service-helpers.js';

const DISTINCT = 2_000;
const TOTAL = 5_000;
const CONCURRENCY = 64;

let dir: string;
let service: ServiceHandle;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 't2u-flood-'));
  // No workers: the test is about the intake and the store; jobs stay queued.
  service = await startTestService({ dataDir: dir, workers: 0, verifyJob: (req) => Promise.resolve(verifyReport(req)) });
});
afterAll(async () => {
  await service.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('persists every distinct push of a concurrent flood with duplicates exactly once', async () => {
  const url = new URL(service.url!);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  // Request i is push i % DISTINCT; the copies alternate between a redelivery (same
  // X-Gitlab-Event-UUID) and a second hook (another UUID, same tag object).
  const requests = Array.from({ length: TOTAL }, (_, i) => {
    const push = i % DISTINCT;
    const copy = Math.floor(i / DISTINCT);
    const uuid = copy === 1 ? `delivery-${push}-b` : `delivery-${push}`;
    const body = tagPushBody({ ref: `refs/tags/debian/1.${push}-1`, after: (push + 1).toString(16).padStart(40, 'c') });
    return { push, uuid, body };
  });
  // Shuffled (deterministically), so that copies race their originals.
  for (let i = requests.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [requests[i], requests[j]] = [requests[j]!, requests[i]!];
  }
  const post = async (r: (typeof requests)[number]): Promise<{ status: number; id?: string; created?: boolean }> => {
    const res = await postHook(url, agent, Buffer.from(r.body), r.uuid);
    return { status: res.status, ...(JSON.parse(res.body.toString()) as { id?: string; created?: boolean }) };
  };

  const results: { push: number; status: number; id?: string; created?: boolean }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) {
        const r = requests[next++]!;
        results.push({ push: r.push, ...(await post(r)) });
      }
    }),
  );
  agent.destroy();

  expect(results).toHaveLength(TOTAL);
  expect(results.filter((r) => r.status !== 202)).toEqual([]);
  const idByPush = new Map<number, string>();
  for (const r of results) {
    const known = idByPush.get(r.push);
    if (known === undefined) idByPush.set(r.push, r.id!);
    else expect(r.id).toBe(known);
  }
  expect(idByPush.size).toBe(DISTINCT);
  expect(results.filter((r) => r.created === true)).toHaveLength(DISTINCT);

  // In the database: exactly the distinct pushes, each once.
  const jobs = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await service.store.list({ limit: 1000, offset });
    jobs.push(...page);
    if (page.length < 1000) break;
  }
  expect(jobs).toHaveLength(DISTINCT);
  expect(new Set(jobs.map((j) => j.tag)).size).toBe(DISTINCT);
  expect(new Set(jobs.map((j) => j.id))).toEqual(new Set(idByPush.values()));
  expect(await service.store.depth()).toEqual({ ready: DISTINCT, delayed: 0, running: 0 });
});
