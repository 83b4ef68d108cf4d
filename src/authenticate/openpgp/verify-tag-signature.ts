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
// ones. The check itself is the one of src/authenticate/openpgp/verify-signature.ts,
// with subject `tag`, class 00 and the first packet deciding.
import type { ParsedTag } from '../../gitobj/tag-object.js';
import { reason, type Reason } from '../../report/reasons.js';
import type { DmPermissions } from '../dm-txt.js';
import type { KeyringIndex } from './keyring-index.js';
import { verifySignature, type SignaturePolicy, type SignatureResult } from './verify-signature.js';

export { DEFAULT_SIGNATURE_POLICY, type SignaturePolicy } from './verify-signature.js';

export type TagSignatureResult = SignatureResult;

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

/** Verifies the tag's signature against the keyrings under `policy`. Never throws for bad input. */
export async function verifyTagSignature(
  tag: ParsedTag,
  index: KeyringIndex,
  policy: Readonly<SignaturePolicy>,
): Promise<TagSignatureResult> {
  const split = dgitSplit(tag.raw);
  if (!split) {
    const r = tag.signature
      ? reason(
          'SIGNATURE_NOT_OPENPGP',
          `The tag is signed with ${tag.signature.format === 'ssh' ? 'SSH' : 'X.509'}; tag2upload accepts only OpenPGP.`,
          'tag',
        )
      : reason('SIGNATURE_MISSING', 'The tag object carries no signature.', 'tag');
    return { ok: false, verified: false, reasons: [r], notes: [] };
  }
  const armor = Buffer.from(split.signature).toString('latin1');
  return verifySignature(
    { subject: 'tag', what: 'the tag', signed: split.plaintext, armor, signatureClass: 'binary', packets: 'first' },
    index,
    policy,
  );
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
