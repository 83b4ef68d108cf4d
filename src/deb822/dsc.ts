// A typed view of a source control file (.dsc, deb-src-control(5)) for the
// upload checks: the source and version, the files with their sizes and
// hashes, and the three fields tag2upload appends (Dgit, Git-Tag-Info,
// Git-Tag-Tagger). File names are checked as dpkg checks them
// (Dpkg::Checksums: [0-9a-zA-Z][-+:.,=0-9a-zA-Z_~]+: no directory part) and
// each must belong to the source package, as dak requires. Every file is
// listed in Files and Checksums-Sha256 (and Checksums-Sha1 when present) with
// one size; docs/architecture.md §5 trusts only the SHA-256 hashes, the others are checked
// for agreement of names and sizes only.
import { parseChecksumList, type ChecksumAlgorithm, type ChecksumEntry } from './checksum-list.js';
import { checkFileName as checkDpkgFileName } from './file-name.js';
import { isClearsigned, parseClearsigned, type Clearsigned } from './clearsigned.js';
import type { Deb822Paragraph } from './paragraph.js';
import { parseDeb822Paragraph } from './parse.js';
import { FormatError, isFormatError } from '../report/format-error.js';

/** One file of a .dsc's Files or Checksums-* list. */
export type DscFile = ChecksumEntry;

export interface GitTagInfo {
  /** The tag object id (40 lower-case hex digits). */
  readonly tag: string;
  /** The fingerprint of the key that signed the tag (often a subkey), lower case. */
  readonly fp: string;
}

export interface DgitField {
  /** The dgit view commit. */
  readonly commit: string;
  readonly distro?: string;
  /** e.g. archive/debian/1.0-1 */
  readonly tag?: string;
  readonly url?: string;
}

export interface Dsc {
  readonly source: string;
  readonly version: string;
  /** "1.0" when the field is absent, as dpkg-source assumes. */
  readonly format: string;
  /** Files and sizes with their SHA-256: the list the upload is obtained and checked by. */
  readonly files: readonly DscFile[];
  /** The Files field (MD5), names and sizes agreeing with `files`. */
  readonly md5: readonly DscFile[];
  readonly sha1?: readonly DscFile[];
  readonly dgit?: DgitField;
  readonly gitTagInfo?: GitTagInfo;
  /** Git-Tag-Tagger as text (Latin-1 when the .dsc is not UTF-8), for display. */
  readonly gitTagTagger?: string;
  /** Git-Tag-Tagger's bytes as the .dsc carries them: what the binding compares with the tag's tagger. */
  readonly gitTagTaggerBytes?: Uint8Array;
  /** How the text was read: UTF-8 when it is valid UTF-8, otherwise byte for byte (Latin-1), as Dpkg reads bytes. */
  readonly encoding: DscEncoding;
  readonly paragraph: Deb822Paragraph;
}

export type DscEncoding = 'utf-8' | 'latin1';

/** Source package names (Debian Policy §5.6.1). */
export const SOURCE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
/** Debian versions (Policy §5.6.12): [epoch:]upstream[-revision], from dpkg's allowed characters. */
const VERSION = /^(?:[0-9]+:)?[0-9A-Za-z][0-9A-Za-z.+~-]*$/;
export type { ChecksumAlgorithm } from '../deb822/checksum-list.js';

/** Throws a FormatError unless `name` is a plain file name dpkg would accept (deb822/file-name.ts). */
export function checkFileName(name: string): void {
  try {
    checkDpkgFileName(name);
  } catch (e) {
    if (isFormatError(e, 'file-name')) throw new FormatError('dsc', e.message);
    throw e;
  }
}

/**
 * The entries of a Files or Checksums-* field ("hash size name" lines), as
 * Dpkg::Checksums::add_from_string reads them (src/deb822/checksum-list.ts),
 * each name a plain file name dpkg accepts.
 */
export function parseChecksumField(value: string, algorithm: ChecksumAlgorithm, field: string): DscFile[] {
  try {
    return parseChecksumList(value, algorithm, field, checkFileName);
  } catch (e) {
    if (isFormatError(e, 'checksum-list')) throw new FormatError('dsc', e.message);
    throw e;
  }
}

/** `Git-Tag-Info: tag=<tag object id> fp=<fingerprint>`; other key=value items are tolerated. */
export function parseGitTagInfo(value: string): GitTagInfo {
  const items = new Map<string, string>();
  for (const item of value.trim().split(/ +/)) {
    const m = /^([a-z][a-z0-9-]*)=(\S+)$/.exec(item);
    if (!m) throw new FormatError('dsc', `Git-Tag-Info: invalid item ${JSON.stringify(item.slice(0, 80))}`);
    if (items.has(m[1]!)) throw new FormatError('dsc', `Git-Tag-Info: ${m[1]}= given twice`);
    items.set(m[1]!, m[2]!);
  }
  const tag = items.get('tag');
  const fp = items.get('fp');
  if (!tag || !/^[0-9a-f]{40}$/.test(tag)) throw new FormatError('dsc', 'Git-Tag-Info: tag= must be a 40-digit lower-case object id');
  // dgit writes the signing key's fingerprint in lower case: 40 digits (v4) or 64 (v6).
  if (!fp || !/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(fp))
    throw new FormatError('dsc', 'Git-Tag-Info: fp= must be a lower-case OpenPGP fingerprint');
  return { tag, fp };
}

/** `Dgit: <commit> [<distro> <tag> <url>]` (dgit's older uploads carry the commit alone). */
export function parseDgitField(value: string): DgitField {
  const parts = value.trim().split(/ +/);
  const commit = parts[0] ?? '';
  if (!/^[0-9a-f]{40}$/.test(commit)) throw new FormatError('dsc', 'Dgit: the first word must be a 40-digit lower-case commit id');
  if (parts.length === 1) return { commit };
  if (parts.length !== 4) throw new FormatError('dsc', `Dgit: expected "<commit> <distro> <tag> <url>", found ${parts.length} words`);
  return { commit, distro: parts[1]!, tag: parts[2]!, url: parts[3]! };
}

/** Names and sizes of `other` must be exactly those of `sha256`. */
function agree(sha256: readonly DscFile[], other: readonly DscFile[], field: string): void {
  const want = new Map(sha256.map((f) => [f.name, f.size]));
  for (const f of other) {
    const size = want.get(f.name);
    if (size === undefined) throw new FormatError('dsc', `${field} lists ${f.name}, which Checksums-Sha256 does not`);
    if (size !== f.size) throw new FormatError('dsc', `${field} gives ${f.name} size ${f.size}, Checksums-Sha256 says ${size}`);
  }
  if (other.length !== sha256.length) {
    const listed = new Set(other.map((f) => f.name));
    const missing = sha256.filter((f) => !listed.has(f.name)).map((f) => f.name);
    throw new FormatError('dsc', `${field} does not list ${missing.join(', ')}`);
  }
}

function single(paragraph: Deb822Paragraph, name: string): string | undefined {
  const v = paragraph.get(name);
  if (v === undefined) return undefined;
  if (v.includes('\n')) throw new FormatError('dsc', `${name} must be a single line`);
  return v;
}

/**
 * The typed view of a parsed .dsc paragraph; throws a FormatError when it is not a
 * valid one. `encoding` is how the paragraph's text was decoded from the
 * file's bytes (field values turn back into those bytes by it).
 */
export function dscFromParagraph(paragraph: Deb822Paragraph, encoding: DscEncoding = 'utf-8'): Dsc {
  const source = single(paragraph, 'Source');
  if (!source || !SOURCE_NAME.test(source))
    throw new FormatError('dsc', `Source ${JSON.stringify(source ?? '')} is not a valid source package name`);
  const version = single(paragraph, 'Version');
  if (!version || !VERSION.test(version))
    throw new FormatError('dsc', `Version ${JSON.stringify(version ?? '')} is not a valid Debian version`);
  const format = single(paragraph, 'Format') ?? '1.0';
  if (!/^[0-9]+\.[0-9]+(?: \([a-z0-9]+\))?$/.test(format))
    throw new FormatError('dsc', `Format ${JSON.stringify(format)} is not a source format`);

  const sha256Field = paragraph.get('Checksums-Sha256');
  if (sha256Field === undefined) throw new FormatError('dsc', 'the .dsc has no Checksums-Sha256 field, the only checksums trusted');
  const filesField = paragraph.get('Files');
  if (filesField === undefined) throw new FormatError('dsc', 'the .dsc has no Files field (dpkg-source requires it)');
  const files = parseChecksumField(sha256Field, 'sha256', 'Checksums-Sha256');
  if (files.length === 0) throw new FormatError('dsc', 'Checksums-Sha256 lists no files');
  const md5 = parseChecksumField(filesField, 'md5', 'Files');
  agree(files, md5, 'Files');
  const sha1Field = paragraph.get('Checksums-Sha1');
  const sha1 = sha1Field === undefined ? undefined : parseChecksumField(sha1Field, 'sha1', 'Checksums-Sha1');
  if (sha1) agree(files, sha1, 'Checksums-Sha1');
  for (const f of files) {
    // dak: every file of a source package is named after it (SOURCE_VERSION.dsc, SOURCE_UVERSION.orig.tar.*).
    if (!f.name.startsWith(`${source}_`)) throw new FormatError('dsc', `${f.name} is not a file of source package ${source}`);
    if (f.name.endsWith('.dsc')) throw new FormatError('dsc', `the .dsc lists another .dsc (${f.name})`);
  }

  const dgitValue = single(paragraph, 'Dgit');
  const tagInfoValue = single(paragraph, 'Git-Tag-Info');
  const tagger = single(paragraph, 'Git-Tag-Tagger');
  if (tagger !== undefined && !/^[^<>\n]*<[^<>\s]*>$/.test(tagger))
    throw new FormatError('dsc', `Git-Tag-Tagger ${JSON.stringify(tagger.slice(0, 120))} is not "Name <address>"`);
  return {
    source,
    version,
    format,
    files,
    md5,
    ...(sha1 ? { sha1 } : {}),
    ...(dgitValue !== undefined ? { dgit: parseDgitField(dgitValue) } : {}),
    ...(tagInfoValue !== undefined ? { gitTagInfo: parseGitTagInfo(tagInfoValue) } : {}),
    ...(tagger !== undefined
      ? { gitTagTagger: tagger, gitTagTaggerBytes: new Uint8Array(Buffer.from(tagger, encoding === 'utf-8' ? 'utf8' : 'latin1')) }
      : {}),
    encoding,
    paragraph,
  };
}

export interface ReadDsc {
  readonly dsc: Dsc;
  /** The cleartext signature parts, when the .dsc is clearsigned. */
  readonly clearsigned?: Clearsigned;
}

/**
 * Reads a .dsc file's bytes. When it is clearsigned, the fields are read from
 * the signed text only (trailing white space cut, as the signature covers it),
 * so nothing unsigned can reach them. A .dsc is bytes (Dpkg reads it without
 * decoding): valid UTF-8 is read as UTF-8, anything else byte for byte as
 * Latin-1, so a field such as Git-Tag-Tagger, which dgit copies from the
 * tag's tagger header whatever its bytes, keeps them (Dsc.gitTagTaggerBytes).
 */
export function readDsc(data: Uint8Array): ReadDsc {
  let clearsigned: Clearsigned | undefined;
  let text: Uint8Array = data;
  if (isClearsigned(data)) {
    try {
      clearsigned = parseClearsigned(data);
    } catch (e) {
      if (isFormatError(e, 'clearsigned')) throw new FormatError('dsc', `the .dsc's cleartext signature is malformed: ${e.message}`);
      throw e;
    }
    text = clearsigned.text;
  }
  let decoded: string;
  let encoding: DscEncoding = 'utf-8';
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(text);
  } catch {
    encoding = 'latin1';
    decoded = Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('latin1');
  }
  let paragraph: Deb822Paragraph;
  try {
    paragraph = parseDeb822Paragraph(decoded);
  } catch (e) {
    if (isFormatError(e, 'deb822')) throw new FormatError('dsc', `the .dsc is not a control file: ${e.message}`);
    throw e;
  }
  return { dsc: dscFromParagraph(paragraph, encoding), ...(clearsigned ? { clearsigned } : {}) };
}

/** A file a .dsc lists, at hand and checked against its size and Checksums-Sha256. */
export interface CheckedFile {
  readonly name: string;
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/**
 * A source package at hand: its .dsc read and checked once (`dsc`, with the
 * bytes it was read from), and every file it lists in `dir`, checked against
 * it. Obtained once (upload/) and passed on to every stage that needs it.
 */
export interface SourcePackage {
  /** The directory holding the .dsc and its files. */
  readonly dir: string;
  readonly dscPath: string;
  /** The .dsc file's bytes, signature included. */
  readonly dscBytes: Uint8Array;
  /** The signed body (the whole file when it is not clearsigned): what the service signed, and what a rebuild must equal. */
  readonly dscBody: Uint8Array;
  readonly dsc: Dsc;
  /** The files `dsc.files` lists, in its order. */
  readonly files: readonly CheckedFile[];
  /**
   * The service's SRC_VER_source.buildinfo found beside the .dsc, unverified:
   * read only to choose which builder profile to try first (at most
   * MAX_BUILDINFO_BYTES).
   */
  readonly buildinfo?: Uint8Array;
}

/** A buildinfo is a few kilobytes (its Installed-Build-Depends a few hundred lines); a larger one is not read. */
export const MAX_BUILDINFO_BYTES = 256 * 1024;
