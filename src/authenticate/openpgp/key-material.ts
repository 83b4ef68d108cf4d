// The fingerprint and key id of a public (sub)key packet (RFC 9580 §5.5.4),
// computed from the packet body alone: what a keyring is indexed by, and
// what a cached keyring layout is checked against.
import { createHash } from 'node:crypto';

export interface KeyMaterial {
  /** Lower-case hex: 40 digits for v4 keys, 64 for v5 and v6. */
  readonly fingerprint: string;
  /** Lower-case 16 hex digits. */
  readonly keyId: string;
}

/** Fingerprint and key id of a public (sub)key packet body; `unsupported` for versions openpgp.js cannot use. */
export function keyMaterialOf(body: Uint8Array): KeyMaterial | { unsupported: string } {
  const version = body[0];
  if (version === 4) {
    // v4: SHA-1 over 0x99, a two-octet length and the packet body; the key id is its low 64 bits.
    if (body.length > 0xffff) return { unsupported: 'v4 key packet too long' };
    const fpr = createHash('sha1')
      .update(Uint8Array.of(0x99, body.length >> 8, body.length & 0xff))
      .update(body)
      .digest('hex');
    return { fingerprint: fpr, keyId: fpr.slice(-16) };
  }
  if (version === 6 || version === 5) {
    // v6 (and LibrePGP v5): SHA-256 over 0x9b (0x9a), a four-octet length and the body; the key id is its high 64 bits.
    const n = body.length;
    const fpr = createHash('sha256')
      .update(Uint8Array.of(version === 6 ? 0x9b : 0x9a, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff))
      .update(body)
      .digest('hex');
    return { fingerprint: fpr, keyId: fpr.slice(0, 16) };
  }
  // v3 keys (MD5 fingerprints) left Debian's keyrings in 2012 and openpgp.js 6 cannot parse them.
  return { unsupported: `version ${version ?? '(none)'} key packet` };
}
