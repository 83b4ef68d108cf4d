// Parses a git tag object from its raw bytes (the object's content, without
// the "tag <size>\0" header), splitting off the signature exactly as git does,
// so that the signed payload is byte for byte what the signer's gpg saw.
import { FormatError } from '../report/format-error.js';

/** Signature formats git recognises, by the first line of the block (gpg-interface.c). */
export type SignatureFormat = 'openpgp' | 'x509' | 'ssh';

const SIGNATURE_STARTS: ReadonlyArray<readonly [string, SignatureFormat]> = [
  ['-----BEGIN PGP SIGNATURE-----', 'openpgp'],
  ['-----BEGIN PGP MESSAGE-----', 'openpgp'],
  ['-----BEGIN SIGNED MESSAGE-----', 'x509'],
  ['-----BEGIN SSH SIGNATURE-----', 'ssh'],
];

export interface TagHeaders {
  readonly object: string;
  readonly type: string;
  readonly tag: string;
  /** The tagger line's value ("Name <email> 1700000000 +0000"), absent in very old tags. */
  readonly tagger?: string;
  /** The tagger line's value as bytes, undecoded (what dgit copies into Git-Tag-Tagger). */
  readonly taggerBytes?: Uint8Array;
}

export interface ParsedTag {
  readonly raw: Uint8Array;
  readonly headers: TagHeaders;
  /** Header lines other than object/type/tag/tagger, in order (e.g. "encoding"). */
  readonly extraHeaders: readonly string[];
  /** The bytes the signature covers: everything before the signature block. */
  readonly payload: Uint8Array;
  /** The message: the payload after the blank line that ends the headers. */
  readonly message: Uint8Array;
  readonly signature?: { readonly format: SignatureFormat; readonly block: Uint8Array };
}

function formatOfLine(bytes: Uint8Array, start: number): SignatureFormat | undefined {
  for (const [prefix, format] of SIGNATURE_STARTS) {
    if (start + prefix.length > bytes.length) continue;
    let ok = true;
    for (let i = 0; i < prefix.length; i++) {
      if (bytes[start + i] !== prefix.charCodeAt(i)) {
        ok = false;
        break;
      }
    }
    if (ok) return format;
  }
  return undefined;
}

/**
 * Where the signature starts: the start of the *last* line beginning with a
 * known signature header, or the end of the buffer (git's parse_signed_buffer).
 */
export function signatureOffset(bytes: Uint8Array): number {
  let match = bytes.length;
  let pos = 0;
  while (pos < bytes.length) {
    if (formatOfLine(bytes, pos) !== undefined) match = pos;
    const eol = bytes.indexOf(0x0a, pos);
    pos = eol === -1 ? bytes.length : eol + 1;
  }
  return match;
}

/**
 * The largest tag object the verifier reads (1 MiB). git-debpush writes a
 * summary line, two or three "[dgit …]" lines (tag2upload refuses lines over
 * 900 characters) and one detached signature (under 2 KiB armored for RSA
 * 4096): a few KiB. The cap leaves a factor of hundreds, and is checked from
 * the object's header, before its bytes are held.
 */
export const MAX_TAG_OBJECT_BYTES = 1 << 20;

const HEX40 = /^[0-9a-f]{40}$/;

/** Parses a tag object; throws a FormatError when git would not call it a tag. */
export function parseTagObject(raw: Uint8Array): ParsedTag {
  const cut = signatureOffset(raw);
  const payload = raw.subarray(0, cut);
  const sigBlock = raw.subarray(cut);

  // Headers end at the first empty line ("\n\n"); a tag with no message ends after its headers.
  let headerEnd = -1;
  for (let i = 0; i + 1 < payload.length; i++) {
    if (payload[i] === 0x0a && payload[i + 1] === 0x0a) {
      headerEnd = i + 1;
      break;
    }
  }
  const headerBytes = headerEnd === -1 ? payload : payload.subarray(0, headerEnd);
  const message = headerEnd === -1 ? new Uint8Array(0) : payload.subarray(headerEnd + 1);
  // Header values are ASCII apart from the tagger name; latin1 keeps every byte.
  const lines = Buffer.from(headerBytes).toString('latin1').split('\n');
  if (lines.at(-1) === '') lines.pop();

  const want = ['object', 'type', 'tag'] as const;
  const values: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const line = lines[i];
    const key = want[i]!;
    if (line === undefined || !line.startsWith(`${key} `)) {
      throw new FormatError('git-tag', `tag object header ${i + 1} must be "${key} …"`);
    }
    values[key] = line.slice(key.length + 1);
  }
  if (!HEX40.test(values.object!)) throw new FormatError('git-tag', 'tag object header "object" is not a 40-hex object id');
  if (!/^(commit|tree|blob|tag)$/.test(values.type!))
    throw new FormatError('git-tag', `tag object type "${values.type}" is not a git object type`);
  if (values.tag === '') throw new FormatError('git-tag', 'tag object header "tag" is empty');

  let tagger: string | undefined;
  let taggerBytes: Uint8Array | undefined;
  const extraHeaders: string[] = [];
  for (const line of lines.slice(3)) {
    if (line.startsWith('tagger ') && tagger === undefined && extraHeaders.length === 0) {
      // Re-decode the tagger as UTF-8 when it is valid UTF-8 (git's default encoding).
      taggerBytes = new Uint8Array(Buffer.from(line.slice('tagger '.length), 'latin1'));
      tagger = decodeHeaderValue(line.slice('tagger '.length));
    } else if (line.startsWith('tagger ')) {
      throw new FormatError('git-tag', 'tag object has a misplaced or repeated tagger header');
    } else {
      extraHeaders.push(line);
    }
  }

  let signature: ParsedTag['signature'];
  if (sigBlock.length > 0) {
    signature = { format: formatOfLine(raw, cut)!, block: sigBlock };
  }
  const headers: TagHeaders = {
    object: values.object!,
    type: values.type!,
    tag: values.tag!,
    ...(tagger === undefined ? {} : { tagger, taggerBytes: taggerBytes! }),
  };
  return { raw, headers, extraHeaders, payload, message, ...(signature ? { signature } : {}) };
}

function decodeHeaderValue(latin1: string): string {
  const bytes = Buffer.from(latin1, 'latin1');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return latin1;
  }
}

/**
 * The identity part of a tagger value's bytes ("Name <email>", the timestamp
 * cut), as tag2upload_parsetag takes it for Git-Tag-Tagger: the bytes up to
 * and including the last '>'.
 */
export function identBytes(value: Uint8Array): Uint8Array {
  const gt = value.lastIndexOf(0x3e);
  return gt < 0 ? value : value.subarray(0, gt + 1);
}

/** "Name <email> 1700000000 +0100" → identity and date, as dgit copies it into Git-Tag-Tagger. */
export function splitIdent(value: string): { ident: string; date?: Date } {
  const m = /^(.*>) (\d+) ([+-]\d{4})$/.exec(value);
  if (!m) return { ident: value };
  return { ident: m[1]!, date: new Date(Number(m[2]) * 1000) };
}
