// Interoperability with an independent implementation: Go's
// golang.org/x/mod/sumdb/note and sumdb/tlog (Debian's golang-go and
// golang-golang-x-mod-dev, built offline in GOPATH mode) check a log we
// write, and we check a log Go's code writes.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCheckpoint, parseCheckpoint } from '../../src/publish/checkpoint.js';
import { generateEd25519 } from '../../src/publish/ed25519.js';
import { consistencyProof, inclusionProof, leafHash, treeHash, verifyConsistency, type Hash } from '../../src/publish/merkle.js';
import { ed25519NoteSigner, ed25519NoteVerifier, ed25519Vkey, openNote, signNote } from '../../src/publish/signed-note.js';
import { appendEntries, EMPTY_EDGE, edgeRoot, type TreeEdge } from '../../src/publish/tile-builder.js';
import { decodeBundle, tilePath, tileSubtreeReader, tileWidthAt, type TileCoord } from '../../src/publish/tiles.js';
import { buildGoTlog } from './go-tlog.js';

let work: string;
let runGo: (args: string[], input?: string) => string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'go-tlog-'));
  runGo = buildGoTlog(work);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const dirReader = (dir: string, size: number) =>
  tileSubtreeReader(size, (coord: TileCoord) => Promise.resolve(readFileSync(join(dir, tilePath(coord)))));

describe('Go checks our log', () => {
  const key = generateEd25519().key;
  const origin = 'verifier.example/log';
  const entries = Array.from({ length: 70_000 }, (_, i) => Buffer.from(JSON.stringify({ n: i, pad: 'x'.repeat(i % 50) })));
  let dir: string;
  let edge: TreeEdge = EMPTY_EDGE;
  const roots = new Map<number, Hash>();

  beforeAll(() => {
    dir = join(work, 'ours');
    for (let at = 0; at < entries.length;) {
      const n = Math.min(entries.length - at, [7, 300, 4096, 1, 255][roots.size % 5] as number);
      const out = appendEntries(edge, entries.slice(at, at + n));
      for (const t of out.tiles) {
        mkdirSync(dirname(join(dir, t.path)), { recursive: true });
        writeFileSync(join(dir, t.path), t.data);
      }
      edge = out.edge;
      at += n;
      roots.set(at, edgeRoot(edge));
    }
    const text = formatCheckpoint({ origin, size: edge.size, root: edgeRoot(edge), extensions: [] });
    writeFileSync(join(dir, 'checkpoint'), signNote(text, [ed25519NoteSigner(origin, key)]));
  });

  it('verifies our checkpoint signature, rebuilds our root from our tiles and hashes our entry bundles', () => {
    const out = JSON.parse(runGo(['verify', dir, ed25519Vkey(origin, key)])) as { size: number; root: string };
    expect(out.size).toBe(70_000);
    expect(out.root).toBe(edgeRoot(edge).toString('base64'));
  });

  it('refuses our checkpoint under another key', () => {
    const other = generateEd25519().key;
    expect(() => runGo(['verify', dir, ed25519Vkey(origin, other)])).toThrow(/checkpoint signature/);
  });

  it('checks our inclusion and consistency proofs, and makes the same inclusion proofs', async () => {
    const size = edge.size;
    const root = edgeRoot(edge);
    const read = dirReader(dir, size);
    const b64 = (hs: Hash[]) => hs.map((h) => h.toString('base64'));
    const requests: object[] = [];
    const expected: string[] = [];
    for (const index of [0, 1, 255, 256, 4358, 65535, 65536, 69_999]) {
      const proof = await inclusionProof(index, size, read);
      const leaf = leafHash(entries[index] as Buffer).toString('base64');
      requests.push({ kind: 'inclusion', index, size, root: root.toString('base64'), leaf, proof: b64(proof) });
      expected.push('ok');
      requests.push({ kind: 'prove-inclusion', index, size });
      expected.push(b64(proof).join(','));
    }
    const olds = [...roots.keys()].filter((s) => s < size).filter((_, i) => i % 9 === 0);
    for (const old of olds) {
      const proof = await consistencyProof(old, size, read);
      requests.push({
        kind: 'consistency',
        old,
        oldRoot: roots.get(old)?.toString('base64'),
        size,
        root: root.toString('base64'),
        proof: b64(proof),
      });
      expected.push('ok');
    }
    // A proof of a rewritten history must fail in Go too.
    const bad = await consistencyProof(olds[3] as number, size, read);
    requests.push({
      kind: 'consistency',
      old: olds[3],
      oldRoot: leafHash(Buffer.from('forged')).toString('base64'),
      size,
      root: root.toString('base64'),
      proof: b64(bad),
    });
    const out = JSON.parse(runGo(['verify', dir, ed25519Vkey(origin, key)], JSON.stringify(requests))) as { results: string[] };
    expect(out.results.slice(0, -1)).toEqual(expected);
    expect(out.results.at(-1)).toMatch(/^fail/);
  });
});

describe('we check a log written by Go', () => {
  it("opens Go's checkpoint, rebuilds its root from its tiles, hashes its entries and checks its consistency proofs", async () => {
    const dir = join(work, 'go');
    const size = 66_000;
    const olds = [1, 2, 255, 256, 257, 65_536, 65_999];
    const out = JSON.parse(runGo(['write', dir, 'go.example/log', String(size), ...olds.map(String)])) as {
      vkey: string;
      consistency: Record<string, { root: string; proof: string }>;
    };
    const opened = openNote(readFileSync(join(dir, 'checkpoint')), [ed25519NoteVerifier(out.vkey)]);
    const cp = parseCheckpoint(opened.text);
    expect(cp.size).toBe(size);
    const read = dirReader(dir, size);
    expect((await treeHash(size, read)).equals(cp.root)).toBe(true);
    for (let n = 0; n * 256 < size; n++) {
      const width = tileWidthAt(0, n, size);
      const bundle = decodeBundle(readFileSync(join(dir, tilePath({ level: 'entries', n, width }))));
      const tile = readFileSync(join(dir, tilePath({ level: 0, n, width })));
      expect(bundle.length).toBe(width);
      bundle.forEach((e, i) => expect(leafHash(e).equals(tile.subarray(i * 32, i * 32 + 32))).toBe(true));
    }
    for (const old of olds) {
      const c = out.consistency[String(old)];
      const oldRoot = await treeHash(old, read);
      expect(oldRoot.toString('base64')).toBe(c?.root);
      const proof = (c?.proof ?? '')
        .split(',')
        .filter((s) => s !== '')
        .map((s) => Buffer.from(s, 'base64'));
      expect(verifyConsistency(old, size, oldRoot, cp.root, proof)).toBe(true);
      expect(proof.map((h) => h.toString('base64'))).toEqual((await consistencyProof(old, size, read)).map((h) => h.toString('base64')));
    }
  });
});
