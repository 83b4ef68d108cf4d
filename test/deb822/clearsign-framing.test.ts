// The cleartext-signature framing read as gpgv reads it: the "Hash:" armor
// headers of a real tag2upload .dsc (fixtures/dsc/upload), clearsigned again
// by a test key, are varied, and each variant is judged by the host's gpgv
// (the oracle) and by verifyDscSignature; they must agree on every variant.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKeyrings, type KeyringIndex } from '../../src/authenticate/openpgp/keyring-index.js';
import { verifyDscSignature } from '../../src/authenticate/openpgp/verify-dsc-signature.js';
import { fixtureKeys, Gpg, KEYS_DIR } from '../authenticate/gpg-harness.js';

const BODY = readFileSync(resolve(import.meta.dirname, '../../fixtures/dsc/upload/dh-ocaml_3.8.dsc'), 'latin1');
const TEXT = BODY.slice(BODY.indexOf('\n\n') + 2, BODY.indexOf('\n-----BEGIN PGP SIGNATURE-----'));

let gpg: Gpg;
let work: string;
let keyring: string;
let index: KeyringIndex;
let signed: string;

beforeAll(async () => {
  gpg = Gpg.create();
  gpg.importFile(join(KEYS_DIR, 'rsa3072.sec.asc'));
  work = mkdtempSync(join(tmpdir(), 't2u-framing-'));
  keyring = join(work, 'ring.gpg');
  writeFileSync(keyring, gpg.must(['--export']));
  index = await loadKeyrings([{ path: join(KEYS_DIR, 'rsa3072.pub.asc'), role: 'uploader' }]);
  signed = gpg
    .must(['--clearsign', '--digest-algo', 'SHA512', '-u', `${fixtureKeys().rsa3072!.signing}!`, '-o', '-'], {
      at: '20240301T000000',
      input: TEXT,
    })
    .toString('latin1');
});
afterAll(() => {
  gpg.close();
  rmSync(work, { recursive: true, force: true });
});

function gpgvAccepts(data: string): boolean {
  const f = join(work, 'x.dsc');
  writeFileSync(f, data, 'latin1');
  return spawnSync('gpgv', ['--keyring', keyring, f]).status === 0;
}

/** Header blocks: hand-picked edge cases and every combination of a few pieces. */
function variants(): string[] {
  const out = new Set<string>([
    'Hash: SHA512',
    'Hash:SHA512',
    'Hash:  SHA512',
    'Hash:\tSHA512',
    'Hash: SHA512 ',
    'Hash: SHA512\t',
    'Hash: SHA512\r',
    'Hash: sha512',
    'Hash: SHA',
    'Hash: S',
    'Hash: SHA5',
    'Hash: SHA5120',
    'Hash: SHA256',
    'Hash: SHA1',
    'Hash: SHA256, SHA512',
    'Hash: SHA256,SHA512',
    'Hash: SHA512,',
    'Hash: ,SHA512',
    'Hash: SHA512 SHA256',
    'Hash: SHA512,,SHA256',
    'Hash: MD5',
    'Hash: RIPEMD160',
    'Hash: SHA224, SHA384, SHA512',
    'Hash: ',
    'Hash:',
    'hash: SHA512',
    'HASH: SHA512',
    'Hash : SHA512',
    ' Hash: SHA512',
    'Hash: SHA512\nHash: SHA256',
    'Hash: SHA256\nHash: SHA512',
    'Comment: x',
    'Hash: SHA512\nComment: x',
    'NotDashEscaped: yes',
    'Version: 1',
    'Hash: ' + 'SHA512, '.repeat(8) + 'SHA512',
    'Hash: SHA512, RIPEMD160, SHA1, SHA224',
    'Hash: SHA-512',
    'Hash: SHA512;',
    'Hash: SHA512 ,SHA256',
    'Hash: SHA512\t,\tSHA256',
    '',
  ]);
  const names = ['SHA512', 'SHA256', 'sha512', 'SHA', 'X'];
  const seps = [', ', ',', ' ', '\t', ''];
  for (const a of names) for (const s of seps) for (const b of names) out.add(`Hash: ${a}${s}${b}`);
  for (const pre of ['Hash:', 'Hash: ', 'Hash:  ']) for (const a of names) out.add(`${pre}${a}`);
  return [...out];
}

describe('cleartext-signature headers agree with gpgv', () => {
  it('on every variant of the Hash: header of a clearsigned real .dsc', async () => {
    const [head, rest] = [signed.slice(0, signed.indexOf('\n') + 1), signed.slice(signed.indexOf('\n\n'))];
    expect(head).toBe('-----BEGIN PGP SIGNED MESSAGE-----\n');
    const disagreements: string[] = [];
    let accepted = 0;
    const all = variants();
    for (const header of all) {
      const data = header === '' ? `${head}${rest.slice(1)}` : `${head}${header}${rest}`;
      const truth = gpgvAccepts(data);
      if (truth) accepted++;
      const ours = (await verifyDscSignature(Buffer.from(data, 'latin1'), index)).ok;
      if (ours !== truth)
        disagreements.push(`${JSON.stringify(header)}: gpgv ${truth ? 'accepts' : 'refuses'}, we ${ours ? 'accept' : 'refuse'}`);
    }
    expect(disagreements).toEqual([]);
    // Both sides of the oracle are exercised.
    expect(accepted).toBeGreaterThan(5);
    expect(all.length - accepted).toBeGreaterThan(5);
  }, 300_000);
});
