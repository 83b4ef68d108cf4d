// The binding layer's first check (docs/architecture.md §2 layer 3): the upload's .dsc is
// clearsigned by the tag2upload service key. The signature must be exactly one
// OpenPGP signature of class 01 (canonical text, what gpg --clearsign makes)
// over the cleartext as RFC 4880 §7 defines it, whose digest the Hash: header
// names, by a key in the upload keyring that could sign at the signature's
// creation time (gpgv alone is not enough: it exits 0 over a key that had
// expired when it signed, as debian-tag2upload-keyring 1.1's did on
// 2026-03-13). The check is the one of src/authenticate/openpgp/verify-signature.ts,
// with subject `upload`.
import { isClearsigned, parseClearsigned, type Clearsigned } from '../../deb822/clearsigned.js';
import { reason } from '../../report/reasons.js';
import { loadKeyrings, type KeyringIndex } from './keyring-index.js';
import { DEFAULT_SIGNATURE_POLICY, verifySignature, type SignaturePolicy, type SignatureResult } from './verify-signature.js';
import { isFormatError } from '../../report/format-error.js';

export interface DscSignatureResult extends SignatureResult {
  /** The cleartext parts, when the framing could be read. */
  readonly clearsigned?: Clearsigned;
}

/** Verifies a clearsigned .dsc against the upload keyring; never throws for bad input. */
export async function verifyDscSignature(
  dsc: Uint8Array,
  index: KeyringIndex,
  policy: Readonly<SignaturePolicy> = DEFAULT_SIGNATURE_POLICY,
): Promise<DscSignatureResult> {
  const failed = (message: string, code: 'SIGNATURE_MISSING' | 'SIGNATURE_MALFORMED'): DscSignatureResult => ({
    ok: false,
    verified: false,
    reasons: [reason(code, message, 'upload')],
    notes: [],
  });
  if (!isClearsigned(dsc)) return failed('The .dsc is not clearsigned.', 'SIGNATURE_MISSING');
  let clearsigned: Clearsigned;
  try {
    clearsigned = parseClearsigned(dsc);
  } catch (e) {
    if (isFormatError(e, 'clearsigned')) return failed(`The .dsc's cleartext signature is malformed: ${e.message}.`, 'SIGNATURE_MALFORMED');
    throw e;
  }
  // The signed text as the signature covers it; openpgp.js turns line ends into CR LF for class 01, which they already are.
  const result = await verifySignature(
    {
      subject: 'upload',
      what: 'the .dsc',
      signed: clearsigned.signed,
      armor: clearsigned.signatureArmor,
      signatureClass: 'text',
      packets: 'only',
      hashHeader: clearsigned.hashes,
    },
    index,
    policy,
  );
  return { ...result, clearsigned };
}

/** The upload .dsc's signature by a key of `keyring` (the tag2upload service keyring), under the configured `policy`. */
export async function checkDscSignature(
  dsc: Uint8Array,
  keyring: string,
  policy: Readonly<SignaturePolicy> = DEFAULT_SIGNATURE_POLICY,
): Promise<DscSignatureResult> {
  const index = await loadKeyrings([{ path: keyring, role: 'uploader' }]);
  return verifyDscSignature(dsc, index, policy);
}
