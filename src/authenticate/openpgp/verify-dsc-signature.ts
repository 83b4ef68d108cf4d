// The binding layer's first check (docs/architecture.md §2 layer 3): the upload's .dsc is
// clearsigned by the tag2upload service key. The signature must be exactly one
// OpenPGP signature of class 01 (canonical text, what gpg --clearsign makes)
// over the cleartext as RFC 4880 §7 defines it, by a key in the upload keyring,
// and that key must have been able to sign at the signature's creation time.
// gpgv alone is not enough: it exits 0 over a key that had expired when it
// signed (debian-tag2upload-keyring 1.1's key expired on 2026-03-13). The
// OpenPGP work is the authenticate stage's: its keyring index finds the
// issuer, verifiesWith does the cryptography, judgeKeyAt the time rules.
import { SignaturePacket, enums } from 'openpgp';
import { dearmor, ArmorError } from './armor.js';
import { digestName, judgeKeyAt, verifiesWith } from './key-validity.js';
import { loadKeyrings, type KeyMatch, type KeyringIndex } from './keyring-index.js';
import { PacketFramingError, PacketTag, readPackets } from './packet-stream.js';
import { DEFAULT_SIGNATURE_POLICY, type SignaturePolicy } from './verify-tag-signature.js';
import { ClearsignError, isClearsigned, parseClearsigned, type Clearsigned } from '../../deb822/clearsigned.js';
import { reason, type Reason, type ReasonCode } from '../../report/reasons.js';

export interface DscSignatureResult {
  /** Signature valid, by a key of the upload keyring that could sign at the time. */
  readonly ok: boolean;
  readonly reasons: readonly Reason[];
  /** Lower-case fingerprint of the key that made the signature (primary key or subkey). */
  readonly signerFingerprint?: string;
  readonly primaryFingerprint?: string;
  /** The keyring file holding the signer. */
  readonly keyring?: string;
  /** The data signature's digest, e.g. "sha512". */
  readonly digestAlgorithm?: string;
  readonly created?: Date;
  /** Self-signatures or bindings with a digest the policy calls weak (a reason too when sha1KeyBindings is "reject"). */
  readonly weakBindings: ReadonlyArray<{ what: string; digest: string }>;
  /** The cleartext parts, when the framing could be read. */
  readonly clearsigned?: Clearsigned;
}

/** The key-judgement codes of the authenticate stage, restated for the upload's signer. */
const KEY_CODES: Partial<Record<ReasonCode, ReasonCode>> = {
  KEY_EXPIRED: 'UPLOAD_KEY_EXPIRED',
  KEY_REVOKED: 'UPLOAD_KEY_REVOKED',
};

function fail(code: ReasonCode, message: string, extra: Partial<DscSignatureResult> = {}): DscSignatureResult {
  return { ok: false, reasons: [reason(code, message)], weakBindings: [], ...extra };
}

/** The one signature packet of the armored block, or the reason it is not one. */
function readSignature(armor: string): SignaturePacket | Reason {
  const malformed = (why: string): Reason => reason('UPLOAD_SIGNATURE_MALFORMED', `The .dsc's signature block ${why}.`);
  let block;
  try {
    block = dearmor(armor);
  } catch (e) {
    if (e instanceof ArmorError) return malformed(`is not valid ASCII armor: ${e.message}`);
    throw e;
  }
  if (!block || block.type !== 'SIGNATURE') return malformed('is not a PGP SIGNATURE');
  let packets;
  try {
    packets = readPackets(block.data);
  } catch (e) {
    if (e instanceof PacketFramingError) return malformed(`cannot be read: ${e.message}`);
    throw e;
  }
  // gpg would check each of several signatures; the service makes one, and one is all a verdict may rest on.
  if (packets.length !== 1 || packets[0]!.tag !== PacketTag.signature) return malformed(`holds ${packets.length} packets, not exactly one signature`);
  const sig = new SignaturePacket();
  try {
    sig.read(packets[0]!.body);
  } catch (e) {
    return malformed(`cannot be parsed: ${(e as Error).message}`);
  }
  return sig;
}

/** Verifies a clearsigned .dsc against the upload keyring; never throws for bad input. */
export async function verifyDscSignature(dsc: Uint8Array, index: KeyringIndex, policy: SignaturePolicy = DEFAULT_SIGNATURE_POLICY): Promise<DscSignatureResult> {
  if (!isClearsigned(dsc)) return fail('UPLOAD_SIGNATURE_MISSING', 'The .dsc is not clearsigned.');
  let clearsigned: Clearsigned;
  try {
    clearsigned = parseClearsigned(dsc);
  } catch (e) {
    if (e instanceof ClearsignError) return fail('UPLOAD_SIGNATURE_MALFORMED', `The .dsc's cleartext signature is malformed: ${e.message}.`);
    throw e;
  }
  const sig = readSignature(clearsigned.signatureArmor);
  if (!(sig instanceof SignaturePacket)) return { ok: false, reasons: [sig], weakBindings: [], clearsigned };

  const reasons: Reason[] = [];
  const digestAlgorithm = digestName(sig.hashAlgorithm);
  const created = sig.created ?? undefined;
  const facts = { digestAlgorithm, ...(created ? { created } : {}), clearsigned };
  if (sig.signatureType !== enums.signature.text) {
    return fail('UPLOAD_SIGNATURE_MALFORMED', `The .dsc's signature is of class 0x${(sig.signatureType ?? 0).toString(16).padStart(2, '0')}; a cleartext signature is of class 01 (text).`, facts);
  }
  if (!created) return fail('UPLOAD_SIGNATURE_MALFORMED', "The .dsc's signature has no creation time.", facts);
  // gpg refuses a message whose Hash: header does not name the signature's digest.
  if (!clearsigned.hashes.some((h) => h.toLowerCase() === digestAlgorithm)) {
    reasons.push(reason('UPLOAD_SIGNATURE_INVALID', `The .dsc's Hash: header (${clearsigned.hashes.join(', ')}) does not name the signature's digest (${digestAlgorithm}).`));
  }
  if (policy.rejectDigests.includes(digestAlgorithm)) {
    reasons.push(reason('UPLOAD_WEAK_DIGEST', `The .dsc's signature uses ${digestAlgorithm.toUpperCase()}, which the policy rejects.`));
  }
  const critical = [...sig.unknownSubpackets.filter((s) => s.critical).map((s) => `subpacket ${s.type}`), ...sig.rawNotations.filter((n) => n.critical).map((n) => `notation ${n.name}`)];
  if (critical.length > 0) reasons.push(reason('UPLOAD_SIGNATURE_INVALID', `The .dsc's signature has critical ${critical.join(', ')}.`));

  const fpr = sig.issuerFingerprint && sig.issuerFingerprint.length > 0 ? Buffer.from(sig.issuerFingerprint).toString('hex') : undefined;
  const keyId = sig.issuerKeyID.toHex();
  const matches: readonly KeyMatch[] = fpr ? index.findByFingerprint(fpr) : keyId === '0000000000000000' ? [] : index.findByKeyId(keyId);
  if (matches.length === 0) {
    return { ok: false, reasons: [...reasons, reason('UPLOAD_SIGNER_UNKNOWN', `No key in the upload keyring made the .dsc signature (issuer ${fpr ?? keyId}).`)], weakBindings: [], ...facts };
  }

  // The signed text as the signature covers it; openpgp.js turns line ends into CR LF for class 01, which they already are.
  const literal = { text: null, getBytes: () => clearsigned.signed };
  for (const match of matches) {
    let model;
    try {
      model = await index.parse(match.key);
    } catch {
      continue;
    }
    const subkey = match.isPrimary ? undefined : model.subkeys.find((s) => s.packet.getFingerprint() === match.fingerprint);
    if (!match.isPrimary && !subkey) continue;
    const keyPacket = subkey ? subkey.packet : model.primary;
    if (critical.length > 0 || !(await verifiesWith(sig, keyPacket, enums.signature.text, literal))) continue;
    const judgement = await judgeKeyAt(model, subkey, created, policy);
    for (const r of judgement.reasons) reasons.push(reason(KEY_CODES[r.code] ?? 'UPLOAD_KEY_UNUSABLE', r.message));
    if (policy.sha1KeyBindings === 'reject') {
      for (const w of judgement.weakBindings) reasons.push(reason('UPLOAD_KEY_UNUSABLE', `The ${w.what} uses ${w.digest.toUpperCase()}, which the policy rejects.`));
    }
    return {
      ok: reasons.length === 0,
      reasons,
      signerFingerprint: match.fingerprint,
      primaryFingerprint: match.key.primaryFingerprint,
      keyring: match.key.keyring,
      weakBindings: judgement.weakBindings,
      ...facts,
    };
  }
  reasons.push(reason('UPLOAD_SIGNATURE_INVALID', `The .dsc's signature does not verify over its signed text (issuer ${fpr ?? keyId}).`));
  return { ok: false, reasons, weakBindings: [], ...facts };
}

/** The upload .dsc's signature by a key of `keyring` (the tag2upload service keyring), under the configured `policy`. */
export async function checkDscSignature(dsc: Uint8Array, keyring: string, policy: Readonly<SignaturePolicy> = DEFAULT_SIGNATURE_POLICY): Promise<DscSignatureResult> {
  const index = await loadKeyrings([{ path: keyring, role: 'uploader' }]);
  return verifyDscSignature(dsc, index, policy);
}
