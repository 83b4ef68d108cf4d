// An attempt's log within its cap: kept whole below it; above it, the head and
// the tail with a line that says what was dropped; memory bounded meanwhile.
// And the worker keeps one per attempt, with how the attempt began and ended.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AttemptLogBuffer } from '../../src/server/queue/attempt-log.js';
import { MAX_ATTEMPT_LOG_BYTES } from '../../src/store/store.js';
import { startTestService, verifyReport, waitFor } from './service-helpers.js';

describe('AttemptLogBuffer', () => {
  it('keeps a log below the cap as it was written', () => {
    const log = new AttemptLogBuffer(1000, 100);
    log.append('one\n');
    log.append('');
    log.append('twö\n');
    expect(log.finish()).toEqual({ text: 'one\ntwö\n', truncated: false });
  });

  it('keeps the head and the tail of a longer log, and says how much was dropped between', () => {
    const log = new AttemptLogBuffer(1000, 100);
    for (let i = 0; i < 200; i++) log.append(`line ${String(i).padStart(3, '0')}\n`);
    const { text, truncated } = log.finish();
    expect(truncated).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1000);
    expect(text.startsWith('line 000\nline 001\n')).toBe(true);
    expect(text.endsWith('line 198\nline 199\n')).toBe(true);
    const m = /\[t2u-verify: log truncated: (\d+) bytes dropped here, of (\d+) written; kept are the first (\d+) and the last (\d+)\]/.exec(
      text,
    );
    expect(m).not.toBeNull();
    const [dropped, written, head, tail] = m!.slice(1).map(Number);
    expect(written).toBe(200 * 9);
    expect(head! + tail! + dropped!).toBe(written);
    expect(tail).toBe(100);
  });

  it('stays within 10 MiB by default, whatever is written and in whatever pieces', () => {
    const log = new AttemptLogBuffer();
    const mib = 'x'.repeat(1024 * 1024 - 1) + '\n';
    for (let i = 0; i < 30; i++) log.append(mib);
    log.append('é'.repeat(5 * 1024 * 1024));
    log.append('the end\n');
    const { text, truncated } = log.finish();
    expect(truncated).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_ATTEMPT_LOG_BYTES);
    expect(Buffer.byteLength(text)).toBeGreaterThan(MAX_ATTEMPT_LOG_BYTES - 1024);
    expect(text.endsWith('éthe end\n')).toBe(true);
    expect(log.written).toBe(30 * 1024 * 1024 + 10 * 1024 * 1024 + 8);
  });
});

describe("the worker's attempt logs", () => {
  it('keeps what each attempt printed, with its start and its end, the failed attempt too', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 't2u-attempt-log-'));
    let calls = 0;
    const h = await startTestService({
      dataDir,
      config: { maxAttempts: 3 },
      verifyJob: (req, ctx) => {
        calls++;
        ctx.output?.(`building, try ${calls}\n`);
        if (calls === 1) return Promise.reject(new Error('the builder broke'));
        return Promise.resolve(verifyReport(req, ['RECONSTRUCTION_MISMATCH']));
      },
    });
    try {
      const { id } = await h.store.enqueue({ repo: 'https://salsa.debian.org/x/y.git', tag: 'debian/1-1', intake: 'api' });
      await waitFor(async () => (await h.store.get(id))?.status === 'done', 'the job to be done');
      expect((await h.store.attemptLogs(id)).map((l) => l.attempt)).toEqual([1, 2]);
      const first = (await h.store.getAttemptLog(id, 1))!.text.split('\n');
      expect(first[0]).toMatch(
        new RegExp(`^\\[t2u-verify\\] attempt 1 at job ${id} \\(https://salsa.debian.org/x/y.git debian/1-1\\) by worker `),
      );
      expect(first[1]).toBe('building, try 1');
      expect(first[2]).toMatch(/^\[t2u-verify\] failed: the builder broke, after [0-9.]+ s$/);
      const second = (await h.store.getAttemptLog(id, 2))!.text;
      expect(second).toContain('building, try 2\n');
      expect(second).toMatch(/\[t2u-verify\] verdict mismatch \(RECONSTRUCTION_MISMATCH\), after [0-9.]+ s\n$/);
    } finally {
      await h.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
