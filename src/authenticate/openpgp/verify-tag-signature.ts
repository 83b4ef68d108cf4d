// The authenticity check of a tag (docs/architecture.md §1, §2 layer 1, §5), as
// tag2upload's server makes it (dgit-repos-server: parsetag_split,
// checksig_keyring, verifytag): the tag object is cut at its *first* line
// starting `-----BEGIN PGP` (git cuts at the last signature line; tag2upload
// does not); everything before is the signed plaintext, everything from there
// is handed to gpgv as the detached signature. gpgv reads the first armored
// block and dgit acts on the first signature's status (VALIDSIG of class 00
// accepts, BADSIG rejects, NO_PUBKEY tries the next keyring), so text after
// that block, further blocks and further signature packets change nothing.
// gpgv verifies a signature whose 16-bit digest prefix is wrong, verifies v4
// and (trixie's GnuPG 2.4) v5 signatures, and cannot verify v6 (RFC 9580)
// ones. openpgp.js does the cryptography with its own refusals switched off,
// so each policy failure gets its own reason code; every applicable reason is
// reported.
import { SignaturePacket, enums } from 'openpgp';
import type { ParsedTag } from '../../gitobj/tag-object.js';
import { reason, type Reason } from '../../report/reasons.js';
import { ArmorError, dearmor } from './armor.js';
import type { DmPermissions } from '../dm-txt.js';
import type { KeyModel, SubkeyModel } from './key-model.js';
import { digestName, judgeKeyAt, verifiesWith } from './key-validity.js';
import type { KeyMatch, KeyringIndex, KeyringRole } from './keyring-index.js';
import { PacketFramingError, PacketTag, readPacket } from './packet-stream.js';

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

export interface TagSignatureResult {
  /** Signature valid and key acceptable under the policy. */
  ok: boolean;
  /** Failures (effect reject). */
  reasons: Reason[];
  /** Findings the policy reports without rejecting (SHA1_KEY_BINDING under `report`). */
  notes: Reason[];
  /** Lower-case fingerprint of the key that made the signature (often a subkey), as in `Git-Tag-Info fp=`. */
  signerFingerprint?: string;
  primaryFingerprint?: string;
  keyring?: string;
  keyringRole?: KeyringRole;
  /** The data signature's digest: 'sha256', 'sha512', 'sha1', … */
  digestAlgorithm?: string;
  created?: Date;
}

const SIGNATURE_TYPE_NAMES: Record<number, string> = { 0x00: 'binary', 0x01: 'text (canonical line endings)', 0x02: 'standalone' };

function fail(reasons: Reason[], extra: Partial<TagSignatureResult> = {}): TagSignatureResult {
  return { ok: false, reasons, notes: [], ...extra };
}

/** dgit-repos-server's parsetag_split: the signature starts at the first line that starts with `-----BEGIN PGP`. */
const DGIT_SIGNATURE_START = Buffer.from('-----BEGIN PGP', 'latin1');

/** The plaintext and signature data as tag2upload cuts the raw tag object, or undefined when it finds no signature. */
export function dgitSplit(raw: Uint8Array): { plaintext: Uint8Array; signature: Uint8Array } | undefined {
  for (let pos = 0; pos < raw.length;) {
    let match = pos + DGIT_SIGNATURE_START.length <= raw.length;
    for (let i = 0; match && i < DGIT_SIGNATURE_START.length; i++) if (raw[pos + i] !== DGIT_SIGNATURE_START[i]) match = false;
    if (match) return { plaintext: raw.subarray(0, pos), signature: raw.subarray(pos) };
    const nl = raw.indexOf(0x0a, pos);
    if (nl === -1) break;
    pos = nl + 1;
  }
  return undefined;
}

/**
 * The first signature packet of the first armored block, which is the one
 * gpgv's first status line (and so dgit) is about; or why there is none.
 */
function readSignatureBlock(block: Uint8Array): SignaturePacket | Reason {
  const text = Buffer.from(block).toString('latin1');
  let armor;
  try {
    armor = dearmor(text);
  } catch (e) {
    if (e instanceof ArmorError) return reason('SIGNATURE_MALFORMED', `The signature block is not valid ASCII armor: ${e.message}.`);
    throw e;
  }
  if (!armor) return reason('SIGNATURE_MALFORMED', 'The signature block has no BEGIN PGP line.');
  if (armor.type !== 'SIGNATURE') {
    // git accepts "BEGIN PGP MESSAGE" as a signature start, but an inline-signed message is not a detached signature.
    return reason('SIGNATURE_MALFORMED', `The signature block is a PGP ${armor.type}, not a detached PGP SIGNATURE.`);
  }
  let packet;
  try {
    packet = readPacket(armor.data, 0);
  } catch (e) {
    if (e instanceof PacketFramingError) return reason('SIGNATURE_MALFORMED', `The signature's packets cannot be read: ${e.message}.`);
    throw e;
  }
  if (packet.tag !== PacketTag.signature) {
    return reason('SIGNATURE_MALFORMED', `The signature block starts with a packet of type ${packet.tag}, not a signature packet.`);
  }
  const version = packet.body[0];
  if (version === 6) {
    return reason('SIGNATURE_VERSION_REJECTED', 'The signature is a v6 (RFC 9580) signature, which tag2upload\'s gpgv (GnuPG 2.4) cannot verify.');
  }
  if (version === 5 || version === 3) {
    return reason('SIGNATURE_VERSION_UNSUPPORTED', `The signature is a v${version} signature: tag2upload's gpgv verifies it, the verifier cannot.`);
  }
  const sig = new SignaturePacket();
  try {
    sig.read(packet.body);
  } catch (e) {
    return reason('SIGNATURE_MALFORMED', `The signature packet cannot be parsed: ${(e as Error).message}.`);
  }
  return sig;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

interface Signer {
  match: KeyMatch;
  model: KeyModel;
  subkey?: SubkeyModel;
}

/** The key packet a match names, within its parsed key. */
function signerOf(match: KeyMatch, model: KeyModel): Signer | undefined {
  if (match.isPrimary) return { match, model };
  const subkey = model.subkeys.find((s) => s.packet.getFingerprint() === match.fingerprint);
  return subkey ? { match, model, subkey } : undefined;
}

/** Verifies the tag's signature against the keyrings under `policy`. Never throws for bad input. */
export async function verifyTagSignature(tag: ParsedTag, index: KeyringIndex, policy: SignaturePolicy): Promise<TagSignatureResult> {
  const split = dgitSplit(tag.raw);
  if (!split) {
    if (!tag.signature) return fail([reason('SIGNATURE_MISSING', 'The tag object carries no signature.')]);
    return fail([reason('SIGNATURE_NOT_OPENPGP', `The tag is signed with ${tag.signature.format === 'ssh' ? 'SSH' : 'X.509'}; tag2upload accepts only OpenPGP.`)]);
  }
  const sig = readSignatureBlock(split.signature);
  if (!(sig instanceof SignaturePacket)) return fail([sig]);

  const reasons: Reason[] = [];
  const notes: Reason[] = [];
  const digestAlgorithm = digestName(sig.hashAlgorithm);
  const created = sig.created!;
  const facts: Partial<TagSignatureResult> = { digestAlgorithm, created };

  const isBinary = sig.signatureType === enums.signature.binary;
  if (!isBinary) {
    const t = sig.signatureType ?? -1;
    const name = SIGNATURE_TYPE_NAMES[t] ?? 'not a document signature';
    reasons.push(reason('SIGNATURE_CLASS', `The signature is of class 0x${t.toString(16).padStart(2, '0')} (${name}); tag2upload requires class 00 (binary).`));
  }
  if (policy.rejectDigests.includes(digestAlgorithm)) {
    reasons.push(reason('WEAK_DIGEST', `The signature uses ${digestAlgorithm.toUpperCase()}, which the policy rejects.`));
  }
  // gpg refuses a signature with a critical subpacket or notation it does not understand (RFC 9580 §5.2.3.7).
  const critical = [...sig.unknownSubpackets.filter((s) => s.critical).map((s) => `subpacket ${s.type}`), ...sig.rawNotations.filter((n) => n.critical).map((n) => `notation ${n.name}`)];
  if (critical.length > 0) {
    reasons.push(reason('SIGNATURE_INVALID', `The signature has critical ${critical.join(', ')}, which no verifier may ignore.`));
  }

  // Find the issuer: by the Issuer Fingerprint subpacket when present (as gpg does), else by key id.
  const fpr = sig.issuerFingerprint && sig.issuerFingerprint.length > 0 ? hex(sig.issuerFingerprint) : undefined;
  const keyId = sig.issuerKeyID.toHex();
  const matches = fpr ? index.findByFingerprint(fpr) : keyId === '0000000000000000' ? [] : index.findByKeyId(keyId);
  if (matches.length === 0) {
    const named = fpr ? `fingerprint ${fpr}` : keyId === '0000000000000000' ? 'no issuer' : `key id ${keyId}`;
    return fail([...reasons, reason('KEY_UNKNOWN', `No key in the configured keyrings matches the signature's issuer (${named}).`)], facts);
  }

  // Like dgit's keyring loop: the first key (in keyring order) that verifies the signature decides.
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
  if (signers.length === 0) {
    return fail([...reasons, reason('KEY_UNKNOWN', `The issuer's key cannot be used: ${unusable.join('; ')}.`)], facts);
  }
  let chosen: Signer | undefined;
  // A text signature (class 01) is rejected above, but is still checked, so that a forged one also says so.
  const checkable = isBinary || sig.signatureType === enums.signature.text;
  if (checkable && critical.length === 0) {
    // openpgp.js hashes the bytes of a literal-data packet (SignaturePacket.toSign; for class 01 after
    // turning line ends into CRLF, as gpg does): give it the plaintext exactly as tag2upload cut it.
    const literal = { text: null, getBytes: () => split.plaintext };
    for (const s of signers) {
      const keyPacket = s.subkey ? s.subkey.packet : s.model.primary;
      if (await verifiesWith(sig, keyPacket, sig.signatureType!, literal)) {
        chosen = s;
        break;
      }
    }
    if (!chosen) reasons.push(reason('SIGNATURE_INVALID', 'The signature does not verify over the tag object\'s bytes.'));
  }
  const signer = chosen ?? signers[0]!;
  const signerFingerprint = signer.match.fingerprint;
  const primaryFingerprint = signer.match.key.primaryFingerprint;
  const judgement = await judgeKeyAt(signer.model, signer.subkey, created, policy);
  reasons.push(...judgement.reasons);
  for (const w of judgement.weakBindings) {
    const r = reason('SHA1_KEY_BINDING', `The ${w.what} uses ${w.digest.toUpperCase()}.`);
    (policy.sha1KeyBindings === 'reject' ? reasons : notes).push(r);
  }
  return {
    ok: reasons.length === 0,
    reasons,
    notes,
    signerFingerprint,
    primaryFingerprint,
    keyring: signer.match.key.keyring,
    keyringRole: signer.match.key.role,
    ...facts,
  };
}

/**
 * dgit's `m` keyrings: a key found in debian-maintainers or debian-nonupload
 * may upload only the packages dm.txt allows its primary fingerprint.
 * Returns DM_NOT_AUTHORISED when it may not; nothing for uploader keyrings or
 * for a signature that did not verify (its reasons already reject it).
 */
export function checkDmAuthorisation(result: TagSignatureResult, pkg: string, dm: DmPermissions | undefined): Reason[] {
  if (!result.primaryFingerprint || !result.keyringRole || result.keyringRole === 'uploader') return [];
  if (result.reasons.some((r) => r.code === 'SIGNATURE_INVALID' || r.code === 'KEY_UNKNOWN')) return [];
  const who = `Key ${result.primaryFingerprint} (from ${result.keyringRole === 'dm' ? 'the Debian Maintainers keyring' : 'the non-uploading keyring'} ${result.keyring})`;
  if (!dm) return [reason('DM_NOT_AUTHORISED', `${who} needs dm.txt permission for ${pkg}, and no dm.txt is configured.`)];
  if (!dm.isDmAuthorised(result.primaryFingerprint, pkg)) {
    return [reason('DM_NOT_AUTHORISED', `${who} is not allowed to upload ${pkg} by dm.txt.`)];
  }
  return [];
}
