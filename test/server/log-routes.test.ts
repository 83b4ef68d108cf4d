// The service's transparency log over HTTP: every finished verification is
// attested and logged; the checkpoint, tiles, keys, attestations with
// inclusion proofs and consistency proofs are served without authentication,
// and check out with the log's vkey alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAttestation } from '../../src/publish/attestation.js';
import { parseCheckpoint } from '../../src/publish/checkpoint.js';
import { leafHash, treeHash, verifyConsistency, verifyInclusion } from '../../src/publish/merkle.js';
import { ed25519NoteVerifier, openNote } from '../../src/publish/signed-note.js';
import { tileSubtreeReader, tilePath } from '../../src/publish/tiles.js';
import type { VerifyReport } from '../../src/report/report.js';
import type { ServiceHandle } from '../../src/server/service.js';
import { apiHeaders, startTestService, verifyReport, waitFor } from './service-helpers.js';

const DSC_SHA = 'ab'.repeat(32);
let dir: string;
let h: ServiceHandle;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 't2u-log-routes-'));
  h = await startTestService({
    dataDir: dir,
    config: { log: { origin: 'verifier.test/log' } },
    verifyJob: (req) => {
      const report: VerifyReport = {
        ...verifyReport(req, req.tag.endsWith('-2') ? ['CONTENT_MISMATCH'] : []),
        upload: { origin: 'test', dsc: 'hello_1.0-1.dsc', sha256: DSC_SHA },
      };
      return Promise.resolve(report);
    },
  });
});

afterAll(async () => {
  await h.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function verify(tag: string): Promise<void> {
  const res = await fetch(`${h.url}/api/v1/verifications`, {
    method: 'POST',
    headers: { ...apiHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ repo: 'https://salsa.debian.org/debian/hello.git', tag }),
  });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  await waitFor(async () => {
    const job = (await (await fetch(`${h.url}/api/v1/verifications/${id}`, { headers: apiHeaders })).json()) as { status: string };
    return job.status === 'done' ? job : undefined;
  }, 'the verdict');
}

describe('the log routes', () => {
  it('serves attestations of every verdict with inclusion proofs that check with the vkey', async () => {
    const first = await (await fetch(`${h.url}/log/checkpoint`)).text();
    await verify('debian/1.0-1');
    await verify('debian/1.0-2');
    const vkey = (await (await fetch(`${h.url}/log/key`)).text()).trim();
    expect(vkey).toMatch(/^verifier\.test\/log\+[0-9a-f]{8}\+/);
    expect((await (await fetch(`${h.url}/attestations/key`)).text()).trim()).toBe(vkey);
    type Body = { checkpoint: string; attestations: { index: number; envelope: string; inclusionProof: string[] }[] };
    // The attestation is appended once the verdict is recorded.
    const body = await waitFor(async () => {
      const res = await fetch(`${h.url}/api/v1/attestations?dsc-sha256=${DSC_SHA}`);
      expect(res.status).toBe(200);
      const b = (await res.json()) as Body;
      return b.attestations.length === 2 ? b : undefined;
    }, 'both attestations');
    const cp = parseCheckpoint(openNote(body.checkpoint, [ed25519NoteVerifier(vkey)]).text);
    expect(cp.size).toBe(2);
    expect(body.attestations.map((a) => a.index)).toEqual([0, 1]);
    const verdicts = body.attestations.map((a) => {
      const proof = a.inclusionProof.map((p) => Buffer.from(p, 'base64'));
      expect(verifyInclusion(a.index, cp.size, leafHash(Buffer.from(a.envelope)), proof, cp.root)).toBe(true);
      const opened = openAttestation(a.envelope, vkey);
      if (!opened.ok) throw new Error(opened.why);
      return opened.statement.predicate.verdict;
    });
    expect(verdicts).toEqual(['reproduced', 'mismatch']);

    // The tiles, fetched over HTTP, rebuild the root.
    const read = tileSubtreeReader(cp.size, async (c) => {
      const r = await fetch(`${h.url}/log/${tilePath(c)}`);
      expect(r.status).toBe(200);
      return Buffer.from(await r.arrayBuffer());
    });
    expect((await treeHash(cp.size, read)).equals(cp.root)).toBe(true);
    expect((await fetch(`${h.url}/log/tile/0/000.p/3`)).status).toBe(404);
    expect((await fetch(`${h.url}/log/tile/0/../../log-key.pem`)).status).toBe(404);

    // Consistency from the empty log's checkpoint.
    const old = parseCheckpoint(openNote(first, [ed25519NoteVerifier(vkey)]).text);
    const cons = (await (await fetch(`${h.url}/api/v1/log/consistency?from=${old.size}&to=2`)).json()) as { proof: string[] };
    expect(
      verifyConsistency(
        old.size,
        2,
        old.root,
        cp.root,
        cons.proof.map((p) => Buffer.from(p, 'base64')),
      ),
    ).toBe(true);
    expect((await fetch(`${h.url}/api/v1/log/consistency?from=1&to=3`)).status).toBe(400);
    expect((await fetch(`${h.url}/api/v1/attestations?dsc-sha256=zz`)).status).toBe(400);
    const none = (await (await fetch(`${h.url}/api/v1/attestations?dsc-sha256=${'cd'.repeat(32)}`)).json()) as { attestations: unknown[] };
    expect(none.attestations).toEqual([]);
  });
});
