import { describe, expect, it } from 'vitest';
import { attestationVkey, keyidOf, openAttestation, signAttestation } from '../../src/publish/attestation.js';
import { pae, parseEnvelope } from '../../src/publish/dsse.js';
import { generateEd25519 } from '../../src/publish/ed25519.js';
import { VERDICT_PREDICATE_TYPE, verdictStatement } from '../../src/publish/statement.js';
import type { VerifyReport } from '../../src/report/report.js';

const report = {
  schema: 't2u-verify/report/v1',
  kind: 'verify',
  verdict: 'reproduced',
  reasons: [],
  notes: [],
  layers: {},
  repo: 'https://salsa.debian.org/debian/hello.git',
  tag: { name: 'debian/1.0-1', object: 'a'.repeat(40), signerFingerprint: 'b'.repeat(40) },
  source: {},
  upload: {
    origin: '/tmp/x.dsc',
    dsc: 'hello_1.0-1.dsc',
    sha256: 'c'.repeat(64),
    source: 'hello',
    version: '1.0-1',
    gitTagInfo: 'tag=aaaa fp=bbbb',
  },
  reconstruction: {
    profile: 'trixie-umask022',
    attempts: [],
    toolchains: [],
    files: [{ name: 'hello_1.0.orig.tar.gz', expected: { size: 3, sha256: 'd'.repeat(64) }, match: true, origin: 'rebuilt' }],
    fields: [],
    dscIdentical: true,
  },
  timings: {},
} as unknown as VerifyReport;

describe('DSSE', () => {
  it("computes the pre-authentication encoding of the DSSE spec's example", () => {
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });
});

describe('verdict attestations', () => {
  const key = { name: 'verifier.example/log', key: generateEd25519().key };
  const ctx = {
    verifierVersion: '0.1.0',
    startedOn: new Date('2026-01-01T00:00:00Z'),
    finishedOn: new Date('2026-01-01T00:01:00Z'),
    tools: { dgit: '12.16' },
  };

  it('names the .dsc and its files as subjects and carries the verdict', () => {
    const st = verdictStatement(report, ctx);
    expect(st.subject).toEqual([
      { name: 'hello_1.0-1.dsc', digest: { sha256: 'c'.repeat(64) } },
      { name: 'hello_1.0.orig.tar.gz', digest: { sha256: 'd'.repeat(64) } },
    ]);
    expect(st.predicateType).toBe(VERDICT_PREDICATE_TYPE);
    expect(st.predicate.verdict).toBe('reproduced');
    expect(st.predicate.builder).toEqual({ profile: 'trixie-umask022', tools: { dgit: '12.16' } });
    expect(st.predicate.upload?.gitTagInfo).toBe('tag=aaaa fp=bbbb');
  });

  it('signs an envelope that opens with the vkey and names it by keyid', () => {
    const env = signAttestation(verdictStatement(report, ctx), key);
    const vkey = attestationVkey(key);
    expect(parseEnvelope(env).signatures[0]?.keyid).toBe(keyidOf(vkey));
    const opened = openAttestation(env, vkey);
    expect(opened.ok && opened.statement.predicate.upload?.sha256).toBe('c'.repeat(64));
  });

  it('refuses a changed payload, another key and a non-verdict statement', () => {
    const vkey = attestationVkey(key);
    const env = JSON.parse(signAttestation(verdictStatement(report, ctx), key).toString()) as { payload: string };
    const changed = {
      ...env,
      payload: Buffer.from(Buffer.from(env.payload, 'base64').toString().replace('reproduced', 'mismatch')).toString('base64'),
    };
    expect(openAttestation(JSON.stringify(changed), vkey).ok).toBe(false);
    expect(openAttestation(JSON.stringify(env), attestationVkey({ name: key.name, key: generateEd25519().key })).ok).toBe(false);
    expect(openAttestation('not json', vkey).ok).toBe(false);
  });
});
