// `verify --attest KEYFILE`: the one-off run's verdict as a signed
// attestation, the same envelope the service logs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { registerVerify } from '../../src/cli/verify-command.js';
import { UsageError } from '../../src/report/usage-error.js';
import { openAttestation } from '../../src/publish/attestation.js';
import { generateEd25519 } from '../../src/publish/ed25519.js';
import { ed25519Vkey } from '../../src/publish/signed-note.js';
import { runCommand, type CommandRun } from '../helpers/cli.js';
import { FIXTURE_KEYRINGS } from '../helpers/fixture-keyrings.js';
import { SERVICE_KEYRING, dscOf, uploadCase } from '../reconstruct/upload-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 't2u-verify-attest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]): Promise<CommandRun> => runCommand(registerVerify, ['verify', ...args]);

const gbp = uploadCase('gbp');
const trust = ['--no-default-keyrings', '--keyring', FIXTURE_KEYRINGS.uploaders, '--upload-keyring', SERVICE_KEYRING];

it('writes a signed attestation of the verdict, whatever it is', async () => {
  const { key, pem } = generateEd25519();
  const keyFile = join(dir, 'key.pem');
  writeFileSync(keyFile, pem, { mode: 0o600 });
  const out = join(dir, 'attestation.json');
  const r = await cli(
    '--repo',
    'http://127.0.0.1:9/none.git',
    '--tag',
    gbp.tag,
    '--upload',
    dscOf(gbp),
    ...trust,
    '--allow-http',
    '--attest',
    keyFile,
    '--attest-out',
    out,
    '--attest-name',
    'me.example/verify',
  );
  expect(r.code).toBe(3);
  const opened = openAttestation(readFileSync(out), ed25519Vkey('me.example/verify', key));
  if (!opened.ok) throw new Error(opened.why);
  expect(opened.statement.predicate.verdict).toBe('unverifiable');
  expect(opened.statement.predicate.reasons.map((x) => x.code)).toEqual(['FETCH_FAILED']);
  // Nothing was obtained but the request: the subject is the tag asked for.
  expect(opened.statement.subject[0]?.name).toBe(`http://127.0.0.1:9/none.git#${gbp.tag}`);
});

it('a key that is not an Ed25519 PEM key, or a bad key name, is a usage error before anything runs', async () => {
  const bad = join(dir, 'bad.pem');
  writeFileSync(bad, 'not a key');
  expect((await cli('--repo', 'x', '--tag', gbp.tag, '--upload', dscOf(gbp), '--attest', bad)).error).toBeInstanceOf(UsageError);
  const keyFile = join(dir, 'key2.pem');
  writeFileSync(keyFile, generateEd25519().pem);
  expect(
    (await cli('--repo', 'x', '--tag', gbp.tag, '--upload', dscOf(gbp), '--attest', keyFile, '--attest-name', 'a b')).error,
  ).toBeInstanceOf(UsageError);
});
