// c2sp.org/signed-note: a text note followed by a blank line and signature
// lines `— <name> base64(key hash || signature)`, and verifier keys written
// `<name>+<hex key hash>+base64(type byte || public key)`.
//
// The parser follows golang.org/x/mod/sumdb/note's Open: the whole note is
// valid UTF-8 without control characters other than newline, the signature
// block is after the last blank line, at most 100 signatures are read,
// signatures by unknown keys are kept apart, and a signature by a known key that
// does not verify fails the whole note. Key hashes are
// SHA-256(name || "\n" || type byte || public key)[:4].
import { createHash } from 'node:crypto';
import { ed25519Sign, ed25519Verify, publicKeyFromRaw, type Ed25519Key } from './ed25519.js';

/** Signature type bytes of c2sp.org/signed-note. */
export const SIG_TYPE = { ed25519: 0x01, cosignatureV1: 0x04 } as const;

/** Notes are small (a checkpoint is a few hundred bytes); anything bigger is refused before parsing. */
export const MAX_NOTE_BYTES = 64 * 1024;
const MAX_SIGNATURES = 100;
const SIG_PREFIX = '— ';

export class NoteError extends Error {
  constructor(
    readonly kind: 'malformed' | 'bad-signature' | 'unverified' | 'bad-key',
    message: string,
  ) {
    super(message);
    this.name = 'NoteError';
  }
}

export interface NoteSigner {
  readonly name: string;
  readonly keyHash: number;
  sign(message: Buffer): Buffer;
}

export interface NoteVerifier {
  readonly name: string;
  readonly keyHash: number;
  readonly type: number;
  /** The public key with its type byte, as in the vkey. */
  readonly keyBytes: Buffer;
  verify(message: Buffer, signature: Buffer): boolean;
}

export interface NoteSignature {
  readonly name: string;
  readonly keyHash: number;
  /** The base64 text of the signature line: key hash and signature. */
  readonly base64: string;
}

export interface OpenedNote {
  /** The note's text, ending with a newline, without the blank line and signatures. */
  readonly text: string;
  readonly verified: NoteSignature[];
  readonly unverified: NoteSignature[];
}

export function isValidKeyName(name: string): boolean {
  return name !== '' && !/[\s+]/u.test(name) && wellFormed(name);
}

function wellFormed(s: string): boolean {
  return Buffer.from(s, 'utf8').toString('utf8') === s;
}

export function keyHash(name: string, keyBytes: Uint8Array): number {
  return createHash('sha256').update(name, 'utf8').update('\n').update(keyBytes).digest().readUInt32BE(0);
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

/** The vkey of a verifier: `name+hash+base64(type || key)`. */
export function formatVkey(name: string, type: number, publicRaw: Uint8Array): string {
  if (!isValidKeyName(name)) throw new NoteError('bad-key', `invalid key name ${JSON.stringify(name)}`);
  const keyBytes = Buffer.concat([Buffer.of(type), publicRaw]);
  return `${name}+${hex8(keyHash(name, keyBytes))}+${keyBytes.toString('base64')}`;
}

export function ed25519NoteSigner(name: string, key: Ed25519Key): NoteSigner {
  if (!isValidKeyName(name)) throw new NoteError('bad-key', `invalid key name ${JSON.stringify(name)}`);
  const hash = keyHash(name, Buffer.concat([Buffer.of(SIG_TYPE.ed25519), key.publicRaw]));
  return { name, keyHash: hash, sign: (message) => ed25519Sign(key, message) };
}

/** The vkey line a log serves for its Ed25519 note key. */
export function ed25519Vkey(name: string, key: Ed25519Key): string {
  return formatVkey(name, SIG_TYPE.ed25519, key.publicRaw);
}

/**
 * Parses a vkey. Ed25519 note keys (type 0x01) verify plain signatures;
 * cosignature/v1 keys (type 0x04) verify timestamped cosignatures (see
 * cosignature.ts, which builds the verifier for those).
 */
export function parseVkey(vkey: string): { name: string; keyHash: number; type: number; keyBytes: Buffer } {
  // Names never contain '+' while base64 may: split at the first two.
  const trimmed = vkey.trim();
  const first = trimmed.indexOf('+');
  const second = first < 0 ? -1 : trimmed.indexOf('+', first + 1);
  if (first <= 0 || second < 0) throw new NoteError('bad-key', 'a vkey is name+hash+base64');
  const name = trimmed.slice(0, first);
  const hashText = trimmed.slice(first + 1, second);
  const b64 = trimmed.slice(second + 1);
  if (!isValidKeyName(name) || !/^[0-9a-f]{8}$/.test(hashText) || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    throw new NoteError('bad-key', 'a vkey is name+hash+base64');
  }
  const keyBytes = Buffer.from(b64, 'base64');
  const type = keyBytes[0];
  if (type === undefined || keyBytes.toString('base64') !== b64) throw new NoteError('bad-key', 'the vkey key is not canonical base64');
  if (keyHash(name, keyBytes) !== Number.parseInt(hashText, 16))
    throw new NoteError('bad-key', 'the vkey hash does not match its name and key');
  return { name, keyHash: Number.parseInt(hashText, 16), type, keyBytes };
}

/** A verifier for an Ed25519 (type 0x01) vkey. */
export function ed25519NoteVerifier(vkey: string): NoteVerifier {
  const parsed = parseVkey(vkey);
  if (parsed.type !== SIG_TYPE.ed25519 || parsed.keyBytes.length !== 33) throw new NoteError('bad-key', 'not an Ed25519 note key');
  const publicKey = publicKeyFromRaw(parsed.keyBytes.subarray(1));
  return { ...parsed, verify: (message, signature) => ed25519Verify(publicKey, message, signature) };
}

function signatureLine(name: string, hash: number, signature: Buffer): string {
  const body = Buffer.alloc(4 + signature.length);
  body.writeUInt32BE(hash >>> 0, 0);
  signature.copy(body, 4);
  return `${SIG_PREFIX}${name} ${body.toString('base64')}\n`;
}

/** Signs a note's text (which ends with a newline); `extraLines` are signature lines already held. */
export function signNote(text: string, signers: readonly NoteSigner[], extraLines: readonly string[] = []): string {
  if (!text.endsWith('\n') || text.includes('\n\n'))
    throw new NoteError('malformed', 'a note text ends with one newline and has no blank line');
  const message = Buffer.from(text, 'utf8');
  const lines = signers.map((s) => signatureLine(s.name, s.keyHash, s.sign(message)));
  return `${text}\n${[...lines, ...extraLines].join('')}`;
}

/** The signature lines of a note, unchecked (for carrying them over). */
export function signatureLines(note: string): string[] {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return [];
  return note
    .slice(split + 2)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => `${l}\n`);
}

function hasBadCharacters(msg: string): boolean {
  for (let i = 0; i < msg.length; i++) {
    const c = msg.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) return true;
  }
  return false;
}

/**
 * Opens a note: parses it and checks every signature by a known key. Throws
 * NoteError `malformed`, `bad-signature` (a known key's signature does not
 * verify) or `unverified` (no known key signed it).
 */
export function openNote(bytes: Buffer | string, known: readonly NoteVerifier[]): OpenedNote {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  if (buf.length > MAX_NOTE_BYTES) throw new NoteError('malformed', `the note is over ${MAX_NOTE_BYTES} bytes`);
  const msg = buf.toString('utf8');
  if (hasBadCharacters(msg) || !Buffer.from(msg, 'utf8').equals(buf))
    throw new NoteError('malformed', 'the note is not UTF-8 text without control characters');
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('malformed', 'the note has no signature block');
  const text = msg.slice(0, split + 1);
  const sigs = msg.slice(split + 2);
  if (sigs === '' || !sigs.endsWith('\n')) throw new NoteError('malformed', 'the signature block does not end with a newline');
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  const message = Buffer.from(text, 'utf8');
  const lines = sigs.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new NoteError('malformed', `the note has over ${MAX_SIGNATURES} signatures`);
  for (const line of lines) {
    if (!line.startsWith(SIG_PREFIX)) throw new NoteError('malformed', 'a signature line does not start with "— "');
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = space < 0 ? rest : rest.slice(0, space);
    const b64 = space < 0 ? '' : rest.slice(space + 1);
    const sig = Buffer.from(b64, 'base64');
    if (!isValidKeyName(name) || b64 === '' || sig.length < 5 || sig.toString('base64') !== b64) {
      throw new NoteError('malformed', 'a signature line is not "— name base64"');
    }
    const hash = sig.readUInt32BE(0);
    const verifier = known.find((v) => v.name === name && v.keyHash === hash);
    const id = `${name}\n${hash}`;
    if (verifier === undefined) {
      if (!seen.has(line)) unverified.push({ name, keyHash: hash, base64: b64 });
      seen.add(line);
      continue;
    }
    if (seen.has(id)) continue;
    seen.add(id);
    if (!verifier.verify(message, sig.subarray(4))) throw new NoteError('bad-signature', `the signature by ${name} does not verify`);
    verified.push({ name, keyHash: hash, base64: b64 });
  }
  if (verified.length === 0) throw new NoteError('unverified', 'no known key signed the note');
  return { text, verified, unverified };
}
