// The archive's record of what was uploaded: a suite's Sources index, obtained
// the way apt obtains it. dists/SUITE/InRelease is verified by gpgv against
// the archive keyring (the authenticate stage's verifyInRelease), must name
// the suite and be within its Valid-Until (unless expired Release files are
// allowed); COMPONENT/source/Sources.xz must match the Release's SHA256 line.
// Entries carrying Git-Tag-Info are tag2upload uploads (dak copies the field
// from the .dsc into the index; Git-Tag-Tagger it leaves out).
import { trimEnd } from '../text/scan.js';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releaseSha256 } from '../archive/apt-index.js';
import { DebianKeyringError, DEFAULT_ARCHIVE_KEYRING, verifyInRelease } from '../archive/mirror-package.js';
import { collect } from '../net/http-transport.js';
import type { UrlPolicy } from '../net/url-policy.js';
import type { Deb822Paragraph } from '../deb822/paragraph.js';
import { Deb822Error, iterateDeb822, parseDeb822Paragraph } from '../deb822/parse.js';
import { DscError, parseChecksumField, parseDgitField, parseGitTagInfo, SOURCE_NAME, type DgitField, type DscFile, type GitTagInfo } from '../deb822/dsc.js';
import { makeHttpSource, uploadErrorOf, type HttpSource } from './http-source.js';
import { UploadError } from './upload-error.js';

export const DEFAULT_UPLOAD_MIRROR = 'https://deb.debian.org/debian';

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
  /** Default https://deb.debian.org/debian. */
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

/** `xz -dc`, failing past `maxBytes` of output. */
function unxz(data: Uint8Array, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('xz', ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'], signal });
    const out: Buffer[] = [];
    let n = 0;
    let err = '';
    let failed: UploadError | undefined;
    child.stdout.on('data', (b: Buffer) => {
      n += b.length;
      if (n > maxBytes) {
        failed ??= new UploadError('UPLOAD_TOO_LARGE', `the decompressed Sources index is larger than ${maxBytes} bytes`);
        child.kill('SIGKILL');
        return;
      }
      out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', (e) => reject(uploadErrorOf(e, signal, 'xz -dc')));
    child.on('close', (code) => {
      if (failed) reject(failed);
      else if (code !== 0) reject(new UploadError('UPLOAD_INDEX_UNVERIFIED', `cannot decompress the Sources index: ${err.trim() || `xz exited ${code}`}`));
      else resolve(Buffer.concat(out));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(data);
  });
}

/** A pool directory: relative, under pool/, no empty, "." or ".." segments. */
function checkDirectory(dir: string): void {
  if (!/^pool\/[A-Za-z0-9._+~-]+(?:\/[A-Za-z0-9._+~-]+)*$/.test(dir) || dir.split('/').some((s) => s === '.' || s === '..')) {
    throw new DscError(`Directory ${JSON.stringify(dir.slice(0, 120))} is not a pool directory`);
  }
}

/** One Sources stanza as an entry; throws DscError when it is not a usable one. */
export function sourcesEntry(p: Deb822Paragraph): SourcesEntry {
  const source = p.get('Package') ?? '';
  if (!SOURCE_NAME.test(source)) throw new DscError(`Package ${JSON.stringify(source.slice(0, 80))} is not a source package name`);
  const version = p.get('Version') ?? '';
  if (!/^(?:[0-9]+:)?[0-9A-Za-z][0-9A-Za-z.+~-]*$/.test(version)) throw new DscError(`Version ${JSON.stringify(version.slice(0, 80))} is not a Debian version`);
  const directory = p.get('Directory') ?? '';
  checkDirectory(directory);
  const sha256 = p.get('Checksums-Sha256');
  if (sha256 === undefined) throw new DscError('no Checksums-Sha256 field');
  const files = parseChecksumField(sha256, 'sha256', 'Checksums-Sha256');
  const dscs = files.filter((f) => f.name.endsWith('.dsc'));
  if (dscs.length !== 1) throw new DscError(`lists ${dscs.length} .dsc files, not one`);
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
      if (!(e instanceof DscError)) throw e;
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

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Downloads and verifies a suite's Sources index. Throws UploadError. */
export async function fetchSourcesIndex(options: SourcesIndexOptions = {}): Promise<SourcesIndex> {
  const mirror = trimEnd(options.mirror ?? DEFAULT_UPLOAD_MIRROR, '/');
  const suite = options.suite ?? 'sid';
  const component = options.component ?? 'main';
  if (!/^[A-Za-z0-9.+_-]+$/.test(suite) || !/^[A-Za-z0-9.+_-]+$/.test(component)) throw new UploadError('UPLOAD_URL_INVALID', 'invalid suite or component name');
  const now = (options.now ?? (() => new Date()))();
  const signal = AbortSignal.timeout(options.timeoutMs ?? 300_000);
  const get = options.http ?? makeHttpSource({ policy: options.policy ?? { allowHttpLoopback: false }, signal });
  const fetchBytes = async (url: string, max: number, what: string): Promise<Buffer> => {
    try {
      return await collect(await get(url), max, what, (message) => new UploadError('UPLOAD_TOO_LARGE', message));
    } catch (e) {
      throw uploadErrorOf(e, signal, what);
    }
  };
  const warnings: string[] = [];
  const inRelease = await fetchBytes(`${mirror}/dists/${suite}/InRelease`, options.maxReleaseBytes ?? 16 << 20, `${suite} InRelease`);
  const work = await mkdtemp(join(tmpdir(), 't2u-release-'));
  let releaseText: string;
  try {
    releaseText = await verifyInRelease(inRelease, options.archiveKeyring ?? DEFAULT_ARCHIVE_KEYRING, work);
  } catch (e) {
    if (e instanceof DebianKeyringError) throw new UploadError('UPLOAD_INDEX_UNVERIFIED', e.message, { cause: e });
    throw e;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  let release: Deb822Paragraph;
  try {
    release = parseDeb822Paragraph(releaseText);
  } catch (e) {
    if (e instanceof Deb822Error) throw new UploadError('UPLOAD_INDEX_UNVERIFIED', `the signed Release of ${suite} is not a control file: ${e.message}`);
    throw e;
  }
  // Another suite's Release, or an expired one, would let a mirror replay an old index.
  if (release.get('Suite') !== suite && release.get('Codename') !== suite) {
    throw new UploadError('UPLOAD_INDEX_UNVERIFIED', `InRelease is for suite ${release.get('Suite') ?? '?'} (${release.get('Codename') ?? '?'}), not ${suite}`);
  }
  const validUntil = release.get('Valid-Until');
  if (validUntil !== undefined && !(Date.parse(validUntil) >= now.getTime())) {
    const msg = `InRelease of ${suite} at ${mirror} expired at ${validUntil} (now ${now.toISOString()})`;
    // Said plainly: a mirror replaying an old Release is how old uploads would come back.
    if (!options.allowExpiredRelease) {
      throw new UploadError('UPLOAD_INDEX_UNVERIFIED', `${msg}: refused, as a mirror replaying an old Release would look the same; if the mirror is a known snapshot, pass --allow-expired-release (upload.allowExpiredRelease)`);
    }
    warnings.push(`${msg}; accepted because expired Release files are allowed.`);
  }
  const path = `${component}/source/Sources.xz`;
  const want = releaseSha256(release).get(path);
  if (!want) throw new UploadError('UPLOAD_INDEX_UNVERIFIED', `the Release of ${suite} does not list ${path}`);
  if (want.size > (options.maxIndexBytes ?? 256 << 20)) throw new UploadError('UPLOAD_TOO_LARGE', `${path} is ${want.size} bytes, over the limit`);
  const xz = await fetchBytes(`${mirror}/dists/${suite}/${path}`, want.size, path).catch((e: unknown) => {
    // A Sources.xz longer than the Release says cannot match it.
    if (e instanceof UploadError && e.code === 'UPLOAD_TOO_LARGE') throw new UploadError('UPLOAD_INDEX_UNVERIFIED', `${path} is larger than the ${want.size} bytes the Release lists`);
    throw e;
  });
  if (xz.length !== want.size || sha256(xz) !== want.sha256) throw new UploadError('UPLOAD_INDEX_UNVERIFIED', `${path} does not match the SHA256 line of the Release`);
  // latin1 keeps the text a one-byte string (half the memory of UTF-16); every field an entry reads is ASCII.
  const text = (await unxz(xz, options.maxDecompressedBytes ?? 512 << 20, signal)).toString('latin1');
  let parsed;
  try {
    parsed = parseSources(text);
  } catch (e) {
    if (e instanceof Deb822Error) throw new UploadError('UPLOAD_INDEX_UNVERIFIED', `${path} is not a control file: ${e.message}`);
    throw e;
  }
  return {
    mirror,
    suite,
    component,
    ...(release.get('Date') !== undefined ? { date: release.get('Date')! } : {}),
    ...(validUntil !== undefined ? { validUntil } : {}),
    entries: parsed.entries,
    skipped: parsed.skipped,
    warnings,
  };
}
