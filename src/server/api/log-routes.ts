// The transparency log's routes, without authentication (docs/transparency.md):
// the c2sp.org/tlog-tiles resources under /log/, the keys, attestations of a
// .dsc with inclusion proofs, consistency proofs, and the witness's
// add-checkpoint. Without a log (log.enabled false) they answer 404.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseTilePath, tileWidthAt, TILE_WIDTH } from '../../publish/tiles.js';
import type { Publisher } from '../../publish/publisher.js';
import { MAX_ADD_CHECKPOINT_BYTES } from '../../publish/witness.js';
import { z } from 'zod';
import { schemasDocumentOnly, errorAnswer, INVALID, text, wholeNumber } from './api-schemas.js';

const NO_LOG = errorAnswer('This instance keeps no log.');

export interface LogRoutesOptions {
  readonly publisher?: Publisher;
}

/** Attestations returned for one .dsc at most. */
const MAX_ATTESTATIONS = 100;

const noLog = (reply: FastifyReply) => reply.code(404).send({ error: 'this instance keeps no log' });

/** A tree size in a query (the document shows it as an integer). */
const treeSize = wholeNumber(0, Number.MAX_SAFE_INTEGER);
const queryInt = (value: unknown): number | undefined => {
  const parsed = treeSize.safeParse(value);
  return parsed.success ? parsed.data : undefined;
};

export async function logRoutes(app: FastifyInstance, options: LogRoutesOptions): Promise<void> {
  schemasDocumentOnly(app);
  const p = options.publisher;
  const plain = 'text/plain; charset=utf-8';

  app.get(
    '/log/checkpoint',
    {
      schema: {
        summary: "The log's latest checkpoint (c2sp.org/tlog-checkpoint signed note)",
        operationId: 'logCheckpoint',
        security: [],
        response: { 200: text('The checkpoint.'), 404: NO_LOG },
      },
    },
    async (_req, reply) => {
      if (p === undefined) return noLog(reply);
      return reply.type(plain).header('cache-control', 'no-cache').send(p.log.current.note);
    },
  );

  app.get(
    '/log/key',
    {
      schema: {
        summary: "The log's verifier key (c2sp.org/signed-note vkey)",
        operationId: 'logKey',
        security: [],
        response: { 200: text('The vkey.'), 404: NO_LOG },
      },
    },
    async (_req, reply) => (p === undefined ? noLog(reply) : reply.type(plain).send(`${p.logVkey}\n`)),
  );
  app.get(
    '/attestations/key',
    {
      schema: {
        summary: 'The verifier keys of the attestations (DSSE, Ed25519), the current one first, then retired ones',
        operationId: 'attestationKey',
        security: [],
        response: { 200: text('The vkeys, one a line.'), 404: NO_LOG },
      },
    },
    async (_req, reply) => (p === undefined ? noLog(reply) : reply.type(plain).send(`${p.attestationVkeys.join('\n')}\n`)),
  );

  app.get(
    '/log/tile/*',
    {
      schema: {
        summary: 'A tile of the log (c2sp.org/tlog-tiles): tile/L/N[.p/W] or tile/entries/N[.p/W]',
        operationId: 'logTile',
        security: [],
        params: z.object({ '*': z.string().describe('The tile path after /log/tile/.') }),
        response: { 200: text('The tile.', 'application/octet-stream'), 404: text('No such tile (or this instance keeps no log).') },
      },
    },
    async (req, reply) => {
      if (p === undefined) return noLog(reply);
      const rest = (req.params as { '*': string })['*'];
      const coord = parseTilePath(rest);
      // Only tiles of the published size: nothing beyond the checkpoint.
      const size = p.log.current.size;
      const available = coord === undefined ? 0 : tileWidthAt(coord.level === 'entries' ? 0 : coord.level, coord.n, size);
      if (coord === undefined || coord.width > available) return reply.code(404).type(plain).send('no such tile\n');
      const data = await p.log.readTile(coord);
      if (data === undefined) return reply.code(404).type(plain).send('no such tile\n');
      const immutable = coord.width === TILE_WIDTH ? 'public, max-age=31536000, immutable' : 'public, max-age=3600';
      return reply.type('application/octet-stream').header('cache-control', immutable).send(data);
    },
  );

  app.get(
    '/api/v1/attestations',
    {
      schema: {
        summary: "Every attestation of one .dsc in this instance's transparency log, with inclusion proofs (docs/transparency.md)",
        operationId: 'getAttestations',
        security: [],
        querystring: z.object({
          'dsc-sha256': z
            .string()
            .regex(/^[0-9a-fA-F]{64}$/)
            .describe('The SHA-256 of the .dsc file.'),
        }),
        response: {
          200: z
            .object({
              checkpoint: z.string().describe('The signed checkpoint (c2sp.org/tlog-checkpoint) the proofs are against.'),
              logKey: z.string().describe("The log's vkey (c2sp.org/signed-note)."),
              attestations: z.array(
                z.object({
                  index: z.number().int().describe('The leaf index.'),
                  envelope: z.string().describe('The DSSE envelope JSON, exactly the leaf bytes.'),
                  inclusionProof: z.array(z.string().describe('base64 SHA-256 hash')),
                }),
              ),
            })
            .describe(`The current checkpoint and the attestations it includes (oldest first, at most ${MAX_ATTESTATIONS}).`),
          400: INVALID,
          404: NO_LOG,
        },
      },
    },
    async (req, reply) => {
      if (p === undefined) return noLog(reply);
      const sha = (req.query as Record<string, unknown>)['dsc-sha256'];
      if (typeof sha !== 'string' || !/^[0-9a-fA-F]{64}$/.test(sha)) {
        return reply.code(400).send({ error: 'dsc-sha256 must be 64 hexadecimal digits', path: 'dsc-sha256' });
      }
      const { size, note } = p.log.current;
      const indexes = (await p.logStore.indexesForDsc(sha.toLowerCase(), MAX_ATTESTATIONS)).filter((i) => i < size);
      const attestations = await Promise.all(
        indexes.map(async (index) => {
          const [entry] = await p.logStore.leaves(index, index + 1);
          const proof = await p.log.inclusionProof(index, size);
          return { index, envelope: entry?.toString('utf8') ?? '', inclusionProof: proof.map((h) => h.toString('base64')) };
        }),
      );
      return reply.header('cache-control', 'no-cache').send({ checkpoint: note, logKey: p.logVkey, attestations });
    },
  );

  app.get(
    '/api/v1/log/consistency',
    {
      schema: {
        summary: 'An RFC 6962 consistency proof between two sizes of the log',
        operationId: 'getConsistencyProof',
        security: [],
        querystring: z.object({
          from: treeSize,
          to: treeSize.describe('At most the current checkpoint size.'),
        }),
        response: {
          200: z
            .object({ from: z.number().int(), to: z.number().int(), proof: z.array(z.string().describe('base64 SHA-256 hash')) })
            .describe('The proof.'),
          400: INVALID,
          404: NO_LOG,
        },
      },
    },
    async (req, reply) => {
      if (p === undefined) return noLog(reply);
      const q = req.query as Record<string, unknown>;
      const from = queryInt(q['from']);
      const to = queryInt(q['to']);
      const size = p.log.current.size;
      if (from === undefined) return reply.code(400).send({ error: 'from must be a tree size', path: 'from' });
      if (to === undefined || to < from || to > size)
        return reply.code(400).send({ error: `to must be a tree size from ${from} to ${size}`, path: 'to' });
      const proof = await p.log.consistencyProof(from, to);
      return reply.send({ from, to, proof: proof.map((h) => h.toString('base64')) });
    },
  );

  await app.register((witnessApp, _opts, done) => {
    witnessApp.removeAllContentTypeParsers();
    witnessApp.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_ADD_CHECKPOINT_BYTES }, (_req, body, done) =>
      done(null, body),
    );
    witnessApp.post(
      '/witness/add-checkpoint',
      {
        schema: {
          summary: "A log's checkpoint for this witness to cosign (c2sp.org/tlog-witness add-checkpoint)",
          operationId: 'witnessAddCheckpoint',
          security: [],
          consumes: ['text/plain'],
          body: { type: 'string', description: 'old N, the consistency proof lines, a blank line, then the signed checkpoint note.' },
          response: {
            200: text("The witness's cosignature lines."),
            403: text('The log is not known to this witness, or its signature does not verify.'),
            404: text('This instance is not a witness.'),
            409: text('The old size is not the latest this witness has (the body is the size it has).', 'text/x.tlog.size'),
            422: text('The consistency proof does not verify.'),
            400: text('The request is malformed.'),
          },
        },
      },
      async (req, reply) => {
        const witness = p?.witness;
        if (witness === undefined) return reply.code(404).type(plain).send('this instance is not a witness\n');
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const res = await witness.addCheckpoint(body);
        return reply.code(res.status).type(res.contentType).send(res.body);
      },
    );
    done();
  });
}
