// The output of sandboxed commands reaches the sink of the work that started
// them (an attempt's log), and only that work's: two runs at once each get
// their own; stdout (data) is not written; outside a sink nothing is.
import { afterAll, describe, expect, it } from 'vitest';
import { runSandboxed } from '../../src/sandbox/launcher.js';
import { tapOutput, withSandboxOutput } from '../../src/sandbox/output-tap.js';
import { disposeStaged } from '../../src/sandbox/staging.js';

afterAll(async () => {
  await disposeStaged();
});

const host = { kind: 'host' } as const;
const shell = (script: string) => runSandboxed({ argv: ['sh', '-c', script], rootfs: host, timeoutMs: 30_000 });

describe('withSandboxOutput', () => {
  it("writes each command's line, stderr and end to the sink of the work that ran it", async () => {
    const a: string[] = [];
    const b: string[] = [];
    await Promise.all([
      withSandboxOutput(
        (t) => a.push(t),
        async () => {
          const r = await shell('echo data-on-stdout; echo warning-a >&2; exit 3');
          expect(r.stdout.toString()).toBe('data-on-stdout\n');
          tapOutput('a line of its own\n');
        },
      ),
      withSandboxOutput(
        (t) => b.push(t),
        () => shell('printf no-newline-b >&2'),
      ),
    ]);
    expect(a.join('')).toMatch(
      /^\$ sh -c echo data-on-stdout; echo warning-a >&2; exit 3\nwarning-a\n\[exit status 3, [0-9.]+ s\]\na line of its own\n$/,
    );
    expect(b.join('')).toMatch(/^\$ sh -c printf no-newline-b >&2\nno-newline-b\n\[exit status 0, [0-9.]+ s\]\n$/);
  });

  it('writes nothing outside such work', async () => {
    const seen: string[] = [];
    await withSandboxOutput(
      (t) => seen.push(t),
      () => Promise.resolve(),
    );
    await shell('echo unheard >&2');
    tapOutput('unheard\n');
    expect(seen).toEqual([]);
  });
});
