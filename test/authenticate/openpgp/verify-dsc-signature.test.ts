// The .dsc signature check: .dsc files clearsigned by the real gpg with the
// fixture keys (fixtures/keys) standing in for the service key, compared with
// gpgv's verdict; and the real tag2upload uploads of fixtures/dsc against the
// real debian-tag2upload-keyring from the mirror: 1.2 accepts them, 1.1
// (whose key expired on 2026-03-13) does not, although gpgv exits 0.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKeyrings, type KeyringIndex } from '../../../src/authenticate/openpgp/keyring-index.js';
import { verifyDscSignature } from '../../../src/authenticate/openpgp/verify-dsc-signature.js';
import { effectOf } from '../../../src/report/reasons.js';
import { fixtureKeys, Gpg, KEYS_DIR } from '../gpg-harness.js';
import { realMirrorProblem } from '../../helpers/real-mirror.js';
import { tag2uploadKeyring } from '../../upload/tag2upload-keyring.js';

const DSC_DIR = resolve(import.meta.dirname, '../../../fixtures/dsc');
const REAL = readdirSync(DSC_DIR).filter((f) => f.endsWith('.dsc'));
const keys = fixtureKeys();
const BODY = readFileSync(join(DSC_DIR, 'upload', 'dh-ocaml_3.8.dsc'), 'latin1');
/** The real service .dsc's signed text: what a test key signs in place of the service's. */
const TEXT = BODY.slice(BODY.indexOf('\n\n') + 2, BODY.indexOf('\n-----BEGIN PGP SIGNATURE-----'));

let gpg: Gpg;
let work: string;
const indexes = new Map<string, KeyringIndex>();

/** An index over the public fixture key `name` (as a service keyring would carry it). */
async function ring(name: string): Promise<KeyringIndex> {
  let idx = indexes.get(name);
  if (!idx) {
    idx = await loadKeyrings([{ path: join(KEYS_DIR, `${name}.pub.asc`), role: 'uploader' }]);
    indexes.set(name, idx);
  }
  return idx;
}

function clearsign(key: string, text = TEXT, at = '20240301T000000', extra: string[] = []): Buffer {
  return gpg.must(['--clearsign', ...extra, '-u', `${keys[key]!.signing}!`, '-o', '-'], { at, input: text });
}

function gpgvStatus(keyring: string, data: Uint8Array): number {
  const f = join(work, 'x.dsc');
  writeFileSync(f, data);
  return spawnSync('gpgv', ['--keyring', keyring, f]).status ?? -1;
}

beforeAll(() => {
  gpg = Gpg.create();
  for (const k of ['rsa3072', 'ed25519', 'sha1', 'outsider', 'expired', 'revoked', 'rsa1024'])
    gpg.importFile(join(KEYS_DIR, `${k}.sec.asc`));
  work = mkdtempSync(join(tmpdir(), 't2u-dscsig-'));
});
afterAll(() => {
  gpg.close();
  rmSync(work, { recursive: true, force: true });
});

describe('verifyDscSignature with keys made by gpg', () => {
  it('accepts a .dsc clearsigned by the service key and names the signer', async () => {
    const r = await verifyDscSignature(clearsign('rsa3072'), await ring('rsa3072'));
    expect(r.reasons).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.signerFingerprint).toBe(keys.rsa3072!.signing.toLowerCase());
    expect(r.digestAlgorithm).toBe('sha512');
    expect(r.created?.toISOString()).toBe('2024-03-01T00:00:00.000Z');
  });

  it('reports the subkey as signer when a subkey signs', async () => {
    const r = await verifyDscSignature(clearsign('ed25519'), await ring('ed25519'));
    expect(r.ok).toBe(true);
    expect(r.signerFingerprint).toBe(keys.ed25519!.signing.toLowerCase());
    expect(r.primaryFingerprint).toBe(keys.ed25519!.primary.toLowerCase());
  });

  it('covers trailing white space and dash-escaped lines as gpg does', async () => {
    const text = `${TEXT.replace('Format: 3.0 (native)', 'Format: 3.0 (native)  \t')}-leading dash\n`;
    const signed = clearsign('rsa3072', text);
    expect(signed.toString()).toContain('\n- -leading dash\n');
    expect((await verifyDscSignature(signed, await ring('rsa3072'))).ok).toBe(true);
    // Trailing white space is outside the signature: adding some changes nothing, for gpgv and for us.
    const padded = Buffer.from(signed.toString().replace('Source: dh-ocaml\n', 'Source: dh-ocaml \n'));
    expect(gpgvStatus(join(KEYS_DIR, 'keyrings/uploaders.gpg'), padded)).toBe(0);
    expect((await verifyDscSignature(padded, await ring('rsa3072'))).ok).toBe(true);
  });

  it('SIGNATURE_INVALID when one signed byte changes (gpgv agrees)', async () => {
    const tampered = Buffer.from(clearsign('rsa3072').toString().replace('Version: 3.8', 'Version: 3.9'));
    expect(gpgvStatus(join(KEYS_DIR, 'keyrings/uploaders.gpg'), tampered)).not.toBe(0);
    const r = await verifyDscSignature(tampered, await ring('rsa3072'));
    expect(r.ok).toBe(false);
    expect(r.reasons.map((x) => x.code)).toEqual(['SIGNATURE_INVALID']);
  });

  it('SIGNATURE_INVALID when the Hash: header does not name the digest', async () => {
    const lied = Buffer.from(clearsign('rsa3072').toString().replace('Hash: SHA512', 'Hash: SHA256'));
    expect(gpgvStatus(join(KEYS_DIR, 'keyrings/uploaders.gpg'), lied)).not.toBe(0);
    const r = await verifyDscSignature(lied, await ring('rsa3072'));
    expect(r.reasons.map((x) => x.code)).toContain('SIGNATURE_INVALID');
  });

  it('KEY_UNKNOWN when the key is not in the upload keyring', async () => {
    const r = await verifyDscSignature(clearsign('outsider'), await ring('rsa3072'));
    expect(r.reasons.map((x) => x.code)).toEqual(['KEY_UNKNOWN']);
  });

  it('KEY_EXPIRED when the key had expired at the signature time, although gpgv exits 0', async () => {
    // expired.sec.asc is the key before its expiry was set; the public key expires 2024-01-02.
    const signed = clearsign('expired', TEXT, '20240301T000000');
    expect(gpgvStatus(join(KEYS_DIR, 'keyrings/uploaders.gpg'), signed)).toBe(0);
    const r = await verifyDscSignature(signed, await ring('expired'));
    expect(r.ok).toBe(false);
    expect(r.reasons.map((x) => x.code)).toEqual(['KEY_EXPIRED']);
    expect(r.signerFingerprint).toBe(keys.expired!.signing.toLowerCase());
  });

  it('KEY_REVOKED when the key was revoked', async () => {
    const r = await verifyDscSignature(clearsign('revoked', TEXT, '20240301T000000'), await ring('revoked'));
    expect(r.reasons.map((x) => x.code)).toEqual(['KEY_REVOKED']);
  });

  it('WEAK_DIGEST for a SHA-1 signature, WEAK_KEY for an RSA-1024 key', async () => {
    const weak = await verifyDscSignature(clearsign('sha1', TEXT, '20240301T000000', ['--digest-algo', 'SHA1']), await ring('sha1'));
    expect(weak.reasons.map((x) => x.code)).toEqual(['WEAK_DIGEST']);
    const small = await verifyDscSignature(clearsign('rsa1024'), await ring('rsa1024'));
    expect(small.reasons.map((x) => x.code)).toEqual(['WEAK_KEY']);
  });

  it("names the upload as the subject: the tag's codes, in the binding layer, with the binding's verdict", async () => {
    const r = await verifyDscSignature(clearsign('outsider'), await ring('rsa3072'));
    expect(r.reasons.map((x) => [x.code, x.subject, x.layer, effectOf(x)])).toEqual([['KEY_UNKNOWN', 'upload', 'binding', 'mismatch']]);
    expect(effectOf({ code: 'KEY_UNKNOWN', subject: 'tag' })).toBe('reject');
  });

  it('SIGNATURE_MISSING for a plain .dsc, SIGNATURE_MALFORMED for a broken framing or block', async () => {
    expect((await verifyDscSignature(Buffer.from(TEXT), await ring('rsa3072'))).reasons.map((x) => x.code)).toEqual(['SIGNATURE_MISSING']);
    const good = clearsign('rsa3072').toString();
    const trailing = Buffer.from(`${good}Evil: field\n`);
    expect((await verifyDscSignature(trailing, await ring('rsa3072'))).reasons.map((x) => x.code)).toEqual(['SIGNATURE_MALFORMED']);
    // Two signatures in one block (the armored packets of two signers concatenated).
    const other = clearsign('ed25519').toString();
    const b64 = (s: string): string =>
      s
        .slice(s.indexOf('-----BEGIN PGP SIGNATURE-----'))
        .split('\n')
        .slice(2)
        .filter((l) => l && !l.startsWith('=') && !l.startsWith('-----'))
        .join('');
    const both = Buffer.concat([Buffer.from(b64(good), 'base64'), Buffer.from(b64(other), 'base64')]).toString('base64');
    const doubled = `${good.slice(0, good.indexOf('-----BEGIN PGP SIGNATURE-----'))}-----BEGIN PGP SIGNATURE-----\n\n${both.match(/.{1,64}/g)!.join('\n')}\n-----END PGP SIGNATURE-----\n`;
    expect((await verifyDscSignature(Buffer.from(doubled), await ring('rsa3072'))).reasons.map((x) => x.code)).toEqual([
      'SIGNATURE_MALFORMED',
    ]);
    // A corrupted armor checksum.
    const crc = good.replace(/\n=(....)\n/, (_m, c: string) => `\n=${c === 'AAAA' ? 'BBBB' : 'AAAA'}\n`);
    expect((await verifyDscSignature(Buffer.from(crc), await ring('rsa3072'))).reasons.map((x) => x.code)).toEqual(['SIGNATURE_MALFORMED']);
  });
});

describe('real tag2upload uploads against the real debian-tag2upload-keyring', () => {
  // The mirror is a snapshot that can be caught mid-update; each case skips,
  // saying what it found, when the index it needs is not the one InRelease lists.
  it('keyring 1.2 (sid) verifies every fixture .dsc, and one changed byte breaks one', async ({ skip }) => {
    const problem = await realMirrorProblem('sid', ['main/binary-all/Packages.xz']);
    if (problem) skip(problem);
    const current = await tag2uploadKeyring('sid');
    expect(current.version).toBe('1.2');
    const idx = await loadKeyrings([{ path: current.path, role: 'uploader' }]);
    for (const file of REAL) {
      const r = await verifyDscSignature(readFileSync(join(DSC_DIR, file)), idx);
      expect(r.reasons, file).toEqual([]);
      expect(r.signerFingerprint).toBe('374d8ce4db96e9cbd4c0972a606d084e4683c079');
    }
    const raw = readFileSync(join(DSC_DIR, REAL[0]!), 'latin1');
    const forged = Buffer.from(raw.replace(/^Version: (.*)$/m, 'Version: $1+evil'), 'latin1');
    expect((await verifyDscSignature(forged, idx)).reasons.map((x) => x.code)).toEqual(['SIGNATURE_INVALID']);
  });

  it('keyring 1.1 (trixie) rejects the uploads signed after its key expired as KEY_EXPIRED, while gpgv exits 0', async ({ skip }) => {
    const problem = await realMirrorProblem('trixie', ['main/binary-all/Packages.xz']);
    if (problem) skip(problem);
    const old = await tag2uploadKeyring('trixie');
    expect(old.version).toBe('1.1');
    const oldIdx = await loadKeyrings([{ path: old.path, role: 'uploader' }]);
    let expired = 0;
    for (const file of REAL) {
      const raw = readFileSync(join(DSC_DIR, file));
      expect(gpgvStatus(old.path, raw)).toBe(0);
      const stale = await verifyDscSignature(raw, oldIdx);
      // 1.1's self-signature made the key expire at 2026-03-13T…; signatures before that still stand.
      const afterExpiry = stale.created!.getTime() > Date.parse('2026-03-14T00:00:00Z');
      if (afterExpiry) expired++;
      expect(
        stale.reasons.map((x) => x.code),
        file,
      ).toEqual(afterExpiry ? ['KEY_EXPIRED'] : []);
    }
    expect(expired).toBeGreaterThan(0);
  });
});
