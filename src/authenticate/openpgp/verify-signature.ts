// The one OpenPGP signature check (docs/architecture.md §1, §2 layers 1 and 3,
// §5), for the tag's signature (by an uploader, in Debian's keyrings) and the
// .dsc's (by the tag2upload service, in the upload keyring). The caller cuts
// the signed bytes and the armored signature out of its document (the tag as
// dgit-repos-server cuts it, the .dsc as RFC 4880 §7 frames a cleartext
// signature) and says what it requires; the steps are the same: read the
// armored block, refuse what gpgv cannot verify (v6; v5 and v3 the verifier
// cannot), check the class, the digest and critical subpackets, find the
// issuer by fingerprint (as gpg does) or key id, verify with the first key in
// keyring order that verifies (dgit's keyring loop), and judge that key at
// the signature's creation time. gpgv alone is not enough: it exits 0 over a
// key that had expired when it signed. openpgp.js does the cryptography with
// its own refusals switched off, so that each policy failure has its own
// reason; every applicable reason is reported, each with the subject.
import type { SignaturePacket } from 'openpgp';
import { loadOpenpgp, openpgp } from './openpgp-module.js';
import { reason, withSubject, type Reason, type Subject } from '../../report/reasons.js';
import { dearmor } from './armor.js';
import type { KeyModel, SubkeyModel } from './key-model.js';
import { digestName, judgeKeyAt, verifiesWith } from './key-validity.js';
import type { KeyMatch, KeyringIndex, KeyringRole } from './keyring-index.js';
import { PacketTag, readPacket, readPackets } from './packet-stream.js';
import { isFormatError } from '../../report/format-error.js';

export interface SignaturePolicy {
  /** Data-signature digests to reject (WEAK_DIGEST); also what counts as a weak key binding. */
  rejectDigests: string[];
  /** RSA keys below this size are WEAK_KEY. */
  minRsaBits: number;
  rejectDsa: boolean;
  rejectElgamal: boolean;
  /** SHA-1 self-signatures and subkey bindings: a reason (`reject`) or a note (`report`). */
  sha1KeyBindings: 'reject' | 'report';
}

/** docs/architecture.md §5 defaults; SHA-1 bindings are only reported while Debian's keyring still carries many. */
export const DEFAULT_SIGNATURE_POLICY: Readonly<SignaturePolicy> = Object.freeze({
  rejectDigests: ['sha1', 'md5', 'ripemd160'],
  minRsaBits: 2048,
  rejectDsa: true,
  rejectElgamal: true,
  sha1KeyBindings: 'report',
});

/** A signature cut out of its document, with what its document requires of it. */
export interface SignedBytes {
  /** Whose signature: the reasons carry it, and it sets their layer and verdict. */
  readonly subject: Subject;
  /** The bytes the signature is over, as the signer's tool hashed them. */
  readonly signed: Uint8Array;
  /** The ASCII-armored signature block. */
  readonly armor: string;
  /** The class the document requires: 00 (binary; a tag) or 01 (canonical text; a cleartext signature). */
  readonly signatureClass: 'binary' | 'text';
  /**
   * `first`: the first signature packet of the block decides, and what follows
   * it changes nothing (gpgv's first status line, on which dgit acts);
   * `only`: the block must hold exactly one signature packet, and one is all
   * a verdict may rest on.
   */
  readonly packets: 'first' | 'only';
  /** A cleartext signature's Hash: header: gpg refuses a signature whose digest it does not name. */
  readonly hashHeader?: readonly string[];
  /** How messages name the document ("the tag", "the .dsc"). */
  readonly what: string;
}

export interface SignatureResult {
  /** The signature verifies, by a key acceptable under the policy. */
  readonly ok: boolean;
  /** The signature verifies over the signed bytes by the key named below (which may still fail the policy). */
  readonly verified: boolean;
  /** Failures (effect: the subject's entry in the registry). */
  readonly reasons: readonly Reason[];
  /** Findings the policy reports without rejecting (SHA1_KEY_BINDING under `report`). */
  readonly notes: readonly Reason[];
  /** Lower-case fingerprint of the key that made (or, when not verified, is named as issuer of) the signature; often a subkey. */
  readonly signerFingerprint?: string;
  readonly primaryFingerprint?: string;
  readonly keyring?: string;
  readonly keyringRole?: KeyringRole;
  /** The data signature's digest: 'sha256', 'sha512', 'sha1', … */
  readonly digestAlgorithm?: string;
  readonly created?: Date;
}

const SIGNATURE_TYPE_NAMES: Record<number, string> = { 0x00: 'binary', 0x01: 'canonical text', 0x02: 'standalone' };

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** The signature packet the input's rule names, or the reason there is none. */
function readSignature(input: SignedBytes): SignaturePacket | Reason {
  const malformed = (why: string): Reason => reason('SIGNATURE_MALFORMED', `The signature block of ${input.what} ${why}.`, input.subject);
  let armor;
  try {
    armor = dearmor(input.armor);
  } catch (e) {
    if (isFormatError(e, 'armor')) return malformed(`is not valid ASCII armor: ${e.message}`);
    throw e;
  }
  if (!armor) return malformed('has no BEGIN PGP line');
  // git accepts "BEGIN PGP MESSAGE" as a signature start, but an inline-signed message is not a detached signature.
  if (armor.type !== 'SIGNATURE') return malformed(`is a PGP ${armor.type}, not a PGP SIGNATURE`);
  let packet;
  try {
    if (input.packets === 'first') packet = readPacket(armor.data, 0);
    else {
      const all = readPackets(armor.data);
      if (all.length !== 1) return malformed(`holds ${all.length} packets, not exactly one signature`);
      packet = all[0]!;
    }
  } catch (e) {
    if (isFormatError(e, 'openpgp-packet')) return malformed(`cannot be read: ${e.message}`);
    throw e;
  }
  if (packet.tag !== PacketTag.signature) return malformed(`starts with a packet of type ${packet.tag}, not a signature packet`);
  const version = packet.body[0];
  if (version === 6) {
    return reason(
      'SIGNATURE_VERSION_REJECTED',
      `The signature of ${input.what} is a v6 (RFC 9580) signature, which tag2upload's gpgv (GnuPG 2.4) cannot verify.`,
      input.subject,
    );
  }
  if (version === 5 || version === 3) {
    return reason(
      'SIGNATURE_VERSION_UNSUPPORTED',
      `The signature of ${input.what} is a v${version} signature: gpgv verifies it, the verifier cannot.`,
      input.subject,
    );
  }
  const sig = new (openpgp().SignaturePacket)();
  try {
    sig.read(packet.body);
  } catch (e) {
    return malformed(`cannot be parsed: ${(e as Error).message}`);
  }
  if (!sig.created) return malformed('has no creation time');
  return sig;
}

interface Signer {
  readonly match: KeyMatch;
  readonly model: KeyModel;
  readonly subkey?: SubkeyModel;
}

/** The key packet a match names, within its parsed key. */
function signerOf(match: KeyMatch, model: KeyModel): Signer | undefined {
  if (match.isPrimary) return { match, model };
  const subkey = model.subkeys.find((s) => s.packet.getFingerprint() === match.fingerprint);
  return subkey ? { match, model, subkey } : undefined;
}

/** Verifies one signature against the keyrings under `policy`. Never throws for bad input. */
export async function verifySignature(
  input: SignedBytes,
  index: KeyringIndex,
  policy: Readonly<SignaturePolicy>,
): Promise<SignatureResult> {
  const { subject, what } = input;
  const failed = (reasons: Reason[], facts: Partial<SignatureResult> = {}): SignatureResult => ({
    ok: false,
    verified: false,
    reasons,
    notes: [],
    ...facts,
  });
  const { SignaturePacket, enums } = await loadOpenpgp();
  const sig = readSignature(input);
  if (!(sig instanceof SignaturePacket)) return failed([sig]);

  const reasons: Reason[] = [];
  const notes: Reason[] = [];
  const digestAlgorithm = digestName(sig.hashAlgorithm);
  const created = sig.created!;
  const facts = { digestAlgorithm, created };

  const required = input.signatureClass === 'binary' ? enums.signature.binary : enums.signature.text;
  if (sig.signatureType !== required) {
    const t = sig.signatureType ?? -1;
    const name = SIGNATURE_TYPE_NAMES[t] ?? 'not a document signature';
    const want = input.signatureClass === 'binary' ? '00 (binary)' : '01 (canonical text)';
    reasons.push(
      reason(
        'SIGNATURE_CLASS',
        `The signature of ${what} is of class 0x${t.toString(16).padStart(2, '0')} (${name}); ${what} needs class ${want}.`,
        subject,
      ),
    );
  }
  if (input.hashHeader !== undefined && !input.hashHeader.some((h) => h.toLowerCase() === digestAlgorithm)) {
    reasons.push(
      reason(
        'SIGNATURE_INVALID',
        `The Hash: header of ${what} (${input.hashHeader.join(', ')}) does not name the signature's digest (${digestAlgorithm}).`,
        subject,
      ),
    );
  }
  if (policy.rejectDigests.includes(digestAlgorithm)) {
    reasons.push(
      reason('WEAK_DIGEST', `The signature of ${what} uses ${digestAlgorithm.toUpperCase()}, which the policy rejects.`, subject),
    );
  }
  // gpg refuses a signature with a critical subpacket or notation it does not understand (RFC 9580 §5.2.3.7).
  const critical = [
    ...sig.unknownSubpackets.filter((s) => s.critical).map((s) => `subpacket ${s.type}`),
    ...sig.rawNotations.filter((n) => n.critical).map((n) => `notation ${n.name}`),
  ];
  if (critical.length > 0) {
    reasons.push(
      reason('SIGNATURE_INVALID', `The signature of ${what} has critical ${critical.join(', ')}, which no verifier may ignore.`, subject),
    );
  }

  // The issuer: by the Issuer Fingerprint subpacket when present (as gpg does), else by key id.
  const fpr = sig.issuerFingerprint && sig.issuerFingerprint.length > 0 ? hex(sig.issuerFingerprint) : undefined;
  const keyId = sig.issuerKeyID.toHex();
  const matches = fpr ? await index.findByFingerprint(fpr) : keyId === '0000000000000000' ? [] : await index.findByKeyId(keyId);
  if (matches.length === 0) {
    const named = fpr ? `fingerprint ${fpr}` : keyId === '0000000000000000' ? 'no issuer' : `key id ${keyId}`;
    return failed(
      [
        ...reasons,
        reason('KEY_UNKNOWN', `No key in the configured keyrings matches the issuer of the signature of ${what} (${named}).`, subject),
      ],
      facts,
    );
  }
  const signers: Signer[] = [];
  const unusable: string[] = [];
  for (const match of matches) {
    try {
      const s = signerOf(match, await index.parse(match.key));
      if (s) signers.push(s);
    } catch (e) {
      unusable.push(`${match.key.primaryFingerprint} in ${match.key.keyring}: ${(e as Error).message}`);
    }
  }
  if (signers.length === 0)
    return failed([...reasons, reason('KEY_UNKNOWN', `The issuer's key cannot be used: ${unusable.join('; ')}.`, subject)], facts);

  // Like dgit's keyring loop: the first key (in keyring order) that verifies the signature decides.
  // A signature of the other document class (00 for 01, 01 for 00) is rejected above, but still checked, so that a forged one also says so.
  let chosen: Signer | undefined;
  const checkable = sig.signatureType === enums.signature.binary || sig.signatureType === enums.signature.text;
  if (checkable && critical.length === 0) {
    // openpgp.js hashes the bytes of a literal-data packet (SignaturePacket.toSign; for class 01 after
    // turning line ends into CR LF, as gpg does): give it the signed bytes exactly as the document's rule cut them.
    const literal = { text: null, getBytes: () => input.signed };
    for (const s of signers) {
      if (await verifiesWith(sig, s.subkey ? s.subkey.packet : s.model.primary, sig.signatureType!, literal)) {
        chosen = s;
        break;
      }
    }
    if (!chosen)
      reasons.push(
        reason('SIGNATURE_INVALID', `The signature of ${what} does not verify over its signed bytes (issuer ${fpr ?? keyId}).`, subject),
      );
  }
  const signer = chosen ?? signers[0]!;
  const judgement = await judgeKeyAt(signer.model, signer.subkey, created, policy);
  reasons.push(...judgement.reasons.map((r) => withSubject(r, subject)));
  for (const w of judgement.weakBindings) {
    const r = reason('SHA1_KEY_BINDING', `The ${w.what} uses ${w.digest.toUpperCase()}.`, subject);
    (policy.sha1KeyBindings === 'reject' ? reasons : notes).push(r);
  }
  return {
    ok: reasons.length === 0,
    verified: chosen !== undefined,
    reasons,
    notes,
    signerFingerprint: signer.match.fingerprint,
    primaryFingerprint: signer.match.key.primaryFingerprint,
    keyring: signer.match.key.keyring,
    keyringRole: signer.match.key.role,
    ...facts,
  };
}
