// A source package at hand on the local disk, read in place (not copied): the
// .dsc read and checked once, and each file it lists beside it digested and
// checked against its size and Checksums-Sha256 (docs/architecture.md §5: the only
// checksums trusted). For `reproduce`, which builds against an upload the
// user already has. Failures are reasons, as obtainUpload's are.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { digestFile } from '../compare/index.js';
import { readDsc, type CheckedFile, type SourcePackage } from '../deb822/dsc.js';
import { reason, type Reason } from '../report/reasons.js';
import { isFormatError } from '../report/format-error.js';
import { buildinfoBeside } from './buildinfo-beside.js';

export type LocalPackageResult =
  { readonly ok: true; readonly pkg: SourcePackage } | { readonly ok: false; readonly reasons: readonly Reason[] };

/** Default 1 MiB, as obtainUpload's: a .dsc is a few kilobytes. */
const MAX_DSC_BYTES = 1 << 20;

export async function readLocalPackage(dscPath: string): Promise<LocalPackageResult> {
  let raw: Buffer;
  try {
    raw = await readFile(dscPath);
  } catch (e) {
    return { ok: false, reasons: [reason('UPLOAD_NOT_FOUND', `${dscPath}: ${(e as Error).message}`)] };
  }
  if (raw.length > MAX_DSC_BYTES)
    return { ok: false, reasons: [reason('UPLOAD_TOO_LARGE', `${dscPath} is ${raw.length} bytes, over the limit of ${MAX_DSC_BYTES}`)] };
  const dscBytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
  let read;
  try {
    read = readDsc(dscBytes);
  } catch (e) {
    if (!isFormatError(e, 'dsc')) throw e;
    return { ok: false, reasons: [reason('UPLOAD_DSC_INVALID', `${dscPath}: ${e.message}`)] };
  }
  const { dsc } = read;
  const dir = dirname(dscPath);
  const reasons: Reason[] = [];
  const files: CheckedFile[] = [];
  for (const f of dsc.files) {
    // A name checked to be a plain file name when the .dsc was read: it stays in `dir`.
    const path = join(dir, f.name);
    let d;
    try {
      d = await digestFile(path);
    } catch {
      reasons.push(reason('UPLOAD_NOT_FOUND', `${f.name} (named in the .dsc) is not beside ${dscPath}`));
      continue;
    }
    if (d.size !== f.size || d.sha256 !== f.hash) {
      reasons.push(
        reason('UPLOAD_CHECKSUM_MISMATCH', `${f.name}: ${d.size} bytes sha256 ${d.sha256}, the .dsc says ${f.size} bytes sha256 ${f.hash}`),
      );
      continue;
    }
    files.push({ name: f.name, path, size: f.size, sha256: f.hash });
  }
  if (reasons.length) return { ok: false, reasons };
  const buildinfo = await buildinfoBeside(dir, dsc);
  return {
    ok: true,
    pkg: { dir, dscPath, dscBytes, dscBody: read.clearsigned?.body ?? dscBytes, dsc, files, ...(buildinfo ? { buildinfo } : {}) },
  };
}
