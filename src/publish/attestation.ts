// Signing and opening verdict attestations: a verdict Statement in a DSSE
// envelope. The envelope's keyid is the signing key's vkey without its key
// material (`name+hash`), so it names the key served at /log/key or
// /attestations/key.
import { parseEnvelope, openEnvelope, signEnvelope, type DsseEnvelope } from './dsse.js';
import type { Ed25519Key } from './ed25519.js';
import { ed25519Vkey, parseVkey } from './signed-note.js';
import { publicKeyFromRaw } from './ed25519.js';
import { INTOTO_PAYLOAD_TYPE, parseVerdictStatement, type Statement } from './statement.js';

export interface AttestationKey {
  readonly name: string;
  readonly key: Ed25519Key;
}

export function keyidOf(vkey: string): string {
  const first = vkey.indexOf('+');
  return vkey.slice(0, vkey.indexOf('+', first + 1));
}

export function attestationVkey(k: AttestationKey): string {
  return ed25519Vkey(k.name, k.key);
}

/** The envelope's JSON bytes, as the log stores them. */
export function signAttestation(statement: Statement, k: AttestationKey): Buffer {
  const env = signEnvelope(INTOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(statement)), k.key, keyidOf(attestationVkey(k)));
  return Buffer.from(JSON.stringify(env));
}

export type OpenedAttestation =
  { readonly ok: true; readonly envelope: DsseEnvelope; readonly statement: Statement } | { readonly ok: false; readonly why: string };

/**
 * Checks an envelope's signature with an Ed25519 vkey, or with any of
 * several (a verifier's current attestation key and those it retired), and
 * reads its verdict statement.
 */
export function openAttestation(envelopeJson: Buffer | string, vkeys: string | readonly string[]): OpenedAttestation {
  let last: OpenedAttestation = { ok: false, why: 'no verifier key' };
  for (const vkey of typeof vkeys === 'string' ? [vkeys] : vkeys) {
    last = openWith(envelopeJson, vkey);
    if (last.ok) return last;
  }
  return last;
}

function openWith(envelopeJson: Buffer | string, vkey: string): OpenedAttestation {
  let envelope: DsseEnvelope;
  try {
    envelope = parseEnvelope(envelopeJson);
  } catch (e) {
    return { ok: false, why: `not a DSSE envelope: ${(e as Error).message}` };
  }
  if (envelope.payloadType !== INTOTO_PAYLOAD_TYPE) return { ok: false, why: `payload type ${envelope.payloadType}` };
  const parsed = parseVkey(vkey);
  const payload = openEnvelope(envelope, publicKeyFromRaw(parsed.keyBytes.subarray(1)), keyidOf(vkey.trim()));
  if (payload === undefined) return { ok: false, why: 'no signature by the verifier key' };
  const statement = parseVerdictStatement(payload);
  if (statement === undefined) return { ok: false, why: 'not a verdict statement' };
  return { ok: true, envelope, statement };
}
