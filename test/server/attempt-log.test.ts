// An attempt's log within its cap: kept whole below it; above it, the head and
// the tail with a line that says what was dropped; memory bounded meanwhile.
import { describe, expect, it } from 'vitest';
import { AttemptLogBuffer } from '../../src/server/queue/attempt-log.js';
import { MAX_ATTEMPT_LOG_BYTES } from '../../src/store/store.js';

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
    const m = /\[t2u-verify: log truncated: (\d+) bytes dropped here, of (\d+) written; kept are the first (\d+) and the last (\d+)\]/.exec(text);
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
