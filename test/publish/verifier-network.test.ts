// A network of independent verifiers on loopback: three `t2u-verify serve`
// instances, each with its own key and data directory, verify the same real
// upload (a real git-debpush tag over smart HTTP, the real dgit upload) and log
// their attestations; `t2u-verify consensus` agrees. Then the failures a
// client must catch: an instance that signs a false verdict makes the result
// disputed; an instance that serves an attestation missing from its log does
// not count; an instance whose log is rewritten after a client saw it is
// LOG_INCONSISTENT for `log audit`, and the witness asked to cosign the
// rewritten log refuses.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerConsensus } from '../../src/cli/consensus-command.js';
import { registerLog } from '../../src/cli/log-command.js';
import { signAttestation } from '../../src/publish/attestation.js';
import type { ConsensusReport } from '../../src/publish/consensus.js';
import { cosignatureVkey } from '../../src/publish/cosignature.js';
import { ed25519FromPem, generateEd25519 } from '../../src/publish/ed25519.js';
import { ed25519Vkey } from '../../src/publish/signed-note.js';
import { verdictStatement } from '../../src/publish/statement.js';
import type { ReasonCode } from '../../src/report/reasons.js';
import type { VerifyReport } from '../../src/report/report.js';
import type { ServiceHandle } from '../../src/server/service.js';
import { runCommand } from '../helpers/cli.js';
import type { GitHttpServer } from '../helpers/git-http-server.js';
import { runVerifyingServe } from '../helpers/serve-command.js';
import { publishUpload, serveUploadRepos } from '../helpers/upload-served.js';
import { dscOf, uploadCase } from '../reconstruct/upload-fixtures.js';
import { apiHeaders, startTestService, verifyReport, waitFor } from '../server/service-helpers.js';
import { startMirrorServer, type MirrorServer } from '../upload/mirror-server.js';

/** Three real verifications at once on a shared machine. */
const VERDICT_MS = 400_000;
const gbp = uploadCase('gbp');
const DSC_SHA = createHash('sha256')
  .update(readFileSync(dscOf(gbp)))
  .digest('hex');

let root: string;
let gitServer: GitHttpServer;
let mirror: MirrorServer;
const stops: (() => Promise<unknown>)[] = [];

interface Instance {
  readonly name: string;
  readonly handle: ServiceHandle;
  readonly vkey: string;
}

async function serveInstance(name: string, log: Record<string, unknown>): Promise<Instance> {
  const dir = join(root, name);
  mkdirSync(dir);
  const serve = runVerifyingServe(dir, { pollMs: 50, log: { origin: `${name}.test/log`, ...log } });
  stops.push(() => serve.stop());
  const h = await serve.started(60_000);
  const vkey = (await (await fetch(`${h.url}/log/key`)).text()).trim();
  return { name, handle: h, vkey };
}

async function requestVerification(h: ServiceHandle, upload: string): Promise<string> {
  const res = await fetch(`${h.url}/api/v1/verifications`, {
    method: 'POST',
    headers: { ...apiHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ repo: `${gitServer.url}/gbp.git`, tag: gbp.tag, upload }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

/** Waits until the instance's log holds `count` attestations of the .dsc. */
async function logged(h: ServiceHandle, count: number, sha = DSC_SHA, timeoutMs = VERDICT_MS): Promise<void> {
  await waitFor(
    async () => {
      const body = (await (await fetch(`${h.url}/api/v1/attestations?dsc-sha256=${sha}`)).json()) as { attestations: unknown[] };
      return body.attestations.length >= count ? true : undefined;
    },
    'the attestation in the log',
    timeoutMs,
  );
}

/**
 * An instance whose verification says `code` about the gbp .dsc without
 * building anything, its origin `<name>.test/log`; returns once that verdict of
 * the upload is in its log.
 */
async function loggedVerdict(name: string, code: ReasonCode, upload: string): Promise<ServiceHandle> {
  const h = await startTestService({
    dataDir: join(root, name),
    config: { fetch: { allowHttpLoopback: true }, log: { origin: `${name}.test/log` } },
    verifyJob: (req) =>
      Promise.resolve({
        ...verifyReport(req, [code]),
        upload: { origin: 'x', dsc: gbp.dsc, sha256: DSC_SHA },
      } as VerifyReport),
  });
  stops.push(() => h.stop());
  await requestVerification(h, upload);
  await logged(h, 1, DSC_SHA, 20_000);
  return h;
}

const line = (i: Instance, ...witnesses: string[]) => `${i.name} ${i.handle.url} ${i.vkey} ${witnesses.join(' ')}\n`;

let alpha: Instance;
let beta: Instance;
let gamma: Instance;
const witnessKey = generateEd25519();
const epsilonKey = generateEd25519();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 't2u-network-'));
  chmodSync(root, 0o755);
  gitServer = await serveUploadRepos(root, [gbp]);
  const tree = join(root, 'mirror');
  publishUpload(tree, 'pool', gbp);
  mirror = await startMirrorServer(tree);
  writeFileSync(join(root, 'witness.pem'), witnessKey.pem, { mode: 0o600 });
  writeFileSync(join(root, 'epsilon.pem'), epsilonKey.pem, { mode: 0o600 });
  // alpha also witnesses epsilon's log (below).
  alpha = await serveInstance('alpha', {
    witness: {
      name: 'alpha.test/witness',
      keyFile: join(root, 'witness.pem'),
      logs: [{ origin: 'epsilon.test/log', vkey: ed25519Vkey('epsilon.test/log', epsilonKey.key) }],
    },
  });
}, 120_000);

afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await gitServer?.close();
  await mirror?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('a network of verifiers', () => {
  it(
    'three instances reproduce the same upload and agree; a false verdict is disputed; an unlogged attestation does not count',
    async () => {
      expect(alpha).toBeDefined();
      beta = await serveInstance('beta', {});
      gamma = await serveInstance('gamma', {});
      const upload = `${mirror.url}/pool/${gbp.dsc}`;
      await Promise.all([alpha, beta, gamma].map((i) => requestVerification(i.handle, upload)));
      await Promise.all([alpha, beta, gamma].map((i) => logged(i.handle, 1)));

      const state = join(root, 'client-state');
      const verifiers = join(root, 'verifiers');
      writeFileSync(verifiers, `# three independent verifiers\n${line(alpha)}${line(beta)}${line(gamma)}`);
      /** `consensus` on the gbp upload with the verifiers listed in `verifiers` and the client's state kept in `state`. */
      const consensusOf = (...more: string[]) =>
        runCommand(registerConsensus, ['consensus', '--upload', dscOf(gbp), '--verifiers', verifiers, '--state', state, ...more]);
      const t0 = performance.now();
      const agreed = await consensusOf('--json');
      const consensusMs = performance.now() - t0;
      const report = JSON.parse(agreed.stdout) as ConsensusReport;
      expect(report.verifiers.map((v) => `${v.name}:${v.status}:${v.verdict ?? v.code}`)).toEqual([
        'alpha:agrees:reproduced',
        'beta:agrees:reproduced',
        'gamma:agrees:reproduced',
      ]);
      expect(report.result).toBe('agreed');
      expect(agreed.code).toBe(0);
      expect(consensusMs).toBeLessThan(30_000);

      // Human output: a result line, then one line per verifier.
      const human = await consensusOf();
      const lines = human.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^AGREED: 3 independent verifiers reproduced t2u-gbp_/);
      expect(lines.slice(1)).toHaveLength(3);
      expect(lines[1]).toMatch(/^alpha +agrees +reproduced, leaf 0 of 1/);

      // A fourth instance signs a false verdict about the same .dsc.
      const liar = await loggedVerdict('liar', 'CONTENT_MISMATCH', upload);
      const liarInstance = { name: 'liar', handle: liar, vkey: (await (await fetch(`${liar.url}/log/key`)).text()).trim() };
      writeFileSync(verifiers, `${line(alpha)}${line(beta)}${line(gamma)}${line(liarInstance)}`);
      const disputed = await consensusOf('--threshold', '3');
      expect(disputed.code).toBe(1);
      expect(disputed.stdout).toMatch(/^DISPUTED: liar attests a mismatch or rejection/);
      expect(disputed.stdout).toMatch(/\nliar +disputes +mismatch \(CONTENT_MISMATCH\)/);

      // An instance that shows a signed "reproduced" that is not in its log: its
      // own log holds only an unverifiable verdict; a proxy adds the other.
      const shady = await loggedVerdict('shady', 'FETCH_FAILED', upload);
      const shadyKey = ed25519FromPem(readFileSync(join(root, 'shady', 'log-key.pem')));
      const forged = signAttestation(
        verdictStatement(
          { ...verifyReport({ repo: 'r', tag: gbp.tag }), upload: { origin: 'x', dsc: gbp.dsc, sha256: DSC_SHA } },
          { verifierVersion: '0', startedOn: new Date(), finishedOn: new Date() },
        ),
        { name: 'shady.test/log', key: shadyKey },
      ).toString();
      const proxy: Server = createServer((req, res) => {
        void (async () => {
          const upstream = await fetch(`${shady.url}${req.url ?? '/'}`);
          let body = Buffer.from(await upstream.arrayBuffer());
          if ((req.url ?? '').startsWith('/api/v1/attestations')) {
            const j = JSON.parse(body.toString()) as { attestations: { index: number; envelope: string; inclusionProof: string[] }[] };
            const real = j.attestations[0];
            j.attestations = [{ index: 0, envelope: forged, inclusionProof: real?.inclusionProof ?? [] }];
            body = Buffer.from(JSON.stringify(j));
          }
          res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' });
          res.end(body);
        })();
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
      stops.push(() => new Promise((r) => proxy.close(r)));
      const address = proxy.address();
      const proxyUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
      const shadyVkey = (await (await fetch(`${shady.url}/log/key`)).text()).trim();
      writeFileSync(verifiers, `${line(alpha)}${line(beta)}shady ${proxyUrl} ${shadyVkey}\n`);
      const partial = await consensusOf('--json');
      const partialReport = JSON.parse(partial.stdout) as ConsensusReport;
      expect(partialReport.verifiers.find((v) => v.name === 'shady')).toMatchObject({
        status: 'not-counted',
        code: 'ATTESTATION_NOT_IN_LOG',
      });
      expect(partialReport.result).toBe('insufficient');
      expect(partial.code).toBe(3);
      // With a threshold the other two meet, the shady one is simply not counted.
      const two = await consensusOf('--threshold', '2');
      expect(two.code).toBe(0);
    },
    VERDICT_MS + 120_000,
  );

  it('a log rewritten after a client saw it is LOG_INCONSISTENT, with both checkpoints; the witness refuses to cosign the fork', async () => {
    const vkey = ed25519Vkey('epsilon.test/log', epsilonKey.key);
    const witnessVkey = cosignatureVkey('alpha.test/witness', witnessKey.key);
    const dataDir = join(root, 'epsilon');
    const start = async (history: string) => {
      const h = await startTestService({
        dataDir,
        config: {
          log: {
            origin: 'epsilon.test/log',
            keyFile: join(root, 'epsilon.pem'),
            witnesses: [{ url: `${alpha.handle.url}/witness`, vkey: witnessVkey }],
          },
        },
        verifyJob: (req) =>
          Promise.resolve({
            ...verifyReport(req, []),
            upload: {
              origin: history,
              dsc: 'x.dsc',
              sha256: createHash('sha256')
                .update(history + req.tag)
                .digest('hex'),
            },
          } as VerifyReport),
      });
      stops.push(() => h.stop());
      return h;
    };
    const grow = async (h: ServiceHandle, tags: string[], size: number) => {
      for (const tag of tags) {
        const res = await fetch(`${h.url}/api/v1/verifications`, {
          method: 'POST',
          headers: { ...apiHeaders, 'content-type': 'application/json' },
          body: JSON.stringify({ repo: 'https://salsa.debian.org/debian/x.git', tag }),
        });
        expect(res.status).toBe(202);
      }
      await waitFor(
        async () => ((await (await fetch(`${h.url}/log/checkpoint`)).text()).split('\n')[1] === String(size) ? true : undefined),
        `size ${size}`,
      );
    };
    const state = join(root, 'audit-state');
    const first = await start('first');
    await grow(first, ['debian/1-1', 'debian/1-2'], 2);
    const ok = await runCommand(registerLog, ['log', 'audit', first.url ?? '', '--key', vkey, '--witness', witnessVkey, '--state', state]);
    expect(ok.stdout).toMatch(/^OK: epsilon\.test\/log size 2 /);
    expect(ok.code).toBe(0);
    const again = await runCommand(registerLog, ['log', 'audit', first.url ?? '', '--key', vkey, '--state', state]);
    expect(again.stdout).toMatch(/consistent with size 2 seen before/);

    // The operator (or an intruder with the key) rewrites the history: same key, other entries.
    await first.stop();
    rmSync(dataDir, { recursive: true, force: true });
    const rewritten = await start('second');
    await grow(rewritten, ['debian/2-1', 'debian/2-2', 'debian/2-3'], 3);
    const alarm = await runCommand(registerLog, ['log', 'audit', rewritten.url ?? '', '--key', vkey, '--state', state]);
    expect(alarm.code).toBe(1);
    expect(alarm.stdout).toMatch(/^LOG_INCONSISTENT: the checkpoint of size 3 does not extend the one of size 2 seen before/);
    expect(alarm.stdout).toMatch(/checkpoint seen before:\nepsilon\.test\/log\n2\n[^\n]+\n\n— epsilon\.test\/log /);
    expect(alarm.stdout).toMatch(/checkpoint served now:\nepsilon\.test\/log\n3\n/);
    // The saved state is not replaced by the rewritten log: the alarm stays.
    expect((await runCommand(registerLog, ['log', 'audit', rewritten.url ?? '', '--key', vkey, '--state', state])).code).toBe(1);

    // The witness cosigned the first history and refused the rewritten one: a
    // client requiring its cosignature does not accept the new checkpoint.
    const witnessed = await runCommand(registerLog, [
      'log',
      'audit',
      rewritten.url ?? '',
      '--key',
      vkey,
      '--witness',
      witnessVkey,
      '--state',
      join(root, 'fresh-state'),
    ]);
    expect(witnessed.stdout).toMatch(/^LOG_COSIGNATURE_MISSING: /);
    expect(witnessed.code).toBe(3);
    expect(alpha.handle.publisher?.witness?.latestSize('epsilon.test/log')).toBe(2);
    // Asked directly, with the rewritten log's own consistency proof.
    const note = await (await fetch(`${rewritten.url}/log/checkpoint`)).text();
    const proof = (await (await fetch(`${rewritten.url}/api/v1/log/consistency?from=2&to=3`)).json()) as { proof: string[] };
    const refused = await fetch(`${alpha.handle.url}/witness/add-checkpoint`, {
      method: 'POST',
      body: `old 2\n${proof.proof.map((p) => `${p}\n`).join('')}\n${note}`,
    });
    expect(refused.status).toBe(422);
  }, 120_000);
});
