// When the second toolchain may start beside dgit's build: only for uploads
// that unpack small, as their own headers say (a few MiB of xz can unpack to
// a GiB, and the two compressors would then run at once).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SECOND_TOOLCHAIN_EARLY_BELOW_BYTES, secondToolchainEarly } from '../../src/pipeline/verify.js';
import { unpackedEstimate } from '../../src/tarball/unpacked-size.js';

/** As verify decides it: the upload's files (a .dsc of 800 bytes beside them) and what their headers say they unpack to. */
async function early(files: readonly { path: string; size: number }[]): Promise<boolean> {
  return secondToolchainEarly(
    files.reduce((n, f) => n + f.size, 800),
    await unpackedEstimate(files.map((f) => f.path)),
  );
}

const dir = mkdtempSync(join(tmpdir(), 't2u-second-early-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `bytes` of repeated text, xz-compressed by xz itself: a file of a few KiB. */
function xzOf(name: string, bytes: number): { path: string; size: number } {
  const path = join(dir, name);
  writeFileSync(path, execFileSync('xz', ['-c', '-T1'], { input: Buffer.alloc(bytes, 'deb source line\n'), maxBuffer: 64 << 20 }));
  return { path, size: statSync(path).size };
}

describe('secondToolchainEarly', () => {
  it('starts early for an upload that unpacks small', async () => {
    const f = xzOf('small.tar.xz', 1 << 20);
    expect(await early([f])).toBe(true);
  });

  it('waits for an upload whose few compressed KiB unpack past the bound', async () => {
    const f = xzOf('large.tar.xz', SECOND_TOOLCHAIN_EARLY_BELOW_BYTES + (1 << 20));
    expect(f.size).toBeLessThan(1 << 20);
    expect(await early([f])).toBe(false);
  });

  it('waits when a file does not say what it unpacks to', async () => {
    const path = join(dir, 'x.tar.bz2');
    writeFileSync(path, execFileSync('bzip2', ['-c'], { input: Buffer.from('small\n') }));
    expect(await early([{ path, size: statSync(path).size }])).toBe(false);
  });
});
