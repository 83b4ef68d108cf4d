// The log client against a real service app on loopback: each failure a
// client must tell apart has its reason code.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { consensus } from '../../src/publish/consensus.js';
import { generateEd25519 } from '../../src/publish/ed25519.js';
import { logConfigSchema } from '../../src/publish/log-config.js';
import { auditLog, LogClient, LogProblem, SeenStore } from '../../src/publish/log-client.js';
import { openPublisher, type Publisher } from '../../src/publish/publisher.js';
import { ed25519Vkey } from '../../src/publish/signed-note.js';
import { decodeBundle, encodeBundle, parseTilePath, tilePath } from '../../src/publish/tiles.js';
import { ServiceMetrics } from '../../src/server/api/metrics.js';
import { buildServiceApp } from '../../src/server/service-app.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Job } from '../../src/store/store.js';
import { finishedJob } from '../helpers/finished-job.js';
import { verifyReport } from '../server/service-helpers.js';

const SHA = 'ef'.repeat(32);
let dir: string;
let store: SqliteStore;
let publisher: Publisher;
let app: FastifyInstance;
let url: string;
/** The checkpoint after the first entry, before 300 more made tile 0 full (and its partial tiles were deleted). */
let firstNote: string;

function job(verdict: 'reproduced' | 'mismatch'): Job {
  return finishedJob({
    verdict,
    report: {
      ...verifyReport({ repo: 'r', tag: 't' }, verdict === 'mismatch' ? ['CONTENT_MISMATCH'] : []),
      upload: { origin: 'x', dsc: 'x.dsc', sha256: SHA },
    },
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 't2u-log-client-'));
  store = new SqliteStore({ dataDir: dir });
  publisher = await openPublisher({ dataDir: dir, log: logConfigSchema.parse({ origin: 'client.test/log' }) });
  await publisher.attestJob(job('reproduced'));
  firstNote = publisher.log.current.note;
  for (let i = 0; i < 300; i++) await publisher.log.append({ entry: Buffer.from(`{"n":${i}}`), dscSha256: null });
  app = await buildServiceApp({ store, metrics: new ServiceMetrics(), log: pino({ level: 'silent' }), publisher });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
  await publisher.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const problem = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof LogProblem) return e.code;
    throw e;
  }
  return 'none';
};

/** A static web server over a copy of the log directory, serving `checkpoint` as given: what an operator's mirror looks like. */
async function staticCopy(checkpoint: string): Promise<{ url: string; close: () => Promise<void> }> {
  const logDir = join(dir, 'log');
  const server = createServer((req, res) => {
    const rest = (req.url ?? '').replace(/^\/log\//, '');
    if (rest === 'checkpoint') return void res.end(checkpoint);
    const coord = rest.startsWith('tile/') ? parseTilePath(rest.slice('tile/'.length)) : undefined;
    const path = coord && join(logDir, tilePath(coord));
    if (path === undefined || !existsSync(path)) return void res.writeHead(404).end();
    res.end(readFileSync(path));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('the log client', () => {
  it('reads a partial tile the log deleted from the full one: a static copy still audits at an older checkpoint', async () => {
    const logDir = join(dir, 'log');
    // Tile 0 is full: its partial tiles and bundles are gone; tile 1's current partial is there.
    expect(existsSync(join(logDir, 'tile/0/000'))).toBe(true);
    expect(existsSync(join(logDir, 'tile/0/000.p'))).toBe(false);
    expect(existsSync(join(logDir, 'tile/entries/000.p'))).toBe(false);
    expect(existsSync(join(logDir, tilePath({ level: 'entries', n: 1, width: 45 })))).toBe(true);
    const copy = await staticCopy(firstNote);
    try {
      const client = new LogClient(copy.url, publisher.logVkey);
      const seen = await client.fetchCheckpoint();
      expect(seen.checkpoint.size).toBe(1);
      await client.checkTiles(seen);
      await client.checkEntries(seen);
      // The service itself answers the deleted path, cut from the full tile.
      const cut = await fetch(`${url}/log/${tilePath({ level: 'entries', n: 0, width: 1 })}`);
      expect(decodeBundle(Buffer.from(await cut.arrayBuffer()))).toHaveLength(1);
    } finally {
      await copy.close();
    }
  });

  it('audits a good log and finds its attestation', async () => {
    const client = new LogClient(url, publisher.logVkey);
    const { current } = await auditLog(client, new SeenStore(join(dir, 'state')));
    expect(current.checkpoint.size).toBe(301);
    const { found } = await client.attestations(SHA, current);
    expect(found.map((f) => f.statement.predicate.verdict)).toEqual(['reproduced']);
  });

  it('LOG_UNREACHABLE: nothing answers', async () => {
    expect(await problem(new LogClient('http://127.0.0.1:9', publisher.logVkey).fetchCheckpoint())).toBe('LOG_UNREACHABLE');
  });

  it('LOG_SIGNATURE_INVALID: the checkpoint is not signed by the configured key', async () => {
    expect(await problem(new LogClient(url, ed25519Vkey('client.test/log', generateEd25519().key)).fetchCheckpoint())).toBe(
      'LOG_SIGNATURE_INVALID',
    );
  });

  it('ATTESTATION_SIGNATURE_INVALID: an attestation not signed by the expected key', async () => {
    const client = new LogClient(url, publisher.logVkey);
    const current = await client.fetchCheckpoint();
    const { found, rejected } = await client.attestations(SHA, current, ed25519Vkey('client.test/log', generateEd25519().key));
    expect(found).toEqual([]);
    expect(rejected.map((r) => r.code)).toEqual(['ATTESTATION_SIGNATURE_INVALID']);
  });

  it('ATTESTATION_MISSING: the verifier has no attestation of the .dsc', async () => {
    const r = await consensus(
      '01'.repeat(32),
      [{ name: 'one', baseUrl: url, vkey: publisher.logVkey, witnessVkeys: [] }],
      1,
      join(dir, 'state2'),
    );
    expect(r.result).toBe('insufficient');
    expect(r.verifiers[0]).toMatchObject({ status: 'not-counted', code: 'ATTESTATION_MISSING' });
  });

  it('LOG_TILES_INVALID: a tile changed under a signed checkpoint', async () => {
    const tile = join(dir, 'log', 'tile', '0', '001.p', '45');
    const original = readFileSync(tile);
    const changed = Buffer.from(original);
    changed[5] = (changed[5] ?? 0) ^ 0xff;
    writeFileSync(tile, changed);
    try {
      const client = new LogClient(url, publisher.logVkey);
      expect(await problem(auditLog(client, undefined))).toBe('LOG_TILES_INVALID');
    } finally {
      writeFileSync(tile, original);
    }
  });

  it('LOG_TILES_INVALID for log audit: an entry bundle changed under the tiles (the root still rebuilds)', async () => {
    const client = new LogClient(url, publisher.logVkey);
    await expect(auditLog(client, undefined, { entries: true })).resolves.toBeDefined();
    const bundle = join(dir, 'log', 'tile', 'entries', '001.p', '45');
    const original = readFileSync(bundle);
    const entries = decodeBundle(original);
    const changedEntry = entries.map((e, i) => (i === 7 ? Buffer.from(String(e).replace('"n":', '"m":')) : e));
    for (const changed of [encodeBundle(changedEntry), encodeBundle(entries.slice(0, -1)), Buffer.concat([original, Buffer.from([0])])]) {
      writeFileSync(bundle, changed);
      try {
        await client.checkTiles(await client.fetchCheckpoint());
        expect(await problem(auditLog(client, undefined, { entries: true }))).toBe('LOG_TILES_INVALID');
      } finally {
        writeFileSync(bundle, original);
      }
    }
  });
});

describe('reconciling on start', () => {
  it('logs the attestation of a verdict recorded without one, once', async () => {
    const d = mkdtempSync(join(tmpdir(), 't2u-reconcile-'));
    const s = new SqliteStore({ dataDir: d });
    try {
      await s.enqueue({ repo: 'r', tag: 'debian/1-1', intake: 'api' });
      const [claimed] = await s.claim({ workerId: 'w', limit: 1 });
      if (claimed === undefined) throw new Error('no job');
      // Recorded by a process that stopped before logging it.
      await s.complete(claimed.id, claimed.leaseToken, { verdict: 'reproduced', report: job('reproduced').report });
      const p = await openPublisher({ dataDir: d, log: logConfigSchema.parse({ origin: 'reconcile.test/log' }) });
      const silent = pino({ level: 'silent' });
      expect(await p.reconcile(s, silent)).toBe(1);
      expect(await p.reconcile(s, silent)).toBe(0);
      expect(await p.logStore.indexesForDsc(SHA, 10)).toEqual([0]);
      await p.close();
    } finally {
      await s.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});
