// Obtains one upload into a private directory: its .dsc and exactly the files
// the .dsc lists, each checked against the .dsc's Checksums-Sha256 and size
// while it is copied (docs/architecture.md §5: the only checksums trusted). Three ways in:
// a local .dsc (files beside it), a .dsc URL (files from the same directory),
// or a mirror, source and version (the .dsc found in the verified Sources
// index and checked against it, files from its Directory). Names come only
// from the .dsc, already checked to be plain file names; nothing else is
// fetched. One deadline covers the whole upload; failures are reasons.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { trimEnd } from '../text/scan.js';
import { checkFileName, fileInside } from '../deb822/file-name.js';
import { checkEndpointUrl, type UrlPolicy } from '../net/url-policy.js';
import { reason, type Reason } from '../report/reasons.js';
import { checkedCopy, type Expected } from './checked-copy.js';
import { fileChunks } from './file-chunks.js';
import { buildinfoBeside } from './buildinfo-beside.js';
import { readDsc, type CheckedFile, type SourcePackage } from '../deb822/dsc.js';
import { makeHttpSource, uploadErrorOf, type HttpSource } from './http-source.js';
import { fetchSourcesIndex, findSourcesEntry, type SourcesEntry, type SourcesIndex, type SourcesIndexOptions } from './sources-index.js';
import { DEFAULT_MIRROR } from '../config/schema.js';
import { isVerificationError, VerificationError } from '../report/verification-error.js';
import { isFormatError } from '../report/format-error.js';

export type UploadLocator =
  | { readonly kind: 'dsc-path'; readonly path: string }
  | { readonly kind: 'dsc-url'; readonly url: string }
  | { readonly kind: 'archive'; readonly source: string; readonly version: string; readonly mirror?: string; readonly suite?: string };

export interface ObtainOptions {
  /** Where the private directory is made (mode 0700). Default os.tmpdir(). */
  readonly parentDir?: string;
  /** The whole upload, index included. Default 10 minutes. */
  readonly timeoutMs?: number;
  /** Default 1 MiB: a .dsc is a few kilobytes. */
  readonly maxDscBytes?: number;
  /** Per listed file. Default 2 GiB. */
  readonly maxFileBytes?: number;
  /** All listed files together. Default 4 GiB. */
  readonly maxTotalBytes?: number;
  /** Default: https only. */
  readonly policy?: UrlPolicy;
  /** For `archive`: an index already fetched and verified (the archive watcher holds one). */
  readonly index?: SourcesIndex;
  /** For `archive`: how to fetch and verify the index when none is given. */
  readonly indexOptions?: Omit<SourcesIndexOptions, 'mirror' | 'suite' | 'http' | 'policy'>;
  /** Replaces the HTTP client (tests). */
  readonly http?: HttpSource;
}

export type ObtainedFile = CheckedFile;

/** The upload, obtained once: `dir` is a private directory the caller removes (`dispose`). */
export interface ObtainedUpload extends SourcePackage {
  /** Where it came from: a path, a URL, or the index entry. */
  readonly origin: string;
  readonly indexEntry?: SourcesEntry;
  /** Notes for the report: what the index's InRelease check accepted with a warning (UPLOAD_INDEX_EXPIRED). */
  readonly notes: readonly Reason[];
  dispose(): Promise<void>;
}

/** On failure too, `notes` say what was accepted with a warning on the way (the report keeps them). */
export type ObtainResult =
  | { readonly ok: true; readonly upload: ObtainedUpload }
  | { readonly ok: false; readonly reasons: readonly Reason[]; readonly notes: readonly Reason[] };

/** Reads a file's bytes as a stream of chunks, each consumed before the next is asked for (fileChunks reuses its buffer). */
type ByteSource = (name: string) => Promise<AsyncIterable<Uint8Array>>;

function localSource(dir: string): ByteSource {
  return async (name) => {
    const path = join(dir, name);
    try {
      const st = await stat(path);
      if (!st.isFile()) throw new VerificationError('UPLOAD_NOT_FOUND', `${path} is not a regular file`);
    } catch (e) {
      if (isVerificationError(e)) throw e;
      throw new VerificationError('UPLOAD_NOT_FOUND', `${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return fileChunks(path);
  };
}

function urlSource(base: URL, http: HttpSource): ByteSource {
  // The name is a checked plain file name, so it resolves inside the .dsc's directory.
  return (name) => http(new URL(encodeURIComponent(name), base).href);
}

/** The .dsc's file name from a URL, path or index: a plain name dpkg allows, or UPLOAD_URL_INVALID. */
function uploadFileName(name: string, from: string): string {
  try {
    return checkFileName(name);
  } catch (e) {
    if (isFormatError(e, 'file-name'))
      throw new VerificationError('UPLOAD_URL_INVALID', `${from} does not end in a plain .dsc file name: ${e.message}`);
    throw e;
  }
}

/**
 * The .dsc's file name an upload URL ends in, decoded: a plain name dpkg
 * allows (so "..%2F" and "%2F" are refused), or UPLOAD_URL_INVALID.
 */
export function dscNameOfUrl(url: URL): string {
  const segment = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    throw new VerificationError('UPLOAD_URL_INVALID', `${url.href} ends in a malformed percent-encoding`);
  }
  uploadFileName(name, url.href);
  if (!name.endsWith('.dsc')) throw new VerificationError('UPLOAD_URL_INVALID', `${url.href} does not name a .dsc`);
  return name;
}

/** A .dsc URL: a checked endpoint, no query or fragment, ending in .dsc. */
function checkDscUrl(raw: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = checkEndpointUrl(new URL(raw), policy);
  } catch (e) {
    if (isVerificationError(e)) throw new VerificationError('UPLOAD_URL_INVALID', e.message);
    throw new VerificationError('UPLOAD_URL_INVALID', `not a URL: ${JSON.stringify(raw.slice(0, 200))}`);
  }
  if (url.search !== '' || url.hash !== '')
    throw new VerificationError('UPLOAD_URL_INVALID', 'a .dsc URL must not have a query or fragment');
  if (!url.pathname.endsWith('.dsc')) throw new VerificationError('UPLOAD_URL_INVALID', `${url.href} does not name a .dsc`);
  return url;
}

/** Obtains the upload `where` names. Never throws for bad input or network trouble. */
export async function obtainUpload(where: UploadLocator, options: ObtainOptions = {}): Promise<ObtainResult> {
  const timeoutMs = options.timeoutMs ?? 600_000;
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new VerificationError('UPLOAD_TIMEOUT', `obtaining the upload took longer than ${timeoutMs} ms`)),
    timeoutMs,
  );
  const signal = controller.signal;
  const policy = options.policy ?? { allowHttpLoopback: false };
  const http = options.http ?? makeHttpSource({ policy, signal });
  let dir: string | undefined;
  const notes: Reason[] = [];
  try {
    dir = await mkdtemp(join(options.parentDir ?? tmpdir(), 't2u-upload-'));
    const upload = await obtainInto(dir, where, options, policy, http, signal, notes);
    return { ok: true, upload };
  } catch (e) {
    if (dir) await rm(dir, { recursive: true, force: true });
    const err = isFormatError(e, 'dsc')
      ? new VerificationError('UPLOAD_DSC_INVALID', e.message)
      : uploadErrorOf(e, signal, 'obtaining the upload');
    return { ok: false, reasons: [reason(err.code, err.message)], notes };
  } finally {
    clearTimeout(timer);
  }
}

async function obtainInto(
  dir: string,
  where: UploadLocator,
  options: ObtainOptions,
  policy: UrlPolicy,
  http: HttpSource,
  signal: AbortSignal,
  notes: Reason[],
): Promise<ObtainedUpload> {
  const maxDscBytes = options.maxDscBytes ?? 1 << 20;
  let source: ByteSource;
  let dscName: string;
  let dscExpect: Expected | undefined;
  let origin: string;
  let indexEntry: SourcesEntry | undefined;
  let dscClaim = 'the limit';
  // Where a local .dsc's own directory is (its buildinfo may be beside it).
  let localDir: string | undefined;
  switch (where.kind) {
    case 'dsc-path': {
      dscName = uploadFileName(basename(where.path), where.path);
      localDir = dirname(where.path);
      source = localSource(localDir);
      origin = where.path;
      break;
    }
    case 'dsc-url': {
      const url = checkDscUrl(where.url, policy);
      dscName = dscNameOfUrl(url);
      source = urlSource(url, http);
      origin = url.href;
      break;
    }
    case 'archive': {
      const mirror = trimEnd(where.mirror ?? options.index?.mirror ?? DEFAULT_MIRROR, '/');
      const index =
        options.index ??
        (await fetchSourcesIndex({ ...options.indexOptions, mirror, ...(where.suite ? { suite: where.suite } : {}), http, policy }));
      notes.push(...index.warnings.map((w) => reason('UPLOAD_INDEX_EXPIRED', w)));
      const entry = findSourcesEntry(index, where.source, where.version);
      if (!entry) throw new VerificationError('UPLOAD_NOT_FOUND', `${index.suite} has no source ${where.source} version ${where.version}`);
      indexEntry = entry;
      dscName = uploadFileName(entry.dsc.name, `the ${index.suite} index entry`);
      dscExpect = { size: entry.dsc.size, sha256: entry.dsc.hash };
      dscClaim = `the verified Sources index of ${index.suite}`;
      const base = checkDscUrl(`${index.mirror}/${entry.directory}/${encodeURIComponent(entry.dsc.name)}`, policy);
      source = urlSource(base, http);
      origin = base.href;
      break;
    }
  }
  if (!dscName.endsWith('.dsc')) throw new VerificationError('UPLOAD_URL_INVALID', `${dscName} is not a .dsc`);
  const dscPath = fileInside(dir, dscName);
  await checkedCopy(await source(dscName), dscPath, {
    what: dscName,
    claim: dscClaim,
    maxBytes: maxDscBytes,
    ...(dscExpect ? { expect: dscExpect } : {}),
  });
  const dscBytes = new Uint8Array(await readFile(dscPath));
  const { dsc, clearsigned } = readDsc(dscBytes);
  if (indexEntry && (dsc.source !== indexEntry.source || dsc.version !== indexEntry.version)) {
    throw new VerificationError(
      'UPLOAD_DSC_INVALID',
      `the .dsc is for ${dsc.source} ${dsc.version}, the index entry for ${indexEntry.source} ${indexEntry.version}`,
    );
  }

  const maxFile = options.maxFileBytes ?? 2 ** 31;
  const maxTotal = options.maxTotalBytes ?? 2 ** 32;
  const total = dsc.files.reduce((n, f) => n + f.size, 0);
  if (total > maxTotal)
    throw new VerificationError('UPLOAD_TOO_LARGE', `the .dsc lists ${total} bytes of files, over the limit of ${maxTotal}`);
  const files: ObtainedFile[] = [];
  for (const f of dsc.files) {
    if (signal.aborted) throw uploadErrorOf(signal.reason, signal, f.name);
    if (f.size > maxFile) throw new VerificationError('UPLOAD_TOO_LARGE', `${f.name} is ${f.size} bytes, over the limit of ${maxFile}`);
    const path = fileInside(dir, f.name);
    try {
      await checkedCopy(await source(f.name), path, {
        what: f.name,
        claim: 'the .dsc',
        expect: { size: f.size, sha256: f.hash },
        maxBytes: maxFile,
      });
    } catch (e) {
      throw uploadErrorOf(e, signal, f.name);
    }
    files.push({ name: f.name, path, size: f.size, sha256: f.hash });
  }
  const buildinfo = localDir === undefined ? undefined : await buildinfoBeside(localDir, dsc);
  return {
    dir,
    dscPath,
    dscBytes,
    dscBody: clearsigned?.body ?? dscBytes,
    dsc,
    files,
    origin,
    ...(indexEntry ? { indexEntry } : {}),
    ...(buildinfo ? { buildinfo } : {}),
    notes,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
