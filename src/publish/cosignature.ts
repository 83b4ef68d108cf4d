// c2sp.org/tlog-cosignature, Ed25519 cosignature/v1: a witness's note
// signature on a checkpoint, key hash over type byte 0x04, signature
// u64 timestamp (big-endian) || Ed25519 signature over
// "cosignature/v1\ntime <T>\n" followed by the checkpoint's note text.
import { ed25519Sign, ed25519Verify, publicKeyFromRaw, type Ed25519Key } from './ed25519.js';
import { formatVkey, keyHash, NoteError, parseVkey, SIG_TYPE, type NoteSigner, type NoteVerifier } from './signed-note.js';

export function cosignedMessage(timestamp: number, text: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(`cosignature/v1\ntime ${timestamp}\n`), Buffer.from(text)]);
}

export function cosignatureVkey(name: string, key: Ed25519Key): string {
  return formatVkey(name, SIG_TYPE.cosignatureV1, key.publicRaw);
}

/** A signer making cosignature/v1 signatures; `now` gives the POSIX time in seconds. */
export function cosigner(name: string, key: Ed25519Key, now: () => number = () => Math.floor(Date.now() / 1000)): NoteSigner {
  const hash = keyHash(name, Buffer.concat([Buffer.of(SIG_TYPE.cosignatureV1), key.publicRaw]));
  return {
    name,
    keyHash: hash,
    sign(message) {
      const ts = now();
      const out = Buffer.alloc(8);
      out.writeBigUInt64BE(BigInt(ts));
      return Buffer.concat([out, ed25519Sign(key, cosignedMessage(ts, message))]);
    },
  };
}

/** A verifier of cosignature/v1 signatures for a type 0x04 vkey. */
export function cosignatureVerifier(vkey: string): NoteVerifier & { lastTimestamp?: number } {
  const parsed = parseVkey(vkey);
  if (parsed.type !== SIG_TYPE.cosignatureV1 || parsed.keyBytes.length !== 33)
    throw new NoteError('bad-key', 'not a cosignature/v1 Ed25519 key');
  const publicKey = publicKeyFromRaw(parsed.keyBytes.subarray(1));
  return {
    ...parsed,
    verify(message, signature) {
      if (signature.length !== 72) return false;
      const ts = signature.readBigUInt64BE(0);
      if (ts >= 2n ** 63n) return false;
      return ed25519Verify(publicKey, cosignedMessage(Number(ts), message), signature.subarray(8));
    },
  };
}
