// Ed25519 keys through node:crypto: loading and generating PKCS#8 PEM key
// files, and converting between raw 32-byte public keys and KeyObjects (the
// raw form is what signed-note vkeys and DSSE key ids carry).
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

export interface Ed25519Key {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The 32-byte public key. */
  readonly publicRaw: Buffer;
}

export function rawPublicKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new Error('not an Ed25519 public key');
  return Buffer.from(jwk.x, 'base64url');
}

export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new Error('an Ed25519 public key is 32 bytes');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

/** Parses a PKCS#8 PEM private key file's text, which must hold an Ed25519 key. */
export function ed25519FromPem(pem: string | Buffer): Ed25519Key {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error(`the key is ${privateKey.asymmetricKeyType ?? 'not asymmetric'}, not Ed25519`);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, publicRaw: rawPublicKey(publicKey) };
}

export function generateEd25519(): { key: Ed25519Key; pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return { key: { privateKey, publicKey, publicRaw: rawPublicKey(publicKey) }, pem };
}

export function ed25519Sign(key: Ed25519Key, message: Uint8Array): Buffer {
  return sign(null, message, key.privateKey);
}

export function ed25519Verify(publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    return verify(null, message, publicKey, signature);
  } catch {
    return false;
  }
}
