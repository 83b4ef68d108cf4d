import { describe, expect, it } from 'vitest';
import { collectYoungGarbage, streamed } from '../../src/sandbox/young-garbage.js';

describe('collectYoungGarbage', () => {
  it("frees dropped chunks' buffers now, not when V8 would get round to it", () => {
    collectYoungGarbage();
    const before = process.memoryUsage().arrayBuffers;
    // 16 MiB of socket-sized chunks, each dropped at once, as a streamed pack's are.
    let sum = 0;
    for (let i = 0; i < 256; i++) sum += Buffer.allocUnsafeSlow(64 * 1024).length;
    expect(sum).toBe(16 * 1024 ** 2);
    const dropped = process.memoryUsage().arrayBuffers - before;
    collectYoungGarbage();
    const after = process.memoryUsage().arrayBuffers - before;
    expect(dropped).toBeGreaterThanOrEqual(8 * 1024 ** 2);
    expect(after).toBeLessThan(1024 ** 2);
  });

  it('streamed() collects once a MiB has passed, so dropped chunks never add up to more', () => {
    collectYoungGarbage();
    const before = process.memoryUsage().arrayBuffers;
    let most = 0;
    for (let i = 0; i < 256; i++) {
      const chunk = Buffer.allocUnsafeSlow(64 * 1024);
      streamed(chunk.length);
      most = Math.max(most, process.memoryUsage().arrayBuffers - before);
    }
    expect(most).toBeLessThan(4 * 1024 ** 2);
  });
});
