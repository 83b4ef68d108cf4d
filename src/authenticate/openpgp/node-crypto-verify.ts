// Elliptic-curve signatures that gpgv verifies and openpgp.js will not:
// Ed25519 (legacy EdDSA) over a digest shorter than 256 bits, which RFC 9580
// §5.2.3.3 forbids and openpgp.js refuses ("Hash algorithm too weak for
// EdDSA"), though GnuPG accepts it; and ECDSA on the Brainpool curves, which
// openpgp.js hands to an optional module its Node build lacks. Both are
// verified here with node:crypto (OpenSSL), over the same bytes openpgp.js
// would hash. Whether such a digest is acceptable is the policy's question
// (WEAK_DIGEST), not the cryptography's.
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { enums, PublicKeyPacket, PublicSubkeyPacket, SignaturePacket } from 'openpgp';
import { loadOpenpgp } from './openpgp-module.js';

type AnyKeyPacket = PublicKeyPacket | PublicSubkeyPacket;

/**
 * The hash algorithms of RFC 4880 (§9.4) by id, under node:crypto's (OpenSSL's)
 * names, which are the signature policy's names too. gpg 2.2 knows no others.
 */
export const RFC4880_DIGESTS: Readonly<Partial<Record<number, string>>> = {
  1: 'md5',
  2: 'sha1',
  3: 'ripemd160',
  8: 'sha256',
  9: 'sha384',
  10: 'sha512',
  11: 'sha224',
};

/** DER of the named curves' OIDs (RFC 5639), by openpgp.js's curve name, and their field size in bytes. */
const BRAINPOOL: Record<string, { oid: string; size: number }> = {
  brainpoolP256r1: { oid: '06092b2403030208010107', size: 32 },
  brainpoolP384r1: { oid: '06092b240303020801010b', size: 48 },
  brainpoolP512r1: { oid: '06092b240303020801010d', size: 64 },
};
const EC_PUBLIC_KEY_OID = '06072a8648ce3d0201';

function der(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

function leftPad(bytes: Uint8Array, size: number): Buffer {
  if (bytes.length >= size) return Buffer.from(bytes.subarray(bytes.length - size));
  return Buffer.concat([Buffer.alloc(size - bytes.length), bytes]);
}

interface Inner {
  toHash(type: enums.signature, data: object | Uint8Array, detached: boolean): Uint8Array;
  params: Promise<{ r?: Uint8Array; s?: Uint8Array }> | { r?: Uint8Array; s?: Uint8Array };
}

interface EcParams {
  oid: { getName(): string };
  Q: Uint8Array;
}

/**
 * Verifies `sig` by `key` over `data` with node:crypto when the algorithm is
 * one of the two above; undefined when it is not (the caller's answer stands).
 */
export async function verifyWithNodeCrypto(
  sig: SignaturePacket,
  key: AnyKeyPacket,
  type: enums.signature,
  data: object | Uint8Array,
): Promise<boolean | undefined> {
  const { enums } = await loadOpenpgp();
  const algorithm = key.algorithm as number;
  if (algorithm !== Number(enums.publicKey.ecdsa) && algorithm !== Number(enums.publicKey.eddsaLegacy)) return undefined;
  if (!sig.issuerKeyID.equals(key.getKeyID()) || sig.publicKeyAlgorithm !== key.algorithm) return false;
  const hashName = RFC4880_DIGESTS[sig.hashAlgorithm as number];
  if (!hashName) return undefined;
  const inner = sig as unknown as Inner;
  const params = await inner.params;
  if (!params.r || !params.s) return false;
  const { oid, Q } = key.publicParams as unknown as EcParams;
  const curve = oid.getName();
  const toHash = inner.toHash(type, data, true);
  let publicKey: KeyObject;
  try {
    if (algorithm === Number(enums.publicKey.eddsaLegacy)) {
      if (curve !== 'ed25519Legacy' || Q.length !== 33 || Q[0] !== 0x40) return undefined;
      publicKey = createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(Q.subarray(1)).toString('base64url') },
        format: 'jwk',
      });
      // OpenPGP's EdDSA signs the digest itself (RFC 9580 §5.2.3.3 with the legacy encoding of r and s).
      const digest = createHash(hashName).update(toHash).digest();
      return verify(null, digest, publicKey, Buffer.concat([leftPad(params.r, 32), leftPad(params.s, 32)]));
    }
    const bp = BRAINPOOL[curve];
    if (!bp) return undefined;
    const algorithmId = der(0x30, Buffer.concat([Buffer.from(EC_PUBLIC_KEY_OID, 'hex'), Buffer.from(bp.oid, 'hex')]));
    const spki = der(0x30, Buffer.concat([algorithmId, der(0x03, Buffer.concat([Buffer.from([0]), Q]))]));
    publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    return verify(
      hashName,
      toHash,
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.concat([leftPad(params.r, bp.size), leftPad(params.s, bp.size)]),
    );
  } catch {
    return false;
  }
}
