// Cached keyring layouts: a keyring loaded through its layout is indexed
// exactly as one framed from scratch; the layout file is the user's own
// (0600 in a 0700 directory), one that others could write is ignored, one
// that does not match its keyring is recomputed and rewritten, and a layout
// can at most leave keys out: every key packet it names is checked.
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyringIndex, loadKeyrings, type IndexedKey } from '../../../src/authenticate/openpgp/keyring-index.js';
import { LAYOUT_FORMAT } from '../../../src/authenticate/openpgp/keyring-cache.js';
import { KEYS_DIR, UPLOADERS } from '../gpg-harness.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 't2u-keyring-cache-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What a verification relies on of an index: each key's identity, role, order and bytes. */
const shape = (index: KeyringIndex) =>
  index.keys.map((k: IndexedKey) => ({
    fpr: k.primaryFingerprint,
    id: k.primaryKeyId,
    subkeys: k.subkeys,
    role: k.role,
    keyring: k.keyring,
    packets: Buffer.from(k.packets).toString('base64'),
  }));

/** A copy of the fixture uploader keyring, its layout directory, and a load through the cache. */
function setup(name: string): { dir: string; ring: string; load: () => Promise<KeyringIndex> } {
  const dir = join(work, `${name}-layouts`);
  const ring = join(work, `${name}.gpg`);
  copyFileSync(UPLOADERS, ring);
  return { dir, ring, load: () => loadKeyrings([{ path: ring, role: 'uploader' }], { cacheDir: dir, minCachedBytes: 0 }) };
}

const layoutFile = (dir: string): string =>
  join(
    dir,
    readdirSync(dir).find((f) => f.endsWith('.json'))!,
  );

describe("keyring layouts cached under the keyring's sha256", () => {
  it('writes the layout (0600, directory 0700) and loads the same index from it', async () => {
    const { dir, ring, load } = setup('same');
    const framed = new KeyringIndex();
    framed.addKeyring(readFileSync(ring), { path: ring, role: 'uploader' });
    const first = await load();
    expect(shape(first)).toEqual(shape(framed));
    const file = layoutFile(dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const layout = JSON.parse(readFileSync(file, 'utf8')) as { format: string; keys: unknown[] };
    expect(layout.format).toBe(LAYOUT_FORMAT);
    expect(layout.keys.length).toBe(framed.keys.length);
    const second = await load();
    expect(shape(second)).toEqual(shape(framed));
  });

  it('uses a layout of ours, which can only leave keys out; ignores one that others can write', async () => {
    const { dir, load } = setup('omit');
    const all = await load();
    const file = layoutFile(dir);
    const layout = JSON.parse(readFileSync(file, 'utf8')) as { keys: unknown[] };
    // A layout without the last key: the key before it runs to the end of the file.
    writeFileSync(file, JSON.stringify({ ...layout, keys: layout.keys.slice(0, -1) }), { mode: 0o600 });
    const fewer = await load();
    expect(fewer.keys.length).toBe(all.keys.length - 1);
    expect(fewer.findByFingerprint(all.keys.at(-1)!.primaryFingerprint)).toEqual([]);
    chmodSync(file, 0o666);
    expect((await load()).keys.length).toBe(all.keys.length);
  });

  it('recomputes and rewrites a layout that does not match the keyring', async () => {
    const { dir, load } = setup('mismatch');
    const all = shape(await load());
    const file = layoutFile(dir);
    const good = readFileSync(file, 'utf8');
    const layout = JSON.parse(good) as { keys: [number, string, unknown[]][] };
    // The second key's fingerprint claimed for the first key's packets.
    layout.keys[0]![1] = layout.keys[1]![1];
    writeFileSync(file, JSON.stringify(layout), { mode: 0o600 });
    expect(shape(await load())).toEqual(all);
    expect(readFileSync(file, 'utf8')).toBe(good);
    // Offsets that are not packet starts, and a file that is not JSON.
    writeFileSync(file, JSON.stringify({ ...layout, keys: [[0, layout.keys[1]![1], [[3, layout.keys[1]![1]]]]] }), { mode: 0o600 });
    expect(shape(await load())).toEqual(all);
    writeFileSync(file, '{"format":', { mode: 0o600 });
    expect(shape(await load())).toEqual(all);
    expect(readFileSync(file, 'utf8')).toBe(good);
  });

  it('caches no layout for an armored keyring, nor for a small one by default', async () => {
    const dir = join(work, 'armored-layouts');
    const armored = join(work, 'armored.asc');
    copyFileSync(join(KEYS_DIR, 'rsa3072.pub.asc'), armored);
    expect((await loadKeyrings([{ path: armored, role: 'uploader' }], { cacheDir: dir, minCachedBytes: 0 })).keys.length).toBe(1);
    expect((await loadKeyrings([{ path: UPLOADERS, role: 'uploader' }], { cacheDir: dir })).keys.length).toBeGreaterThan(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("parsing a key checks that its packets are the indexed fingerprint's", async () => {
    const index = await loadKeyrings([{ path: UPLOADERS, role: 'uploader' }]);
    const [a, b] = index.keys;
    await expect(index.parse(a!)).resolves.toBeDefined();
    await expect(index.parse({ ...a!, primaryFingerprint: b!.primaryFingerprint })).rejects.toThrow(/not those of/);
  });
});
