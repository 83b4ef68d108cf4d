import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseCheckpoint } from '../../src/publish/checkpoint.js';
import { generateEd25519, type Ed25519Key } from '../../src/publish/ed25519.js';
import { loadOrCreateKey } from '../../src/publish/log-keys.js';
import { consistencyProof, leafHash, treeHash, verifyConsistency, verifyInclusion } from '../../src/publish/merkle.js';
import { ed25519NoteSigner, ed25519NoteVerifier, ed25519Vkey, openNote } from '../../src/publish/signed-note.js';
import { LogCorruptError, TiledLog } from '../../src/publish/tiled-log.js';
import { decodeBundle, tilePath, tileSubtreeReader, tileWidthAt } from '../../src/publish/tiles.js';
import type { LogStore } from '../../src/store/log-store.js';
import { openLogStore } from '../../src/store/open-log-store.js';
import { SqliteLogStore } from '../../src/store/sqlite-log-store.js';
import { buildGoTlog } from './go-tlog.js';

const CHILD = fileURLToPath(new URL('./log-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ORIGIN = 'verifier.test/log';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'tiled-log-'));
  dirs.push(d);
  return d;
}

/** A new log key, its PEM file written in `dataDir` as an operator keeps it (mode 0600), for a log run by a child process. */
function keyIn(dataDir: string): { key: Ed25519Key; keyFile: string } {
  const { key, pem } = generateEd25519();
  const keyFile = join(dataDir, 'key.pem');
  writeFileSync(keyFile, pem, { mode: 0o600 });
  return { key, keyFile };
}

async function openLog(dataDir: string, key: Ed25519Key, store: LogStore = new SqliteLogStore({ dataDir })) {
  const log = await TiledLog.open({
    dir: join(dataDir, 'log'),
    store,
    origin: ORIGIN,
    signer: ed25519NoteSigner(ORIGIN, key),
    verifier: ed25519NoteVerifier(ed25519Vkey(ORIGIN, key)),
  });
  return { log, store };
}

/** Audits the log directory as a client would: checkpoint signature, root from tiles, every entry hashed. */
async function audit(dir: string, key: Ed25519Key): Promise<{ size: number; root: Buffer }> {
  const cp = parseCheckpoint(openNote(readFileSync(join(dir, 'checkpoint')), [ed25519NoteVerifier(ed25519Vkey(ORIGIN, key))]).text);
  const read = tileSubtreeReader(cp.size, (c) => Promise.resolve(readFileSync(join(dir, tilePath(c)))));
  expect((await treeHash(cp.size, read)).equals(cp.root)).toBe(true);
  for (let n = 0; n * 256 < cp.size; n++) {
    const width = tileWidthAt(0, n, cp.size);
    const entries = decodeBundle(readFileSync(join(dir, tilePath({ level: 'entries', n, width }))));
    const level0 = readFileSync(join(dir, tilePath({ level: 0, n, width })));
    expect(entries).toHaveLength(width);
    entries.forEach((e, i) => expect(leafHash(e).equals(level0.subarray(i * 32, i * 32 + 32))).toBe(true));
  }
  return { size: cp.size, root: cp.root };
}

describe('the tiled log', () => {
  it('appends concurrent entries in batches, proves inclusion and consistency, and reopens where it was', async () => {
    const dataDir = tmp();
    const key = generateEd25519().key;
    const { log, store } = await openLog(dataDir, key);
    expect(log.current.size).toBe(0);
    const indexes = await Promise.all(
      Array.from({ length: 600 }, (_, i) =>
        log.append({ entry: Buffer.from(`entry ${i}`), dscSha256: i % 2 === 0 ? 'a'.repeat(64) : null }),
      ),
    );
    expect(new Set(indexes).size).toBe(600);
    expect(log.current.size).toBe(600);
    const first = await audit(join(dataDir, 'log'), key);
    expect(first.size).toBe(600);
    const entries = await store.leaves(0, 600);
    for (const i of [0, 255, 256, 599]) {
      const proof = await log.inclusionProof(i, 600);
      expect(verifyInclusion(i, 600, leafHash(entries[i] as Buffer), proof, log.current.root)).toBe(true);
    }
    expect(await store.indexesForDsc('a'.repeat(64), 3)).toEqual([0, 2, 4]);
    for (let i = 0; i < 5; i++) await log.append({ entry: Buffer.from(`late ${i}`), dscSha256: null });
    const proof = await log.consistencyProof(600, 605);
    expect(verifyConsistency(600, 605, first.root, log.current.root, proof)).toBe(true);
    // An old partial width is still served (cut from the newest bundle).
    expect(decodeBundle((await log.readTile({ level: 'entries', n: 2, width: 88 })) as Buffer)).toHaveLength(88);
    await store.close();
    const again = await openLog(dataDir, key);
    expect(again.log.current.note).toBe(log.current.note);
    await again.store.close();
  });

  it('generates its key at mode 0600 on first start and keeps it', async () => {
    const dataDir = tmp();
    const a = await loadOrCreateKey(dataDir);
    const b = await loadOrCreateKey(dataDir);
    expect(a.publicRaw.equals(b.publicRaw)).toBe(true);
    expect(statSync(join(dataDir, 'log-key.pem')).mode & 0o777).toBe(0o600);
  });

  it('integrates leaves the store committed before a crash, and refuses to start on a fork or a changed tile', async () => {
    const dataDir = tmp();
    const key = generateEd25519().key;
    const { log, store } = await openLog(dataDir, key);
    for (let i = 0; i < 10; i++) await log.append({ entry: Buffer.from(`e${i}`), dscSha256: null });
    // Committed to the store, never written to tiles (a crash between steps 1 and 2).
    expect(await store.appendLeaves([{ entry: Buffer.from('e10'), dscSha256: null }])).toBe(10);
    await store.close();
    const reopened = await openLog(dataDir, key);
    expect(reopened.log.current.size).toBe(11);
    await reopened.store.close();
    await audit(join(dataDir, 'log'), key);

    // A store with fewer leaves than the published checkpoint: refuse rather than fork.
    const emptyStoreDir = tmp();
    await expect(openLog(dataDir, key, new SqliteLogStore({ dataDir: emptyStoreDir }))).rejects.toThrow(LogCorruptError);
    // A changed tile.
    const tile = join(dataDir, 'log', 'tile/0/000.p/11');
    const bytes = readFileSync(tile);
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    writeFileSync(tile, bytes);
    await expect(openLog(dataDir, key)).rejects.toThrow(/do not rebuild/);
    // Another key.
    await expect(openLog(dataDir, generateEd25519().key)).rejects.toThrow(LogCorruptError);
  });

  it('survives kill -9 at any point: every restart audits, and every checkpoint seen is consistent with the last', async () => {
    const dataDir = tmp();
    const { key, keyFile } = keyIn(dataDir);
    const dir = join(dataDir, 'log');
    const seen: { size: number; root: Buffer }[] = [];
    for (let round = 0; round < 6; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
      child.stdin.end(JSON.stringify({ dir, dataDir, keyFile, origin: ORIGIN, batches: 1_000_000, perBatch: 1 + round * 7 }));
      const exited = new Promise((r) => child.on('exit', r));
      // Kill after a varying number of durable batches: mid-append, mid-tile or mid-checkpoint.
      const batches = 3 + round * 5;
      await new Promise<void>((resolve) => {
        let lines = 0;
        child.stdout.on('data', (d: Buffer) => {
          lines += d
            .toString()
            .split('\n')
            .filter((l) => l.startsWith('size ')).length;
          if (lines >= batches) resolve();
        });
        void exited.then(() => resolve());
      });
      await new Promise((r) => setTimeout(r, round * 3));
      child.kill('SIGKILL');
      await exited;
      seen.push(await audit(dir, key));
    }
    const { log, store } = await openLog(dataDir, key);
    const final = await audit(dir, key);
    expect(final.size).toBeGreaterThanOrEqual((seen.at(-1) as { size: number }).size);
    expect(await store.leafCount()).toBe(final.size);
    for (const s of seen) {
      expect(verifyConsistency(s.size, final.size, s.root, final.root, await log.consistencyProof(s.size, final.size))).toBe(true);
      // Using the tile files directly too.
      const read = tileSubtreeReader(final.size, (c) => Promise.resolve(readFileSync(join(dir, tilePath(c)))));
      expect(verifyConsistency(s.size, final.size, s.root, final.root, await consistencyProof(s.size, final.size, read))).toBe(true);
    }
    await store.close();
  });
});

describe('the tiled log, kept and shared', () => {
  let runGo: (args: string[], input?: string) => string;
  const goWork = mkdtempSync(join(tmpdir(), 'tiled-log-go-'));
  beforeAll(() => {
    runGo = buildGoTlog(goWork);
  });
  afterAll(() => rmSync(goWork, { recursive: true, force: true }));

  it('deletes the partial tiles and bundles of a full tile once a checkpoint names it, and still answers their paths', async () => {
    const dataDir = tmp();
    const key = generateEd25519().key;
    const { log, store } = await openLog(dataDir, key);
    for (let i = 0; i < 3; i++) await log.append({ entry: Buffer.from(`one ${i}`), dscSha256: null });
    const dir = join(dataDir, 'log');
    // Before tile 0 is full, each checkpoint's partial bundle is there.
    for (const w of [1, 2, 3]) expect(existsSync(join(dir, tilePath({ level: 'entries', n: 0, width: w })))).toBe(true);
    await Promise.all(Array.from({ length: 300 }, (_, i) => log.append({ entry: Buffer.from(`many ${i}`), dscSha256: null })));
    expect(existsSync(join(dir, 'tile/entries/000'))).toBe(true);
    expect(existsSync(join(dir, 'tile/entries/000.p'))).toBe(false);
    expect(existsSync(join(dir, 'tile/0/000.p'))).toBe(false);
    // The current partial tile of the next one is kept.
    expect(existsSync(join(dir, tilePath({ level: 0, n: 1, width: 47 })))).toBe(true);
    const full = readFileSync(join(dir, 'tile/0/000'));
    for (const w of [1, 2, 3]) {
      const bundle = decodeBundle((await log.readTile({ level: 'entries', n: 0, width: w })) as Buffer);
      expect(bundle.map(String)).toEqual(Array.from({ length: w }, (_, i) => `one ${i}`));
      expect((await log.readTile({ level: 0, n: 0, width: w }))?.equals(full.subarray(0, w * 32))).toBe(true);
    }
    await store.close();
    JSON.parse(runGo(['verify', dir, ed25519Vkey(ORIGIN, key)]));
  });

  /** Checks the final log: Go rebuilds it, every writer's entry is in it once, at the index its append returned. */
  async function checkShared(dataDir: string, key: Ed25519Key, written: Map<string, number>): Promise<void> {
    const dir = join(dataDir, 'log');
    const go = JSON.parse(runGo(['verify', dir, ed25519Vkey(ORIGIN, key)])) as { size: number };
    expect(go.size).toBe(written.size);
    const final = await audit(dir, key);
    const entries: string[] = [];
    for (let n = 0; n * 256 < final.size; n++) {
      entries.push(
        ...decodeBundle(readFileSync(join(dir, tilePath({ level: 'entries', n, width: tileWidthAt(0, n, final.size) })))).map(String),
      );
    }
    expect(new Set(entries).size).toBe(entries.length);
    expect(new Map(entries.map((e, i) => [e, i]))).toEqual(written);
  }

  it('takes appends from two writers on two store connections at once: one log, each leaf once', async () => {
    const dataDir = tmp();
    const key = generateEd25519().key;
    const a = await openLog(dataDir, key, await openLogStore({ dataDir }));
    const b = await openLog(dataDir, key, await openLogStore({ dataDir }));
    const written = new Map<string, number>();
    await Promise.all(
      [a, b].map(async ({ log }, w) => {
        for (let round = 0; round < 12; round++) {
          const batch = Array.from({ length: 1 + ((round * 5 + w * 3) % 23) }, (_, i) => `writer ${w} round ${round} leaf ${i}`);
          const indexes = await Promise.all(batch.map((e) => log.append({ entry: Buffer.from(e), dscSha256: null })));
          batch.forEach((e, i) => written.set(e, indexes[i] as number));
          expect(log.current.size).toBeGreaterThan(Math.max(...indexes));
        }
      }),
    );
    await checkShared(dataDir, key, written);
    // Each writer, on its next append, publishes on top of the other's checkpoint.
    const last = await b.log.append({ entry: Buffer.from('last'), dscSha256: null });
    written.set('last', last);
    expect(b.log.current.size).toBe(written.size);
    await a.log.append({ entry: Buffer.from('after'), dscSha256: null }).then((i) => written.set('after', i));
    expect(a.log.current.size).toBe(written.size);
    await checkShared(dataDir, key, written);
    await a.store.close();
    await b.store.close();
  });

  it('takes appends from two writer processes at once: checkpoints only grow, consistently, each leaf once', async () => {
    const dataDir = tmp();
    const { key, keyFile } = keyIn(dataDir);
    const dir = join(dataDir, 'log');
    // Both open the same empty log at once.
    const children = ['p', 'q'].map((tag) => {
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
      child.stdin.end(JSON.stringify({ dir, dataDir, keyFile, origin: ORIGIN, batches: 25, perBatch: tag === 'p' ? 3 : 7, tag }));
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      return new Promise<string>((resolve, reject) =>
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`writer ${tag} exited ${code}`)))),
      );
    });
    // Watch the published checkpoint meanwhile, as a client polling it would.
    const seen: { size: number; root: Buffer }[] = [];
    let running = true;
    const watching = (async () => {
      const verifier = ed25519NoteVerifier(ed25519Vkey(ORIGIN, key));
      while (running) {
        if (existsSync(join(dir, 'checkpoint'))) {
          const cp = parseCheckpoint(openNote(readFileSync(join(dir, 'checkpoint')), [verifier]).text);
          if (seen.at(-1)?.size !== cp.size) seen.push({ size: cp.size, root: cp.root });
        }
        await new Promise((r) => setTimeout(r, 3));
      }
    })();
    const outputs = await Promise.all(children);
    running = false;
    await watching;
    const written = new Map<string, number>();
    outputs.forEach((out, w) => {
      const tag = w === 0 ? 'p' : 'q';
      const perBatch = tag === 'p' ? 3 : 7;
      const indexes = out
        .split('\n')
        .filter((l) => l.startsWith('idx '))
        .flatMap((l) => l.slice(4).split(',').map(Number));
      expect(indexes).toHaveLength(25 * perBatch);
      indexes.forEach((idx, n) => written.set(`{"writer":"${tag}","n":${n}}`, idx));
    });
    await checkShared(dataDir, key, written);
    const final = await audit(dir, key);
    expect(seen.length).toBeGreaterThan(1);
    const read = tileSubtreeReader(final.size, (c) => Promise.resolve(readFileSync(join(dir, tilePath(c)))));
    for (const [i, s] of seen.entries()) {
      if (i > 0) expect(s.size).toBeGreaterThan((seen[i - 1] as { size: number }).size);
      expect(verifyConsistency(s.size, final.size, s.root, final.root, await consistencyProof(s.size, final.size, read))).toBe(true);
    }
  });
});
