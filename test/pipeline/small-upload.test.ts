// Which uploads are small: those whose content check and second toolchain
// run beside dgit's build. Only uploads that unpack small, as their own
// headers say (a few MiB of xz can unpack to a GiB, and the content check's
// unpacking or the second toolchain's compressor would then run beside the
// build's compressor); a large one runs them one after the other.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { smallUpload } from '../../src/pipeline/verify.js';
import { SMALL_INPUT_BELOW_BYTES } from '../../src/sandbox/index.js';
import { unpackedEstimate } from '../../src/tarball/unpacked-size.js';

/** As verify decides it: the upload's files (a .dsc of 800 bytes beside them) and what their headers say they unpack to. */
async function small(files: readonly { path: string; size: number }[], below?: number): Promise<boolean> {
  return smallUpload(
    files.reduce((n, f) => n + f.size, 800),
    await unpackedEstimate(files.map((f) => f.path)),
    below,
  );
}

const dir = mkdtempSync(join(tmpdir(), 't2u-small-upload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `bytes` of repeated text, xz-compressed by xz itself: a file of a few KiB. */
function xzOf(name: string, bytes: number): { path: string; size: number } {
  const path = join(dir, name);
  writeFileSync(path, execFileSync('xz', ['-c', '-T1'], { input: Buffer.alloc(bytes, 'deb source line\n'), maxBuffer: 64 << 20 }));
  return { path, size: statSync(path).size };
}

describe('smallUpload', () => {
  it('an upload that unpacks small is small', async () => {
    const f = xzOf('small.tar.xz', 1 << 20);
    expect(await small([f])).toBe(true);
  });

  it('an upload whose few compressed KiB unpack past the bound is large', async () => {
    const f = xzOf('large.tar.xz', SMALL_INPUT_BELOW_BYTES + (1 << 20));
    expect(f.size).toBeLessThan(1 << 20);
    expect(await small([f])).toBe(false);
  });

  it('an upload whose file does not say what it unpacks to is large', async () => {
    const path = join(dir, 'x.tar.bz2');
    writeFileSync(path, execFileSync('bzip2', ['-c'], { input: Buffer.from('small\n') }));
    expect(await small([{ path, size: statSync(path).size }])).toBe(false);
  });

  it('counts the files with what they unpack to, against the bound given', async () => {
    const f = xzOf('mid.tar.xz', 1 << 20);
    const total = f.size + 800 + (await unpackedEstimate([f.path]));
    expect(await small([f], total + 1)).toBe(true);
    expect(await small([f], total)).toBe(false);
    expect(await small([f], 0)).toBe(false);
  });
});
