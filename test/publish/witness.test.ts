import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatCheckpoint } from '../../src/publish/checkpoint.js';
import { cosignatureVerifier, cosignatureVkey } from '../../src/publish/cosignature.js';
import { generateEd25519 } from '../../src/publish/ed25519.js';
import { consistencyProof } from '../../src/publish/merkle.js';
import { ed25519NoteSigner, ed25519Vkey, openNote, signNote } from '../../src/publish/signed-note.js';
import { appendEntries, EMPTY_EDGE, edgeRoot, type TreeEdge } from '../../src/publish/tile-builder.js';
import { tilePath, tileSubtreeReader } from '../../src/publish/tiles.js';
import { Witness } from '../../src/publish/witness.js';

const ORIGIN = 'log.test/a';
const logKey = generateEd25519().key;
const witnessKey = generateEd25519().key;
const stateDir = mkdtempSync(join(tmpdir(), 'witness-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

/** An in-memory log: its checkpoints and consistency proofs. */
function makeLog(prefix: string) {
  const files = new Map<string, Buffer>();
  let edge: TreeEdge = EMPTY_EDGE;
  return {
    grow(n: number, tag = prefix): string {
      const out = appendEntries(
        edge,
        Array.from({ length: n }, (_, i) => Buffer.from(`${tag}${edge.size + i}`)),
      );
      for (const t of out.tiles) files.set(t.path, t.data);
      edge = out.edge;
      return signNote(formatCheckpoint({ origin: ORIGIN, size: edge.size, root: edgeRoot(edge), extensions: [] }), [
        ed25519NoteSigner(ORIGIN, logKey),
      ]);
    },
    async proof(from: number, to: number): Promise<string> {
      const read = tileSubtreeReader(to, (c) => Promise.resolve(files.get(tilePath(c)) as Buffer));
      return (await consistencyProof(from, to, read)).map((h) => `${h.toString('base64')}\n`).join('');
    },
  };
}

const open = () =>
  Witness.open({ name: 'witness.test/w1', key: witnessKey, stateDir, logs: [{ origin: ORIGIN, vkey: ed25519Vkey(ORIGIN, logKey) }] });
const req = (old: number, proof: string, note: string) => Buffer.from(`old ${old}\n${proof}\n${note}`);

describe('the witness', () => {
  it('cosigns consistent checkpoints and never a fork, also after a restart', async () => {
    const honest = makeLog('e');
    const fork = makeLog('e');
    let w = await open();
    const first = honest.grow(5);
    const fork5 = fork.grow(5);
    const r1 = await w.addCheckpoint(req(0, '', first));
    expect(r1.status).toBe(200);
    const vkey = cosignatureVkey('witness.test/w1', witnessKey);
    expect(openNote(`${first}${r1.body}`, [cosignatureVerifier(vkey)]).verified).toHaveLength(1);

    const second = honest.grow(300);
    expect((await w.addCheckpoint(req(0, '', second))).body).toBe('5\n');
    expect((await w.addCheckpoint(req(0, '', second))).status).toBe(409);
    expect((await w.addCheckpoint(req(5, await honest.proof(5, 305), second))).status).toBe(200);

    // The fork shares the first 5 entries, then differs.
    fork.grow(100, 'forged');
    const forked = fork.grow(200, 'forged');
    expect(forked).not.toBe(second);
    // Same size, other root.
    w = await open();
    expect(w.latestSize(ORIGIN)).toBe(305);
    expect((await w.addCheckpoint(req(305, '', forked))).status).toBe(409);
    // A larger fork with a proof from its own history.
    const forkedLarger = fork.grow(10, 'forged');
    expect((await w.addCheckpoint(req(305, await fork.proof(305, 315), forkedLarger))).status).toBe(422);
    // Not signed by the log, an unknown log, a malformed request.
    const other = signNote(forkedLarger.slice(0, forkedLarger.indexOf('\n\n') + 1), [ed25519NoteSigner(ORIGIN, generateEd25519().key)]);
    expect((await w.addCheckpoint(req(305, '', other))).status).toBe(403);
    expect((await w.addCheckpoint(req(0, '', fork5.replace(ORIGIN, 'log.test/b')))).status).toBe(404);
    expect((await w.addCheckpoint(Buffer.from('old x\n\n'))).status).toBe(400);
    expect((await w.addCheckpoint(req(400, '', second))).status).toBe(400);
  });
});
