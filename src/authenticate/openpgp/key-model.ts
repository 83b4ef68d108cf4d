// One transferable public key (RFC 9580 §10.1) as the packets that decide
// whether it could sign at a given time: the primary key, its own
// self-signatures, revocations and subkey bindings. openpgp.js's packet
// classes parse each packet (and later do the cryptography); the grouping is
// done here because openpgp.js's readKey is slow on Debian's keys (milliseconds
// per key, mostly spent on certifications by other keys, which gpgv ignores
// too) and because the policy needs every self-signature, not only the one
// openpgp.js would pick.
import type { PublicKeyPacket, PublicSubkeyPacket, SignaturePacket, UserAttributePacket, UserIDPacket } from 'openpgp';
import { loadOpenpgp, openpgp } from './openpgp-module.js';
import { PacketTag, readPackets } from './packet-stream.js';

export interface UserModel {
  /** The user ID packet, or undefined for a user attribute (photo ID). */
  readonly userId?: UserIDPacket;
  readonly userAttribute?: UserAttributePacket;
  /** Certifications (types 0x10-0x13) issued by the primary key. */
  readonly selfCertifications: readonly SignaturePacket[];
  /** Certification revocations (0x30) issued by the primary key. */
  readonly revocations: readonly SignaturePacket[];
}

export interface SubkeyModel {
  readonly packet: PublicSubkeyPacket;
  /** Subkey binding signatures (0x18). */
  readonly bindings: readonly SignaturePacket[];
  /** Subkey revocation signatures (0x28). */
  readonly revocations: readonly SignaturePacket[];
}

export interface KeyModel {
  readonly primary: PublicKeyPacket;
  /** Direct-key signatures (0x1f) issued by the primary key. */
  readonly directSignatures: readonly SignaturePacket[];
  /** Key revocation signatures (0x20). */
  readonly revocations: readonly SignaturePacket[];
  readonly users: readonly UserModel[];
  readonly subkeys: readonly SubkeyModel[];
}

/** The issuer key id or fingerprint (lower-case hex) named in a v4/v6 signature packet's subpackets. */
export function signatureIssuers(body: Uint8Array): string[] {
  const issuers: string[] = [];
  const version = body[0];
  if (version !== 4 && version !== 6 && version !== 5) return issuers;
  const wide = version === 6;
  let pos = 4;
  for (let area = 0; area < 2; area++) {
    const lenBytes = wide ? 4 : 2;
    if (pos + lenBytes > body.length) return issuers;
    let len = 0;
    for (let i = 0; i < lenBytes; i++) len = len * 256 + body[pos + i]!;
    pos += lenBytes;
    const end = Math.min(pos + len, body.length);
    while (pos < end) {
      let sublen = body[pos]!;
      if (sublen < 192) pos += 1;
      else if (sublen < 255) {
        sublen = ((sublen - 192) << 8) + (body[pos + 1] ?? 0) + 192;
        pos += 2;
      } else {
        sublen = ((body[pos + 1]! << 24) >>> 0) + (body[pos + 2]! << 16) + (body[pos + 3]! << 8) + body[pos + 4]!;
        pos += 5;
      }
      const type = (body[pos] ?? 0) & 0x7f;
      const data = body.subarray(pos + 1, pos + sublen);
      // 16: Issuer Key ID; 33: Issuer Fingerprint (a version octet, then the fingerprint).
      if (type === 16) issuers.push(Buffer.from(data).toString('hex'));
      if (type === 33) issuers.push(Buffer.from(data.subarray(1)).toString('hex'));
      pos += sublen;
    }
    pos = end;
  }
  return issuers;
}

/** Signature packets of types we need, parsed; unparsable ones are dropped (they cannot verify). */
function readSignature(body: Uint8Array): SignaturePacket | undefined {
  const sig = new (openpgp().SignaturePacket)();
  try {
    sig.read(body);
    return sig;
  } catch {
    return undefined;
  }
}

function issuedBy(sig: SignaturePacket, primary: PublicKeyPacket): boolean {
  // A signature without any issuer subpacket has an all-zero issuerKeyID; let the cryptography decide.
  return sig.issuerKeyID.toHex() === '0000000000000000' || sig.issuerKeyID.equals(primary.getKeyID());
}

/** Groups a key's packets; throws when the primary key packet cannot be parsed. */
export async function parseKeyModel(bytes: Uint8Array): Promise<KeyModel> {
  const { PublicKeyPacket, PublicSubkeyPacket, UserAttributePacket, UserIDPacket, enums } = await loadOpenpgp();
  const packets = readPackets(bytes);
  const first = packets[0];
  if (!first || first.tag !== PacketTag.publicKey) throw new Error('a key must start with a public-key packet');
  const primary = new PublicKeyPacket();
  await primary.read(first.body);
  const primaryKeyId = primary.getKeyID().toHex();
  const primaryFpr = primary.getFingerprint();

  const directSignatures: SignaturePacket[] = [];
  const revocations: SignaturePacket[] = [];
  const users: Array<{
    userId?: UserIDPacket;
    userAttribute?: UserAttributePacket;
    selfCertifications: SignaturePacket[];
    revocations: SignaturePacket[];
  }> = [];
  const subkeys: Array<{ packet: PublicSubkeyPacket; bindings: SignaturePacket[]; revocations: SignaturePacket[] }> = [];
  let user: (typeof users)[number] | undefined;
  let subkey: (typeof subkeys)[number] | undefined;

  for (const p of packets.slice(1)) {
    switch (p.tag) {
      case PacketTag.userId:
      case PacketTag.userAttribute: {
        user = { selfCertifications: [], revocations: [] };
        if (p.tag === PacketTag.userId) (user.userId = new UserIDPacket()).read(p.body);
        else (user.userAttribute = new UserAttributePacket()).read(p.body);
        users.push(user);
        subkey = undefined;
        break;
      }
      case PacketTag.publicSubkey: {
        const sub = new PublicSubkeyPacket();
        try {
          await sub.read(p.body);
        } catch {
          // A subkey openpgp.js cannot parse (unknown algorithm) cannot be the signer; skip it and its signatures.
          subkey = undefined;
          user = undefined;
          break;
        }
        subkey = { packet: sub, bindings: [], revocations: [] };
        subkeys.push(subkey);
        user = undefined;
        break;
      }
      case PacketTag.signature: {
        // Peek at the type before parsing: most signatures on Debian keys are third-party certifications.
        const type = p.body[1];
        if (subkey) {
          if (type !== enums.signature.subkeyBinding && type !== enums.signature.subkeyRevocation) break;
          const sig = readSignature(p.body);
          if (!sig || !issuedBy(sig, primary)) break;
          (type === enums.signature.subkeyBinding ? subkey.bindings : subkey.revocations).push(sig);
        } else if (user) {
          const isCert = type !== undefined && type >= Number(enums.signature.certGeneric) && type <= Number(enums.signature.certPositive);
          if (!isCert && type !== enums.signature.certRevocation) break;
          // Skip certifications by other keys without parsing them (the cheap issuer scan).
          const named = signatureIssuers(p.body);
          if (named.length > 0 && !named.some((i) => i === primaryKeyId || i === primaryFpr)) break;
          const sig = readSignature(p.body);
          if (!sig || !issuedBy(sig, primary)) break;
          (isCert ? user.selfCertifications : user.revocations).push(sig);
        } else {
          if (type !== enums.signature.key && type !== enums.signature.keyRevocation) break;
          const sig = readSignature(p.body);
          if (!sig || !issuedBy(sig, primary)) break;
          (type === enums.signature.key ? directSignatures : revocations).push(sig);
        }
        break;
      }
      default:
        // Other packets (e.g. padding) carry nothing we judge.
        break;
    }
  }
  return { primary, directSignatures, revocations, users, subkeys };
}
