// DSSE (github.com/secure-systems-lab/dsse, protocol v1): an envelope
// {payloadType, payload, signatures:[{keyid, sig}]} whose signatures are over
// PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN
// being the byte length in ASCII decimal.
import type { KeyObject } from 'node:crypto';
import { ed25519Sign, ed25519Verify, type Ed25519Key } from './ed25519.js';

export interface DsseSignature {
  readonly keyid: string;
  readonly sig: string;
}

export interface DsseEnvelope {
  readonly payloadType: string;
  readonly payload: string;
  readonly signatures: readonly DsseSignature[];
}

export function pae(payloadType: string, body: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]);
}

export function signEnvelope(payloadType: string, body: Uint8Array, key: Ed25519Key, keyid: string): DsseEnvelope {
  const sig = ed25519Sign(key, pae(payloadType, body));
  return { payloadType, payload: Buffer.from(body).toString('base64'), signatures: [{ keyid, sig: sig.toString('base64') }] };
}

/** Parses an envelope's JSON, checking its shape (not its signatures). */
export function parseEnvelope(json: string | Buffer): DsseEnvelope {
  const value: unknown = JSON.parse(json.toString());
  if (typeof value !== 'object' || value === null) throw new Error('a DSSE envelope is a JSON object');
  const { payloadType, payload, signatures } = value as Record<string, unknown>;
  if (typeof payloadType !== 'string' || typeof payload !== 'string' || !Array.isArray(signatures)) {
    throw new Error('a DSSE envelope has payloadType, payload and signatures');
  }
  const sigs = signatures.map((s: unknown) => {
    const { keyid, sig } = (typeof s === 'object' && s !== null ? s : {}) as Record<string, unknown>;
    if (typeof sig !== 'string' || (keyid !== undefined && typeof keyid !== 'string'))
      throw new Error('a DSSE signature has sig and keyid');
    return { keyid: keyid ?? '', sig };
  });
  return { payloadType, payload, signatures: sigs };
}

/**
 * The payload, when some signature verifies with `publicKey` (and carries
 * `keyid` when one is given); undefined otherwise.
 */
export function openEnvelope(env: DsseEnvelope, publicKey: KeyObject, keyid?: string): Buffer | undefined {
  const body = Buffer.from(env.payload, 'base64');
  const message = pae(env.payloadType, body);
  for (const s of env.signatures) {
    if (keyid !== undefined && s.keyid !== keyid) continue;
    if (ed25519Verify(publicKey, message, Buffer.from(s.sig, 'base64'))) return body;
  }
  return undefined;
}
