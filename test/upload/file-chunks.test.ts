import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { FILE_CHUNK_BYTES, fileChunks } from '../../src/upload/file-chunks.js';

const dir = mkdtempSync(join(tmpdir(), 't2u-file-chunks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fileChunks', () => {
  it("reads a file's bytes in order through one reused buffer", async () => {
    const bytes = randomBytes(2 * FILE_CHUNK_BYTES + 12345);
    const path = join(dir, 'f');
    writeFileSync(path, bytes);
    const copies: Buffer[] = [];
    const memory = new Set<ArrayBufferLike>();
    for await (const chunk of fileChunks(path)) {
      copies.push(Buffer.from(chunk));
      memory.add(chunk.buffer);
    }
    expect(Buffer.concat(copies).equals(bytes)).toBe(true);
    expect(copies.map((c) => c.length)).toEqual([FILE_CHUNK_BYTES, FILE_CHUNK_BYTES, 12345]);
    expect(memory.size).toBe(1);
  });

  it('an empty file gives no chunk; a missing one an error', async () => {
    writeFileSync(join(dir, 'empty'), '');
    const chunks: Uint8Array[] = [];
    for await (const c of fileChunks(join(dir, 'empty'))) chunks.push(c);
    expect(chunks).toEqual([]);
    await expect(fileChunks(join(dir, 'missing')).next()).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
