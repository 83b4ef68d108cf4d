// The archive's record of what was uploaded: a suite's Sources index, obtained
// the way apt obtains it. dists/SUITE/InRelease is verified by gpgv against
// the archive keyring, must name the suite and be within its Valid-Until
// (unless expired Release files are allowed); COMPONENT/source/Sources.xz must
// match the Release's SHA256 line (the mirror client, src/archive/release.ts).
// Entries carrying Git-Tag-Info are tag2upload uploads (dak copies the field
// from the .dsc into the index; Git-Tag-Tagger it leaves out).
import { DEFAULT_ARCHIVE_KEYRING, DEFAULT_MIRROR } from '../config/schema.js';
import { ArchiveError, checkRelease, fetchReleaseFile, unxz, verifyInRelease, type MirrorGet } from '../archive/release.js';
import type { Deb822Paragraph } from '../deb822/paragraph.js';
import { iterateDeb822 } from '../deb822/parse.js';
import { collect } from '../net/http-transport.js';
import type { UrlPolicy } from '../net/url-policy.js';
import { trimEnd } from '../text/scan.js';
import {
  parseChecksumField,
  parseDgitField,
  parseGitTagInfo,
  SOURCE_NAME,
  type DgitField,
  type DscFile,
  type GitTagInfo,
} from '../deb822/dsc.js';
import { makeHttpSource, uploadErrorOf, type HttpSource } from './http-source.js';
import { VerificationError } from '../report/verification-error.js';
import { FormatError, isFormatError } from '../report/format-error.js';

export interface SourcesEntry {
  readonly source: string;
  readonly version: string;
  /** The pool directory, e.g. pool/main/h/hello. */
  readonly directory: string;
  /** The .dsc itself, with its size and SHA-256. */
  readonly dsc: DscFile;
  /** Every file of the entry (the .dsc included), from Checksums-Sha256. */
  readonly files: readonly DscFile[];
  readonly gitTagInfo?: GitTagInfo;
  readonly dgit?: DgitField;
  /** The Vcs-Git field as written (dak copies it from the .dsc): URL, then optional ` -b BRANCH` and ` [PATH]`. */
  readonly vcsGit?: string;
}

export interface SourcesIndex {
  readonly mirror: string;
  readonly suite: string;
  readonly component: string;
  /** The Release's Date and Valid-Until fields, as written. */
  readonly date?: string;
  readonly validUntil?: string;
  readonly entries: readonly SourcesEntry[];
  /** Stanzas that are not usable entries (bad names, missing fields), with why. */
  readonly skipped: ReadonlyArray<{ source: string; why: string }>;
  readonly warnings: readonly string[];
}

export interface SourcesIndexOptions {
  /** Default DEFAULT_MIRROR (src/config/schema.ts). */
  readonly mirror?: string;
  /** Default sid. */
  readonly suite?: string;
  /** Default main. */
  readonly component?: string;
  /** Default /usr/share/keyrings/debian-archive-keyring.gpg. */
  readonly archiveKeyring?: string;
  /** Accept a Release past its Valid-Until, with a warning (apt's Check-Valid-Until=false). */
  readonly allowExpiredRelease?: boolean;
  readonly now?: () => Date;
  readonly policy?: UrlPolicy;
  /** Time limit for InRelease and Sources.xz together. Default 5 minutes. */
  readonly timeoutMs?: number;
  /** Caps on InRelease, Sources.xz, and the decompressed index. */
  readonly maxReleaseBytes?: number;
  readonly maxIndexBytes?: number;
  readonly maxDecompressedBytes?: number;
  /** Replaces the HTTP client (tests). */
  readonly http?: HttpSource;
}

/** A pool directory: relative, under pool/, no empty, "." or ".." segments. */
function checkDirectory(dir: string): void {
  if (!/^pool\/[A-Za-z0-9._+~-]+(?:\/[A-Za-z0-9._+~-]+)*$/.test(dir) || dir.split('/').some((s) => s === '.' || s === '..')) {
    throw new FormatError('dsc', `Directory ${JSON.stringify(dir.slice(0, 120))} is not a pool directory`);
  }
}

/** One Sources stanza as an entry; throws a FormatError when it is not a usable one. */
export function sourcesEntry(p: Deb822Paragraph): SourcesEntry {
  const source = p.get('Package') ?? '';
  if (!SOURCE_NAME.test(source))
    throw new FormatError('dsc', `Package ${JSON.stringify(source.slice(0, 80))} is not a source package name`);
  const version = p.get('Version') ?? '';
  if (!/^(?:[0-9]+:)?[0-9A-Za-z][0-9A-Za-z.+~-]*$/.test(version))
    throw new FormatError('dsc', `Version ${JSON.stringify(version.slice(0, 80))} is not a Debian version`);
  const directory = p.get('Directory') ?? '';
  checkDirectory(directory);
  const sha256 = p.get('Checksums-Sha256');
  if (sha256 === undefined) throw new FormatError('dsc', 'no Checksums-Sha256 field');
  const files = parseChecksumField(sha256, 'sha256', 'Checksums-Sha256');
  const dscs = files.filter((f) => f.name.endsWith('.dsc'));
  if (dscs.length !== 1) throw new FormatError('dsc', `lists ${dscs.length} .dsc files, not one`);
  const tagInfo = p.get('Git-Tag-Info');
  const dgit = p.get('Dgit');
  const vcsGit = p.get('Vcs-Git');
  return {
    source,
    version,
    directory,
    dsc: dscs[0]!,
    files,
    ...(tagInfo !== undefined ? { gitTagInfo: parseGitTagInfo(tagInfo) } : {}),
    ...(dgit !== undefined ? { dgit: parseDgitField(dgit) } : {}),
    ...(vcsGit !== undefined ? { vcsGit } : {}),
  };
}

/** Every usable entry of a Sources file; a malformed stanza is skipped and reported, not fatal. */
export function parseSources(text: string): { entries: SourcesEntry[]; skipped: Array<{ source: string; why: string }> } {
  const entries: SourcesEntry[] = [];
  const skipped: Array<{ source: string; why: string }> = [];
  for (const p of iterateDeb822(text)) {
    try {
      entries.push(sourcesEntry(p));
    } catch (e) {
      if (!isFormatError(e, 'dsc')) throw e;
      skipped.push({ source: p.get('Package') ?? '?', why: e.message });
    }
  }
  return { entries, skipped };
}

/** The tag2upload uploads of an index: the entries with Git-Tag-Info. */
export function tag2uploadEntries(index: SourcesIndex): SourcesEntry[] {
  return index.entries.filter((e) => e.gitTagInfo !== undefined);
}

export function findSourcesEntry(index: SourcesIndex, source: string, version: string): SourcesEntry | undefined {
  return index.entries.find((e) => e.source === source && e.version === version);
}

/** An archive failure as the upload stage's reason: the index cannot be trusted, is too large, or could not be fetched. */
function uploadErrorOfArchive(e: ArchiveError): VerificationError {
  if (e.kind === 'too-large') return new VerificationError('UPLOAD_TOO_LARGE', e.message, { cause: e });
  if (e.kind === 'network') return new VerificationError('UPLOAD_FETCH_FAILED', e.message, { cause: e });
  return new VerificationError('UPLOAD_INDEX_UNVERIFIED', e.message, { cause: e });
}

/** Downloads and verifies a suite's Sources index. Throws VerificationError. */
export async function fetchSourcesIndex(options: SourcesIndexOptions = {}): Promise<SourcesIndex> {
  const mirror = trimEnd(options.mirror ?? DEFAULT_MIRROR, '/');
  const suite = options.suite ?? 'sid';
  const component = options.component ?? 'main';
  if (!/^[A-Za-z0-9.+_-]+$/.test(suite) || !/^[A-Za-z0-9.+_-]+$/.test(component))
    throw new VerificationError('UPLOAD_URL_INVALID', 'invalid suite or component name');
  const now = (options.now ?? (() => new Date()))();
  const signal = AbortSignal.timeout(options.timeoutMs ?? 300_000);
  const http = options.http ?? makeHttpSource({ policy: options.policy ?? { allowHttpLoopback: false }, signal });
  const get: MirrorGet = async (url, max) => {
    try {
      return await collect(await http(url), max, url, (message) => new ArchiveError('too-large', message));
    } catch (e) {
      if (e instanceof ArchiveError) throw e;
      throw uploadErrorOf(e, signal, url);
    }
  };
  const path = `${component}/source/Sources.xz`;
  try {
    const inRelease = await get(`${mirror}/dists/${suite}/InRelease`, options.maxReleaseBytes ?? 16 << 20);
    const release = checkRelease(await verifyInRelease(inRelease, options.archiveKeyring ?? DEFAULT_ARCHIVE_KEYRING, signal), {
      mirror,
      suite,
      now,
      allowExpired: options.allowExpiredRelease ?? false,
      expiredHint: { replays: 'look the same', option: 'upload.allowExpiredRelease' },
    });
    const xz = await fetchReleaseFile(get, `${mirror}/dists/${suite}`, release, path, options.maxIndexBytes ?? 256 << 20);
    // latin1 keeps the text a one-byte string (half the memory of UTF-16); every field an entry reads is ASCII.
    const text = (await unxz(xz, options.maxDecompressedBytes ?? 512 << 20, `the Sources index ${path}`, signal)).toString('latin1');
    let parsed;
    try {
      parsed = parseSources(text);
    } catch (e) {
      if (isFormatError(e, 'deb822')) throw new VerificationError('UPLOAD_INDEX_UNVERIFIED', `${path} is not a control file: ${e.message}`);
      throw e;
    }
    return {
      mirror,
      suite,
      component,
      ...(release.date !== undefined ? { date: release.date } : {}),
      ...(release.validUntil !== undefined ? { validUntil: release.validUntil } : {}),
      entries: parsed.entries,
      skipped: parsed.skipped,
      warnings: [...release.warnings],
    };
  } catch (e) {
    if (!(e instanceof ArchiveError)) throw e;
    // A sandboxed gpgv or xz killed by the deadline reads as a failure of its own.
    if (signal.aborted)
      throw new VerificationError('UPLOAD_TIMEOUT', `${suite}: the time limit for obtaining the upload was reached`, { cause: e });
    throw uploadErrorOfArchive(e);
  }
}
