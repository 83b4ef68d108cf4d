// Cached keyring layouts and identity records: a keyring loaded through its
// layout, or mapped (its keys read when found) while its file keeps the
// identity recorded with the layout, is indexed exactly as one framed from
// scratch and gives the same signature verdicts; the files are the user's own
// (0600 in a 0700 directory), and one that others could write is ignored; a
// keyring changed in place or replaced is hashed and framed again; a layout
// that does not match its keyring is caught when a key it names is read, and
// the keyring is framed again and the layout rewritten; a file changed just
// before it was read gets no identity record; the cache keeps at most its caps.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyringIndex, loadKeyrings, type KeyringSource } from '../../../src/authenticate/openpgp/keyring-index.js';
import { LAYOUT_FORMAT, MAX_LAYOUTS, MAX_RECORDS, RACY_MS } from '../../../src/authenticate/openpgp/keyring-cache.js';
import { DEFAULT_SIGNATURE_POLICY, verifyTagSignature } from '../../../src/authenticate/openpgp/verify-tag-signature.js';
import { parseTagObject } from '../../../src/gitobj/tag-object.js';
import { defaultCacheDir } from '../../../src/config/load.js';
import { DM_RING, KEYS_DIR, UPLOADERS } from '../gpg-harness.js';

/** Keyring copies made before the tests start, so that they have settled (RACY_MS) when the tests load them. */
const SETTLED = ['same', 'changed', 'mismatch', 'omit', 'shifted', 'garbled', 'parse', 'others', 'caps', 'corpus-uploaders', 'corpus-dm'];

let work: string;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 't2u-keyring-cache-'));
  for (const name of SETTLED) copyFileSync(name === 'corpus-dm' ? DM_RING : UPLOADERS, join(work, `${name}.gpg`));
  await sleep(RACY_MS + 200);
}, RACY_MS + 10_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What a verification relies on of an index: each key's identity, role, order and bytes. */
async function shape(index: KeyringIndex) {
  return Promise.all(
    index.keys.map(async (k) => ({
      fpr: k.primaryFingerprint,
      id: k.primaryKeyId,
      subkeys: k.subkeys,
      role: k.role,
      keyring: k.keyring,
      packets: Buffer.from(await index.packetsOf(k)).toString('base64'),
    })),
  );
}

/** A keyring copy, its cache directory, and a load through the cache. */
function setup(name: string): { dir: string; ring: string; source: KeyringSource; load: () => Promise<KeyringIndex> } {
  const dir = join(work, `${name}-cache`);
  const ring = join(work, `${name}.gpg`);
  const source = { path: ring, role: 'uploader' } as const;
  return { dir, ring, source, load: () => loadKeyrings([source], { cacheDir: dir, minCachedBytes: 0 }) };
}

function framed(ring: string): KeyringIndex {
  const index = new KeyringIndex();
  index.addKeyring(readFileSync(ring), { path: ring, role: 'uploader' });
  return index;
}

const layoutFile = (dir: string): string =>
  join(
    dir,
    readdirSync(dir).find((f) => /^[0-9a-f]{64}\.json$/.test(f))!,
  );
const recordFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.startsWith('file-'));
const loaded = (index: KeyringIndex) => index.keyrings.map((k) => k.loaded);

type LayoutJson = { keys: [number, string, [number, string][]][] };

describe('keyring layouts and identity records', () => {
  it('frames a keyring once and records it; the next load maps it and answers every lookup as a framing does', async () => {
    const { dir, ring, load } = setup('same');
    const whole = framed(ring);
    const first = await load();
    expect(loaded(first)).toEqual(['framed']);
    expect(await shape(first)).toEqual(await shape(whole));
    const file = layoutFile(dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(recordFiles(dir).map((f) => statSync(join(dir, f)).mode & 0o777)).toEqual([0o600]);
    const layout = JSON.parse(readFileSync(file, 'utf8')) as { format: string; keys: unknown[] };
    expect(layout.format).toBe(LAYOUT_FORMAT);
    expect(layout.keys.length).toBe(whole.keys.length);

    const mapped = await load();
    expect(loaded(mapped)).toEqual(['mapped']);
    expect(mapped.keys.map((k) => k.primaryFingerprint)).toEqual(whole.keys.map((k) => k.primaryFingerprint));
    const view = (ms: Awaited<ReturnType<KeyringIndex['findByFingerprint']>>) =>
      ms.map((m) => ({ fpr: m.fingerprint, primary: m.isPrimary, key: m.key.primaryFingerprint, keyring: m.key.keyring }));
    for (const k of whole.keys) {
      for (const fpr of [k.primaryFingerprint, ...k.subkeys.map((s) => s.fingerprint)]) {
        expect(view(await mapped.findByFingerprint(fpr)), fpr).toEqual(view(await whole.findByFingerprint(fpr)));
        const id = fpr.slice(-16);
        expect(view(await mapped.findByKeyId(id)), id).toEqual(view(await whole.findByKeyId(id)));
      }
    }
    expect(await shape(mapped)).toEqual(await shape(whole));
    expect(loaded(mapped)).toEqual(['mapped']);
  });

  it('gives the same signature verdicts mapped as framed, on every tag of the fixture corpus', async () => {
    const ROOT = resolve(import.meta.dirname, '../../..');
    const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/tags/manifest.json'), 'utf8')) as {
      repos: Record<string, string>;
      tags: { id: string; repo: string; object: string; objectType: string }[];
    };
    const copies = { uploaders: join(work, 'corpus-uploaders.gpg'), dm: join(work, 'corpus-dm.gpg') };
    const sources = (u: string, d: string): KeyringSource[] => [
      { path: u, role: 'uploader' },
      { path: d, role: 'dm' },
    ];
    const whole = await loadKeyrings(sources(UPLOADERS, DM_RING));
    const cacheDir = join(work, 'corpus-cache');
    await loadKeyrings(sources(copies.uploaders, copies.dm), { cacheDir, minCachedBytes: 0 });
    const mapped = await loadKeyrings(sources(copies.uploaders, copies.dm), { cacheDir, minCachedBytes: 0 });
    expect(loaded(mapped)).toEqual(['mapped', 'mapped']);
    const policy = { ...DEFAULT_SIGNATURE_POLICY, rejectDigests: [...DEFAULT_SIGNATURE_POLICY.rejectDigests] };
    const original = new Map([
      [copies.uploaders, UPLOADERS],
      [copies.dm, DM_RING],
    ]);
    const repos = join(work, 'corpus-repos');
    mkdirSync(repos);
    const cloned = new Set<string>();
    let checked = 0;
    let authentic = 0;
    for (const t of manifest.tags.filter((x) => x.objectType === 'tag')) {
      const repo = join(repos, t.repo);
      if (!cloned.has(t.repo)) {
        execFileSync('git', ['clone', '-q', '--bare', join(ROOT, manifest.repos[t.repo]!), repo]);
        cloned.add(t.repo);
      }
      let tag;
      try {
        tag = parseTagObject(execFileSync('git', ['-C', repo, 'cat-file', 'tag', t.object]));
      } catch {
        continue; // a tag object the parser refuses never reaches the signature check
      }
      const want = await verifyTagSignature(tag, whole, policy);
      const got = await verifyTagSignature(tag, mapped, policy);
      expect({ ...got, keyring: got.keyring && original.get(got.keyring) }, t.id).toEqual(want);
      checked++;
      if (want.ok) authentic++;
    }
    expect(checked).toBeGreaterThan(20);
    expect(authentic).toBeGreaterThan(5);
  });

  it('hashes and frames again a keyring changed in place or replaced, and records it anew', async () => {
    const { ring, load } = setup('changed');
    await load();
    expect(loaded(await load())).toEqual(['mapped']);
    // The same bytes written again: a new change time, so the record no longer vouches for them.
    writeFileSync(ring, readFileSync(UPLOADERS));
    expect(loaded(await load())).toEqual(['layout']);
    // Other bytes in place.
    writeFileSync(ring, readFileSync(DM_RING));
    const other = await load();
    expect(loaded(other)).toEqual(['framed']);
    expect(await shape(other)).toEqual(await shape(framed(ring)));
    // Replaced by a rename: a new inode.
    const next = join(work, 'changed.next');
    copyFileSync(UPLOADERS, next);
    renameSync(next, ring);
    const back = await load();
    expect(loaded(back)).toEqual(['layout']);
    expect(await shape(back)).toEqual(await shape(framed(ring)));
  });

  it('frames again a mapped keyring whose key does not match its layout, repeats the lookup and rewrites the layout', async () => {
    const { dir, ring, load } = setup('mismatch');
    const whole = framed(ring);
    await load();
    const file = layoutFile(dir);
    const good = readFileSync(file, 'utf8');
    const layout = JSON.parse(good) as LayoutJson;
    // The second key's fingerprint claimed for the first key's packets.
    layout.keys[0]![1] = layout.keys[1]![1];
    writeFileSync(file, JSON.stringify(layout), { mode: 0o600 });
    const index = await load();
    expect(loaded(index)).toEqual(['mapped']);
    const second = whole.keys[1]!;
    const found = await index.findByFingerprint(second.primaryFingerprint);
    expect(loaded(index)).toEqual(['framed']);
    expect(found.map((m) => m.key.primaryFingerprint)).toEqual([second.primaryFingerprint]);
    expect(Buffer.from(await index.packetsOf(found[0]!.key))).toEqual(Buffer.from(await whole.packetsOf(second)));
    expect(await shape(index)).toEqual(await shape(whole));
    expect(readFileSync(file, 'utf8')).toBe(good);
    expect(loaded(await load())).toEqual(['mapped']);
  });

  it('a layout can only leave keys out: the key before a left-out key no longer frames alone, and the keyring is framed again', async () => {
    const { dir, ring, load } = setup('omit');
    const whole = framed(ring);
    await load();
    const file = layoutFile(dir);
    const layout = JSON.parse(readFileSync(file, 'utf8')) as LayoutJson;
    writeFileSync(file, JSON.stringify({ ...layout, keys: layout.keys.slice(0, -1) }), { mode: 0o600 });
    const index = await load();
    expect(index.keys.length).toBe(whole.keys.length - 1);
    expect(await index.findByFingerprint(whole.keys.at(-1)!.primaryFingerprint)).toEqual([]);
    expect(loaded(index)).toEqual(['mapped']);
    // The key before it now runs over the left-out key's packets.
    expect((await index.findByFingerprint(whole.keys.at(-2)!.primaryFingerprint)).length).toBe(1);
    expect(loaded(index)).toEqual(['framed']);
    expect((await index.findByFingerprint(whole.keys.at(-1)!.primaryFingerprint)).length).toBe(1);
  });

  it('frames again when the offsets are not packet starts, or the layout is not JSON', async () => {
    for (const [name, damage] of [
      ['shifted', (l: LayoutJson) => JSON.stringify({ ...l, keys: l.keys.map(([s, f, subs], i) => [i === 0 ? 0 : s + 1, f, subs]) })],
      ['garbled', () => '{"format":'],
    ] as const) {
      const { dir, ring, load } = setup(name);
      const whole = framed(ring);
      await load();
      const file = layoutFile(dir);
      const good = readFileSync(file, 'utf8');
      writeFileSync(file, damage(JSON.parse(good) as LayoutJson), { mode: 0o600 });
      const index = await load();
      for (const k of whole.keys) expect((await index.findByFingerprint(k.primaryFingerprint)).length, name).toBe(1);
      expect(loaded(index), name).toEqual(['framed']);
      expect(await shape(index), name).toEqual(await shape(whole));
      expect(readFileSync(file, 'utf8'), name).toBe(good);
    }
  });

  it('never parses a mapped key under a fingerprint its packets do not have', async () => {
    const { dir, load } = setup('parse');
    await load();
    const file = layoutFile(dir);
    const layout = JSON.parse(readFileSync(file, 'utf8')) as LayoutJson;
    layout.keys[0]![1] = layout.keys[1]![1];
    writeFileSync(file, JSON.stringify(layout), { mode: 0o600 });
    const index = await load();
    await expect(index.parse(index.keys[0]!)).rejects.toThrow(/no key/);
    await expect(index.parse(index.keys[1]!)).resolves.toBeDefined();
  });

  it('uses neither a layout nor a record that others could write', async () => {
    const { dir, load } = setup('others');
    await load();
    const record = join(dir, recordFiles(dir)[0]!);
    chmodSync(record, 0o666);
    expect(loaded(await load())).toEqual(['layout']);
    chmodSync(record, 0o600);
    chmodSync(layoutFile(dir), 0o666);
    expect(loaded(await load())).toEqual(['framed']);
    expect(statSync(layoutFile(dir)).mode & 0o777).toBe(0o600);
  });

  it('records no identity for a keyring changed just before it was read', async () => {
    const { dir, ring, load } = setup('racy');
    copyFileSync(UPLOADERS, ring);
    expect(loaded(await load())).toEqual(['framed']);
    expect(existsSync(layoutFile(dir))).toBe(true);
    expect(recordFiles(dir)).toEqual([]);
    expect(loaded(await load())).toEqual(['layout']);
  });

  it('keeps at most its caps of layouts and records, removing the least recently written', async () => {
    const { dir, load } = setup('caps');
    mkdirSync(dir, { mode: 0o700 });
    const old = Date.now() / 1000 - 86_400;
    for (let i = 0; i < MAX_LAYOUTS + 4; i++) {
      const f = join(dir, `${i.toString(16).padStart(64, '0')}.json`);
      writeFileSync(f, '{}', { mode: 0o600 });
      utimesSync(f, old + i, old + i);
    }
    for (let i = 0; i < MAX_RECORDS + 4; i++) {
      const f = join(dir, `file-${i.toString(16).padStart(64, '0')}.json`);
      writeFileSync(f, '{}', { mode: 0o600 });
      utimesSync(f, old + i, old + i);
    }
    await load();
    const names = readdirSync(dir);
    const layouts = names.filter((f) => /^[0-9a-f]{64}\.json$/.test(f));
    const records = names.filter((f) => f.startsWith('file-'));
    expect(layouts.length).toBe(MAX_LAYOUTS);
    expect(records.length).toBe(MAX_RECORDS);
    // The one just written stays; the oldest went.
    expect(layouts).toContain(layoutFile(dir).split('/').at(-1));
    expect(layouts).not.toContain(`${'0'.repeat(64)}.json`);
    expect(loaded(await load())).toEqual(['mapped']);
  });

  it('caches no layout for an armored keyring, nor for a small one by default', async () => {
    const dir = join(work, 'armored-cache');
    const armored = join(work, 'armored.asc');
    copyFileSync(join(KEYS_DIR, 'rsa3072.pub.asc'), armored);
    expect((await loadKeyrings([{ path: armored, role: 'uploader' }], { cacheDir: dir, minCachedBytes: 0 })).keys.length).toBe(1);
    expect((await loadKeyrings([{ path: UPLOADERS, role: 'uploader' }], { cacheDir: dir })).keys.length).toBeGreaterThan(0);
    expect(readdirSync(dir)).toEqual([]);
  });
});

/** Debian's keyrings as the cache holds them (obtained by an earlier run), if it does. */
function cachedDebianKeyrings(): KeyringSource[] | undefined {
  const record = join(defaultCacheDir(), 'keyrings', 'current-sid.json');
  if (!existsSync(record)) return undefined;
  const { dir } = JSON.parse(readFileSync(record, 'utf8')) as { dir: string };
  const sources = (['debian-keyring', 'debian-maintainers', 'debian-nonupload'] as const).map((base, i) => ({
    path: join(dir, 'usr/share/keyrings', `${base}.gpg`),
    role: (['uploader', 'dm', 'nonupload'] as const)[i]!,
  }));
  return sources.every((s) => existsSync(s.path)) ? sources : undefined;
}

const debian = cachedDebianKeyrings();

describe.runIf(debian !== undefined)("Debian's keyrings from the cache, mapped", () => {
  it('finds every key and subkey a framing finds, with the same bytes', async () => {
    const sources = debian!;
    const whole = await loadKeyrings(sources);
    const cacheDir = join(work, 'debian-cache');
    await loadKeyrings(sources, { cacheDir });
    const mapped = await loadKeyrings(sources, { cacheDir });
    // The cache's files were written by an earlier run, so they have settled.
    expect(loaded(mapped)).toEqual(['mapped', 'mapped', 'mapped']);
    expect(mapped.keys.length).toBe(whole.keys.length);
    expect(whole.keys.length).toBeGreaterThan(1000);
    for (const k of whole.keys) {
      for (const fpr of [k.primaryFingerprint, ...k.subkeys.map((s) => s.fingerprint)]) {
        const [a, b] = [await mapped.findByFingerprint(fpr), await whole.findByFingerprint(fpr)];
        expect(
          a.map((m) => [m.fingerprint, m.key.primaryFingerprint, m.key.role]),
          fpr,
        ).toEqual(b.map((m) => [m.fingerprint, m.key.primaryFingerprint, m.key.role]));
        for (let i = 0; i < a.length; i++)
          expect(Buffer.from(await mapped.packetsOf(a[i]!.key)).equals(await whole.packetsOf(b[i]!.key)), fpr).toBe(true);
      }
    }
    expect(loaded(mapped)).toEqual(['mapped', 'mapped', 'mapped']);
  }, 120_000);
});
