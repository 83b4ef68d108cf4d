// Judges whether a key could make a data signature at the signature's creation
// time: created, self-certified, bound (with a back-signature) for signing,
// unexpired and unrevoked at that time, and not weak under the policy.
//
// The time rule follows RFC 9580 §5.2.3.31 and §10.1 as Sequoia and
// openpgp.js apply it: the self-signatures that count are the newest valid
// ones made no later than the signature; a revocation for "key superseded" or
// "key retired" (soft) counts only if made no later than the signature, while
// one for "key compromised", "no reason" or an unknown reason (hard) makes
// every signature suspect, whenever it was made. gpg instead judges expiry and
// revocation at verification time, and gpgv emits VALIDSIG either way (which
// is all dgit's tag check looks at).
import type { Config, enums, PublicKeyPacket, PublicSubkeyPacket, SignaturePacket } from 'openpgp';
import { loadOpenpgp, openpgp } from './openpgp-module.js';
import { reason, type Reason } from '../../report/reasons.js';
import type { KeyModel, SubkeyModel } from './key-model.js';
import { RFC4880_DIGESTS, verifyWithNodeCrypto } from './node-crypto-verify.js';

export interface KeyPolicy {
  readonly rejectDigests: readonly string[];
  readonly minRsaBits: number;
  readonly rejectDsa: boolean;
  readonly rejectElgamal: boolean;
}

export interface KeyJudgement {
  /** Failures at the signature's time (KEY_* and WEAK_KEY reasons). */
  readonly reasons: Reason[];
  /** Self-signatures or bindings in force at that time whose digest the policy calls weak. */
  readonly weakBindings: Array<{ what: string; digest: string }>;
}

let cryptoOnly: Config | undefined;

/** openpgp.js does the cryptography only; every policy decision is ours, so its own refusals are switched off. */
function cryptoOnlyConfig(): Config {
  return (cryptoOnly ??= {
    ...openpgp().config,
    rejectHashAlgorithms: new Set<enums.hash>(),
    rejectMessageHashAlgorithms: new Set<enums.hash>(),
    rejectPublicKeyAlgorithms: new Set<enums.publicKey>(),
    rejectCurves: new Set<enums.curve>(),
    minRSABits: 0,
  });
}

// RFC 9580 adds SHA3-256 and SHA3-512 (which node-crypto-verify.ts leaves to openpgp.js).
const DIGEST_NAMES: Readonly<Partial<Record<number, string>>> = { ...RFC4880_DIGESTS, 12: 'sha3-256', 14: 'sha3-512' };

/** The policy name of an OpenPGP hash algorithm id ("sha256"; "hash-N" when unknown). */
export function digestName(id: number | null): string {
  return id === null ? 'unknown' : (DIGEST_NAMES[id] ?? `hash-${id}`);
}

type AnyKeyPacket = PublicKeyPacket | PublicSubkeyPacket;

/**
 * True when `sig` verifies cryptographically with `key` over `data`. Time is
 * not checked here (callers compare dates themselves). A designated-revoker
 * subpacket makes openpgp.js refuse a self-signature outright; gpg honours
 * such keys, so the subpacket is set aside for the check.
 */
export async function verifiesWith(
  sig: SignaturePacket,
  key: AnyKeyPacket,
  type: enums.signature,
  data: object | Uint8Array,
): Promise<boolean> {
  await loadOpenpgp();
  const revocationKeyClass = sig.revocationKeyClass;
  const signedHashValue = sig.signedHashValue;
  sig.revocationKeyClass = null;
  const attempt = async (): Promise<Error | undefined> => {
    try {
      await sig.verify(key, type, data, null as unknown as Date, true, cryptoOnlyConfig());
      return undefined;
    } catch (e) {
      return e as Error;
    }
  };
  try {
    let failure = await attempt();
    if (failure?.message === 'Signed digest did not match') {
      // The 16-bit digest prefix is a hint, not part of the signature: gpg verifies the
      // signature whatever it says. So the check is made again with the right prefix.
      // hash() and toHash() are openpgp.js's own steps of verify(), not in its typings.
      const inner = sig as unknown as {
        toHash(t: enums.signature, d: object | Uint8Array, detached: boolean): Uint8Array;
        hash(t: enums.signature, d: object | Uint8Array, toHash: Uint8Array, detached: boolean): Promise<Uint8Array>;
      };
      try {
        const hash = await inner.hash(type, data, inner.toHash(type, data, true), true);
        sig.signedHashValue = hash.subarray(0, 2);
        failure = await attempt();
      } catch (e) {
        failure = e as Error;
      }
    }
    if (!failure) return true;
    // Signatures openpgp.js refuses to check but gpgv verifies (node-crypto-verify.ts).
    if (failure.message !== 'Signature verification failed') return (await verifyWithNodeCrypto(sig, key, type, data)) ?? false;
    return false;
  } finally {
    sig.revocationKeyClass = revocationKeyClass;
    sig.signedHashValue = signedHashValue;
  }
}

function iso(d: Date): string {
  return d.toISOString().replace('.000Z', 'Z');
}

/** Valid at `at`: made no later than `at` and not expired then (signature expiration, RFC 9580 §5.2.3.18). */
function inForceAt(sig: SignaturePacket, at: Date): boolean {
  return sig.created !== null && sig.created <= at && !sig.isExpired(at);
}

function newest(sigs: readonly SignaturePacket[]): SignaturePacket | undefined {
  let best: SignaturePacket | undefined;
  for (const s of sigs) if (!best || s.created! >= best.created!) best = s;
  return best;
}

/** Revocations for "key superseded" and "key retired" (RFC 9580 §5.2.3.31): soft. */
function isSoft(flag: number | null): boolean {
  const { keySuperseded, keyRetired } = openpgp().enums.reasonForRevocation;
  return flag === Number(keySuperseded) || flag === Number(keyRetired);
}

function revocationReason(sig: SignaturePacket): string {
  const names: Record<number, string> = { 0: 'no reason given', 1: 'key superseded', 2: 'key compromised', 3: 'key retired' };
  const flag = sig.reasonForRevocationFlag;
  const name = flag === null ? 'no reason given' : (names[flag] ?? `reason ${flag}`);
  return sig.reasonForRevocationString ? `${name}: "${sig.reasonForRevocationString}"` : name;
}

/**
 * KEY_REVOKED for `what` when one of `revocations` verifies (as a signature of
 * `type` by `primary` over `data`) and applies at `at`: a revocation that
 * says the key was superseded or retired applies from its date on, any other
 * whatever its date.
 */
async function revocationAt(
  revocations: readonly SignaturePacket[],
  primary: PublicKeyPacket,
  type: enums.signature,
  data: object,
  at: Date,
  what: string,
): Promise<Reason | undefined> {
  for (const rev of revocations) {
    const soft = isSoft(rev.reasonForRevocationFlag);
    if ((soft && rev.created! > at) || !(await verifiesWith(rev, primary, type, data))) continue;
    return reason(
      'KEY_REVOKED',
      `${what} was revoked at ${iso(rev.created!)} (${revocationReason(rev)}); the signature is from ${iso(at)}.`,
    );
  }
  return undefined;
}

/** Algorithms that can sign at all (RFC 9580 §9.1), for keys whose self-signature has no key flags. */
const SIGNING_ALGORITHMS = new Set<number>([1, 3, 17, 19, 22, 27, 28]);

function canSign(flags: Uint8Array | null, algorithm: number): boolean {
  // Without a key-flags subpacket, usage follows the algorithm (as in gpg and openpgp.js).
  if (!flags || flags.length === 0) return SIGNING_ALGORITHMS.has(algorithm);
  return (flags[0]! & openpgp().enums.keyFlags.signData) !== 0;
}

function weakness(key: AnyKeyPacket, policy: KeyPolicy): string | undefined {
  const algorithm = key.algorithm as number;
  if (algorithm === 1 || algorithm === 2 || algorithm === 3) {
    const bits = key.getAlgorithmInfo().bits ?? 0;
    if (bits < policy.minRsaBits) return `RSA ${bits} bits (policy minimum ${policy.minRsaBits})`;
  }
  if (algorithm === 17 && policy.rejectDsa) return `DSA ${key.getAlgorithmInfo().bits ?? '?'} bits`;
  if ((algorithm === 16 || algorithm === 20) && policy.rejectElgamal) return 'ElGamal';
  return undefined;
}

/** Expiry of a key created at `created` under a self-signature, or undefined when it never expires. */
function expiryOf(created: Date, sig: SignaturePacket | undefined): Date | undefined {
  if (!sig || sig.keyNeverExpires !== false || !sig.keyExpirationTime) return undefined;
  return new Date(created.getTime() + sig.keyExpirationTime * 1000);
}

/** Judges `model` (and its subkey `signer`, when the signature was made by a subkey) at time `at`. */
export async function judgeKeyAt(model: KeyModel, signer: SubkeyModel | undefined, at: Date, policy: KeyPolicy): Promise<KeyJudgement> {
  const { enums } = await loadOpenpgp();
  const reasons: Reason[] = [];
  const weakBindings: KeyJudgement['weakBindings'] = [];
  const primary = model.primary;
  const fpr = primary.getFingerprint();
  const weakDigest = (sig: SignaturePacket | undefined, what: string): void => {
    if (!sig) return;
    const digest = digestName(sig.hashAlgorithm);
    if (policy.rejectDigests.includes(digest)) weakBindings.push({ what, digest });
  };

  // The primary key.
  if (primary.created > at) {
    reasons.push(reason('KEY_NOT_YET_VALID', `The signature (${iso(at)}) predates the creation of key ${fpr} (${iso(primary.created)}).`));
  }
  const certs: Array<{ sig: SignaturePacket; primaryUser: boolean }> = [];
  let laterOnly = false;
  for (const user of model.users) {
    const data = user.userId ? { userID: user.userId, key: primary } : { userAttribute: user.userAttribute, key: primary };
    for (const sig of user.selfCertifications) {
      if (!(await verifiesWith(sig, primary, sig.signatureType!, data))) continue;
      if (inForceAt(sig, at)) certs.push({ sig, primaryUser: !!user.userId && sig.isPrimaryUserID === true });
      else if (sig.created! > at) laterOnly = true;
    }
  }
  const directs: SignaturePacket[] = [];
  for (const sig of model.directSignatures) {
    if ((await verifiesWith(sig, primary, enums.signature.key, { key: primary })) && inForceAt(sig, at)) directs.push(sig);
  }
  // The primary user ID's newest self-signature rules the key's properties (RFC 9580 §5.2.3.10, gpg's choice too).
  const selfSig = newest(certs.filter((c) => c.primaryUser).map((c) => c.sig)) ?? newest(certs.map((c) => c.sig));
  const direct = newest(directs);
  if (!selfSig && !direct) {
    if (laterOnly && primary.created <= at) {
      reasons.push(reason('KEY_NOT_YET_VALID', `Key ${fpr} was not self-certified until after the signature (${iso(at)}).`));
    } else if (primary.created <= at) {
      reasons.push(reason('KEY_NOT_SIGNING', `Key ${fpr} has no valid self-signature in force at ${iso(at)}.`));
    }
  }
  weakDigest(selfSig, `self-signature of ${fpr}`);
  weakDigest(direct, `direct-key signature of ${fpr}`);

  const expiries = [expiryOf(primary.created, selfSig), expiryOf(primary.created, direct)].filter((d): d is Date => d !== undefined);
  const primaryExpiry = expiries.length ? new Date(Math.min(...expiries.map((d) => d.getTime()))) : undefined;
  if (primaryExpiry && at >= primaryExpiry) {
    reasons.push(reason('KEY_EXPIRED', `Key ${fpr} expired at ${iso(primaryExpiry)}, before the signature (${iso(at)}).`));
  }
  const keyRevoked = await revocationAt(model.revocations, primary, enums.signature.keyRevocation, { key: primary }, at, `Key ${fpr}`);
  if (keyRevoked) reasons.push(keyRevoked);
  const primaryWeak = weakness(primary, policy);
  if (primaryWeak) reasons.push(reason('WEAK_KEY', `Primary key ${fpr} is weak: ${primaryWeak}.`));

  if (!signer) {
    const flags = selfSig?.keyFlags ?? direct?.keyFlags ?? null;
    if ((selfSig || direct) && !canSign(flags, primary.algorithm)) {
      reasons.push(reason('KEY_NOT_SIGNING', `Key ${fpr} is not certified for signing (its key flags lack "sign data").`));
    }
    return { reasons, weakBindings };
  }

  // The subkey that made the signature.
  const sub = signer.packet;
  const subFpr = sub.getFingerprint();
  if (sub.created > at) {
    reasons.push(
      reason('KEY_NOT_YET_VALID', `The signature (${iso(at)}) predates the creation of subkey ${subFpr} (${iso(sub.created)}).`),
    );
  }
  const bindData = { key: primary, bind: sub };
  const bindings: SignaturePacket[] = [];
  let bindingLaterOnly = false;
  for (const sig of signer.bindings) {
    if (!(await verifiesWith(sig, primary, enums.signature.subkeyBinding, bindData))) continue;
    if (inForceAt(sig, at)) bindings.push(sig);
    else if (sig.created! > at) bindingLaterOnly = true;
  }
  const binding = newest(bindings);
  if (!binding) {
    if (bindingLaterOnly && sub.created <= at) {
      reasons.push(reason('KEY_NOT_YET_VALID', `Subkey ${subFpr} was not bound to ${fpr} until after the signature (${iso(at)}).`));
    } else if (sub.created <= at) {
      reasons.push(reason('KEY_NOT_SIGNING', `Subkey ${subFpr} has no valid binding signature from ${fpr} in force at ${iso(at)}.`));
    }
  } else {
    weakDigest(binding, `binding of subkey ${subFpr}`);
    if (!canSign(binding.keyFlags, sub.algorithm)) {
      reasons.push(reason('KEY_NOT_SIGNING', `Subkey ${subFpr} is not bound for signing (its key flags lack "sign data").`));
    } else {
      // A signing subkey must cross-certify its primary (RFC 9580 §5.2.1, 0x19); gpg refuses subkeys that do not.
      const back = binding.embeddedSignature;
      if (
        !back ||
        back.signatureType !== enums.signature.keyBinding ||
        !(await verifiesWith(back, sub, enums.signature.keyBinding, bindData))
      ) {
        reasons.push(reason('KEY_NOT_SIGNING', `Signing subkey ${subFpr} has no valid back-signature (it is not cross-certified).`));
      } else {
        weakDigest(back, `back-signature of subkey ${subFpr}`);
      }
    }
    const subExpiry = expiryOf(sub.created, binding);
    if (subExpiry && at >= subExpiry) {
      reasons.push(reason('KEY_EXPIRED', `Subkey ${subFpr} expired at ${iso(subExpiry)}, before the signature (${iso(at)}).`));
    }
  }
  const subRevoked = await revocationAt(signer.revocations, primary, enums.signature.subkeyRevocation, bindData, at, `Subkey ${subFpr}`);
  if (subRevoked) reasons.push(subRevoked);
  const subWeak = weakness(sub, policy);
  if (subWeak) reasons.push(reason('WEAK_KEY', `Signing subkey ${subFpr} is weak: ${subWeak}.`));
  return { reasons, weakBindings };
}
