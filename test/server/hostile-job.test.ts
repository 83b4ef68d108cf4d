// The service keeps answering while a job chews on a hostile tag. A real git
// repository, served over loopback smart HTTP, holds a tag whose signature
// block carries a line of several hundred kilobytes of white space (the input
// that made a trailing-white-space regular expression take minutes); the real
// service, with the real verification in its job process, is asked to verify
// it, and /healthz is asked every 20 ms until the job has a verdict. On the
// service's own event loop this froze every answer for the whole job.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../src/report/report.js';
import { isolatedVerifyJob, type IsolatedVerifyJob } from '../../src/server/queue/job-process.js';
import type { ServiceHandle } from '../../src/server/service.js';
import type { Job } from '../../src/store/store.js';
import type { GitHttpServer } from '../helpers/git-http-server.js';
import { readableTempDir } from '../helpers/upload-served.js';
import { apiHeaders, startTestService, testConfig } from './service-helpers.js';
import { hostileJobConfig, serveHostileTag } from './hostile-tag.js';

/** Generous: a frozen loop misses it by minutes; a free one answers in milliseconds. */
const HEALTH_P99_BOUND_MS = 1_000;
const JOB_TIME_LIMIT_MS = 20_000;

let root: string;
let git: GitHttpServer;
let service: ServiceHandle;
let verifyJob: IsolatedVerifyJob;
let tag: string;

beforeAll(async () => {
  root = readableTempDir('t2u-hostile-job-');
  ({ git, tag } = await serveHostileTag(root, 400 * 1024));
  const options = {
    dataDir: join(root, 'data'),
    config: { ...hostileJobConfig(60_000), jobLimits: { timeMs: JOB_TIME_LIMIT_MS } },
  };
  verifyJob = isolatedVerifyJob({ config: testConfig(options) });
  service = await startTestService({ ...options, verifyJob });
}, 60_000);

afterAll(async () => {
  await service?.stop();
  await verifyJob?.close();
  await git?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

describe('a hostile tag in the queue', () => {
  it(
    '/healthz keeps answering while the job runs, and the job ends with a verdict and a reason',
    async () => {
      const res = await fetch(`${service.url}/api/v1/verifications`, {
        method: 'POST',
        headers: { ...apiHeaders, 'content-type': 'application/json' },
        body: JSON.stringify({ repo: `${git.url}/hostile.git`, tag, upload: `${git.url}/none/x_1.0-1.dsc` }),
      });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };

      const latencies: number[] = [];
      let job: Job | undefined;
      const started = Date.now();
      // At least 3 s of checks, so a job that ends quickly still shows the loop was free meanwhile.
      while (job?.status !== 'done' || Date.now() - started < 3_000) {
        const t0 = performance.now();
        const health = await fetch(`${service.url}/healthz`, { signal: AbortSignal.timeout(30_000) });
        latencies.push(performance.now() - t0);
        expect(health.status).toBe(200);
        await health.arrayBuffer();
        if (job?.status !== 'done') job = await service.store.get(id);
        expect(Date.now() - started).toBeLessThan(JOB_TIME_LIMIT_MS + 60_000);
        await new Promise((r) => setTimeout(r, 20));
      }
      latencies.sort((a, b) => a - b);
      const p99 = quantile(latencies, 0.99);
      expect(p99, `p99 of ${latencies.length} health checks`).toBeLessThan(HEALTH_P99_BOUND_MS);
      // Whatever the parsers make of it (a time limit, or a rejection once they are fast), the job has a verdict and a reason.
      const report = (await service.store.get(id))!.report as VerifyReport;
      expect(['rejected', 'unverifiable']).toContain(report.verdict);
      expect(report.reasons.length).toBeGreaterThan(0);
    },
    JOB_TIME_LIMIT_MS + 120_000,
  );
});
