// Each verification in its own process (src/server/queue/job-process.ts): a job
// past its heap, its resident memory or its time ends `unverifiable` with its
// reason code while the service's event loop stays free; a child that dies is
// JOB_PROCESS_FAILED; an aborted job that does not stop is killed; a child
// that answered serves the next job. The child here misbehaves on request
// (test/server/fixtures/job-child-limits.ts); the service-level test with a
// real hostile tag is test/server/hostile-job.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isolatedVerifyJob, type IsolatedVerifyJob } from '../../src/server/queue/job-process.js';
import { LogCapture, testConfig } from './service-helpers.js';
import { withTimerLag } from '../helpers/event-loop-lag.js';

const ENTRY = new URL('./fixtures/job-child-limits.ts', import.meta.url);
const dataDir = mkdtempSync(join(tmpdir(), 't2u-job-process-'));
const jobs: IsolatedVerifyJob[] = [];
afterAll(async () => {
  await Promise.all(jobs.map((j) => j.close()));
  rmSync(dataDir, { recursive: true, force: true });
});

function make(jobLimits: Record<string, number>, killGraceMs = 5_000): IsolatedVerifyJob {
  const job = isolatedVerifyJob({ config: testConfig({ dataDir, config: { jobLimits } }), entry: ENTRY, killGraceMs });
  jobs.push(job);
  return job;
}

/** Runs one job while measuring how late a 10 ms timer on this event loop fires. */
async function run(job: IsolatedVerifyJob, tag: string, signal = new AbortController().signal, capture = new LogCapture()) {
  const printed: string[] = [];
  const { value: report, worstLagMs } = await withTimerLag(10, () =>
    job({ repo: 'https://salsa.debian.org/x/y.git', tag }, { signal, log: capture.logger, output: (t) => printed.push(t) }),
  );
  return { report, worstLagMs, codes: report.reasons.map((r) => r.code), log: capture.lines, printed };
}

describe('a verification in its own process', () => {
  it('answers, forwards its log lines, and the next job reuses the process', async () => {
    const job = make({ heapMb: 256, rssMb: 1024, timeMs: 30_000 });
    const first = await run(job, 'ok');
    const second = await run(job, 'ok');
    expect(first.codes).toEqual(['UPLOAD_NOT_FOUND']);
    expect(second.report.reasons[0]!.message).toBe(first.report.reasons[0]!.message);
    expect(first.report.reasons[0]!.message).not.toBe(`pid ${process.pid}`);
    expect(first.log.some((l) => l['msg'] === 'job started' && l['tag'] === 'ok')).toBe(true);
    // What the job printed reaches its own attempt's log, and nothing of another job's.
    expect(first.printed).toEqual(['printed by ok\n']);
    expect(second.printed).toEqual(['printed by ok\n']);
  }, 60_000);

  it('a job that never returns to its event loop ends with JOB_TIME_LIMIT; this loop keeps running', async () => {
    const job = make({ heapMb: 256, rssMb: 1024, timeMs: 1_500 });
    const started = Date.now();
    const r = await run(job, 'spin');
    expect(r.report.verdict).toBe('unverifiable');
    expect(r.codes).toEqual(['JOB_TIME_LIMIT']);
    expect(r.printed.join('')).toMatch(/^\[t2u-verify\] JOB_TIME_LIMIT: the verification ran for more than 1500 ms/);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.worstLagMs).toBeLessThan(1_000);
    // The killed process is replaced for the next job.
    expect((await run(job, 'ok')).codes).toEqual(['UPLOAD_NOT_FOUND']);
  }, 60_000);

  it.each([
    [
      'a job past its heap ends with JOB_MEMORY_LIMIT',
      { heapMb: 64, rssMb: 4096, timeMs: 60_000 },
      'heap',
      'JOB_MEMORY_LIMIT',
      /64 MiB heap/,
    ],
    [
      'a job past its resident memory (outside the heap) ends with JOB_MEMORY_LIMIT',
      { heapMb: 256, rssMb: 400, timeMs: 60_000 },
      'buffers',
      'JOB_MEMORY_LIMIT',
      /more than its 400 MiB/,
    ],
    [
      'a process that ends without a report is JOB_PROCESS_FAILED',
      { heapMb: 256, rssMb: 1024, timeMs: 30_000 },
      'exit',
      'JOB_PROCESS_FAILED',
      /exit status 7/,
    ],
  ])(
    '%s',
    async (_name, limits, tag, code, message) => {
      const r = await run(make(limits), tag);
      expect(r.codes).toEqual([code]);
      expect(r.report.reasons[0]!.message).toMatch(message);
    },
    90_000,
  );

  it('an aborted job that does not stop is killed after the grace period, and the abort is the answer', async () => {
    const job = make({ heapMb: 256, rssMb: 1024, timeMs: 60_000 }, 300);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('verification aborted: shutdown')), 1_000);
    const started = Date.now();
    await expect(run(job, 'spin', controller.signal)).rejects.toThrow('verification aborted: shutdown');
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);
});
