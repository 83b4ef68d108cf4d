// Compares a source package rebuilt from the tag (`expected`) with the
// upload (`got`), byte for byte: every file either .dsc names (size and
// SHA-256 of the bytes on both sides), and the .dsc body: exactly (the
// service signs the body its builder wrote, so an honest rebuild is
// identical to the signed text), and field by field to say what differs.
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDeb822Paragraph } from '../deb822/parse.js';
import type { Deb822Paragraph } from '../deb822/paragraph.js';
import { reason, type Reason } from '../report/reasons.js';
import type { FieldDifference, FileComparison, FileDigest } from '../report/report.js';
import type { SourcePackage } from '../deb822/dsc.js';
import { isFormatError } from '../report/format-error.js';

export type { FieldDifference, FileComparison, FileDigest };

export interface Comparison {
  readonly files: readonly FileComparison[];
  /** The rebuilt .dsc is byte-identical to the upload's signed body. */
  readonly dscIdentical: boolean;
  readonly fields: readonly FieldDifference[];
  readonly reasons: readonly Reason[];
  /** Differences the builder explains (DGIT_VIEW_NOT_REPRODUCIBLE, CHECKOUT_MTIME_LEAK): the .dsc bodies are identical but for them. */
  readonly explained: readonly Reason[];
}

/**
 * Judges a rebuilt file whose bytes differ from the upload's (both regular
 * files): a note when the builder explains the difference (explainMtimeLeak),
 * undefined otherwise.
 */
export type ExplainFile = (name: string, uploadPath: string, rebuiltPath: string) => Promise<Reason | undefined>;

/**
 * The digest of the regular file at `path`, read in chunks (an orig may be
 * gigabytes). Opened without following a final symlink and judged by the
 * opened file itself, so a name cannot lead the host to another file.
 * Throws when it is not a regular file or cannot be read.
 */
export async function digestFile(path: string): Promise<FileDigest> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    if (!(await fh.stat()).isFile()) throw new Error(`${path} is not a regular file`);
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(1 << 20);
    let size = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { size, sha256: hash.digest('hex') };
  } finally {
    await fh.close();
  }
}

/** The names in Checksums-Sha256 (the one list docs/architecture.md §5 trusts). */
export function namedFiles(p: Deb822Paragraph): string[] {
  const v = p.get('Checksums-Sha256') ?? '';
  return v
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[2])
    .filter((n): n is string => n !== undefined && n !== '');
}

/**
 * The fields whose values differ between a .dsc rebuilt from the tag
 * (`expected`) and the upload's (`got`): differing, missing or extra, in
 * the upload's order, then the fields only the rebuild has.
 */
export function fieldDifferences(expected: Deb822Paragraph, got: Deb822Paragraph): FieldDifference[] {
  const out: FieldDifference[] = [];
  const seen = new Set<string>();
  for (const f of got.fields) {
    seen.add(f.name.toLowerCase());
    const e = expected.get(f.name);
    if (e !== f.value) out.push({ field: f.name, ...(e !== undefined ? { expected: e } : {}), got: f.value });
  }
  for (const f of expected.fields) if (!seen.has(f.name.toLowerCase())) out.push({ field: f.name, expected: f.value });
  return out;
}

export interface CompareInput {
  /** The upload as it was obtained: its .dsc read once, its signed body, its files checked against it. */
  readonly upload: SourcePackage;
  readonly rebuiltDsc: Uint8Array;
  readonly rebuiltDir: string;
  /** Files taken from the upload as the archive's origs. */
  readonly given: ReadonlySet<string>;
  /** The rebuilt dgit view's head is dgit's own quilt-fixup commit (BuildFacts.dgitViewBuilderCommit). */
  readonly dgitViewBuilderCommit: boolean;
  /** Asked about each rebuilt file that differs. */
  readonly explainFile?: ExplainFile;
}

export async function compareBuild(input: CompareInput): Promise<Comparison> {
  const reasons: Reason[] = [];
  const { upload } = input;
  // Both sides read the same way (UTF-8 when both are, else byte for byte),
  // so equal bytes give equal field values: the upload's paragraph as it
  // was read, unless it was UTF-8 and the rebuilt .dsc is not.
  const encoding = upload.dsc.encoding === 'utf-8' && isUtf8(input.rebuiltDsc) ? 'utf8' : 'latin1';
  const up = encoding === 'latin1' && upload.dsc.encoding === 'utf-8' ? paragraphOf(upload.dscBody, encoding) : upload.dsc.paragraph;
  const re = paragraphOf(input.rebuiltDsc, encoding);
  if (!up || !re) {
    return {
      files: [],
      dscIdentical: false,
      fields: [],
      explained: [],
      reasons: [reason(up ? 'BUILD_FAILED' : 'UPLOAD_DSC_INVALID', `the ${up ? 'rebuilt' : "upload's"} .dsc is not a control file`)],
    };
  }
  // The upload's files as its .dsc lists them and as they were checked; the rebuilt side's names are the sandbox's, read as data.
  const upNames = upload.dsc.files.map((f) => f.name);
  const upDigests = new Map<string, FileDigest>(upload.files.map((f) => [f.name, { size: f.size, sha256: f.sha256 }]));
  const reNames = namedFiles(re);
  const names = [...new Set([...upNames, ...reNames])].sort();
  const files: FileComparison[] = [];
  const explained: Reason[] = [];
  for (const name of names) {
    const uploaded = upNames.includes(name) ? (upDigests.get(name) ?? (await digestOf(upload.dir, name))) : undefined;
    const rebuilt = reNames.includes(name) ? await digestOf(input.rebuiltDir, name) : undefined;
    const match = uploaded !== undefined && rebuilt !== undefined && uploaded.size === rebuilt.size && uploaded.sha256 === rebuilt.sha256;
    const origin = input.given.has(name) ? 'given' : 'rebuilt';
    const note =
      !match && uploaded && rebuilt && origin === 'rebuilt' && input.explainFile
        ? await input.explainFile(name, join(upload.dir, name), join(input.rebuiltDir, name))
        : undefined;
    files.push({
      name,
      ...(rebuilt ? { expected: rebuilt } : {}),
      ...(uploaded ? { got: uploaded } : {}),
      match,
      origin,
      ...(note ? { explainedBy: 'CHECKOUT_MTIME_LEAK' as const } : {}),
    });
    if (note) {
      explained.push(note);
    } else if (!match) {
      const why = !upNames.includes(name)
        ? "the upload's .dsc does not name it"
        : !uploaded
          ? 'the upload does not have it beside its .dsc'
          : !rebuilt
            ? 'the rebuilt .dsc does not name it'
            : `upload ${uploaded.size} bytes sha256 ${uploaded.sha256}, rebuilt ${rebuilt.size} bytes sha256 ${rebuilt.sha256}`;
      reasons.push(reason('RECONSTRUCTION_MISMATCH', `${name}: ${why}`));
    }
  }
  // An explained file's checksum lines are the upload's, so that the rest of
  // the body is still compared byte for byte.
  let rebuiltBody = withChecksumLinesOf(upload.dscBody, input.rebuiltDsc, new Set(files.filter((f) => f.explainedBy).map((f) => f.name)));
  const reExplained = paragraphOf(rebuiltBody, encoding) ?? re;
  const fields = fieldDifferences(reExplained, up).filter((d) => {
    // dgit's commit_admin commit (linear, smash) carries the builder's
    // identity and clock, so the dgit view's id is the service's alone; the
    // rest of the field, and every file, must still agree.
    const [upCommit, ...upRest] = (d.got ?? '').split(' ');
    const [reCommit, ...reRest] = (d.expected ?? '').split(' ');
    if (d.field.toLowerCase() !== 'dgit' || !input.dgitViewBuilderCommit || !upCommit || !reCommit || upRest.join(' ') !== reRest.join(' '))
      return true;
    explained.push(
      reason(
        'DGIT_VIEW_NOT_REPRODUCIBLE',
        `Dgit: the upload names dgit view ${upCommit}, the rebuild ${reCommit}: dgit committed its quilt fixup with the builder's identity and clock`,
      ),
    );
    rebuiltBody = Buffer.from(rebuiltBody.toString('latin1').replace(`\nDgit: ${reCommit} `, `\nDgit: ${upCommit} `), 'latin1');
    return false;
  });
  for (const d of fields) {
    // The Dgit field has its own code: verify explains a differing dgit view commit by that code alone.
    const code = d.field.toLowerCase() === 'dgit' ? 'DSC_DGIT_FIELD_MISMATCH' : 'DSC_FIELD_MISMATCH';
    reasons.push(reason(code, `${d.field}: ${fieldDifference(d.got, d.expected)}`));
  }
  const sameBytes = Buffer.compare(Buffer.from(upload.dscBody), rebuiltBody) === 0;
  const dscIdentical = sameBytes && explained.length === 0;
  if (!sameBytes && fields.length === 0) {
    reasons.push(
      reason('DSC_FIELD_MISMATCH', 'the .dsc bodies have the same fields but differ in bytes (field order, spelling or white space)'),
    );
  }
  return { files, dscIdentical, fields, reasons, explained };
}

const CHECKSUM_FIELD = /^(Files|Checksums-Sha1|Checksums-Sha256):/i;
const CHECKSUM_LINE = /^ \S+ \d+ (\S+)$/;

/**
 * `rebuilt` with the lines of Files, Checksums-Sha1 and Checksums-Sha256 that
 * name a file of `names` taken from `upload`'s same field. Lines are
 * replaced in place, so a field that differs otherwise still differs.
 */
export function withChecksumLinesOf(upload: Uint8Array, rebuilt: Uint8Array, names: ReadonlySet<string>): Buffer {
  if (names.size === 0) return Buffer.from(rebuilt);
  const lineOf = new Map<string, string>();
  let field = '';
  for (const line of Buffer.from(upload).toString('latin1').split('\n')) {
    const f = /^([^\s:]+):/.exec(line);
    if (f?.[1]) field = f[1].toLowerCase();
    const name = CHECKSUM_LINE.exec(line)?.[1];
    if (name && names.has(name) && !lineOf.has(`${field}\0${name}`)) lineOf.set(`${field}\0${name}`, line);
  }
  field = '';
  const out = Buffer.from(rebuilt)
    .toString('latin1')
    .split('\n')
    .map((line) => {
      const f = /^([^\s:]+):/.exec(line);
      if (f?.[1]) field = f[1].toLowerCase();
      const name = CHECKSUM_LINE.exec(line)?.[1];
      if (!name || !names.has(name) || !CHECKSUM_FIELD.test(`${field}:`)) return line;
      return lineOf.get(`${field}\0${name}`) ?? line;
    });
  return Buffer.from(out.join('\n'), 'latin1');
}

/** A .dsc's paragraph; a .dsc is bytes (Dpkg reads it undecoded): 'latin1' keeps every byte. */
function paragraphOf(data: Uint8Array, encoding: 'utf8' | 'latin1'): Deb822Paragraph | undefined {
  try {
    const text =
      encoding === 'utf8'
        ? new TextDecoder('utf-8').decode(data)
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
    return parseDeb822Paragraph(text);
  } catch (e) {
    if (isFormatError(e, 'deb822')) return undefined;
    throw e;
  }
}

/** A plain file name as dpkg-source writes them: nothing that leaves the directory. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9+._~-]*$/;

/**
 * The digest of a regular file `name` in `dir`. The rebuilt side was written
 * by the sandbox: a name or a symlink there must not lead the host to read
 * (and report the digest of) a file outside it.
 */
async function digestOf(dir: string, name: string): Promise<FileDigest | undefined> {
  if (!FILE_NAME.test(name)) return undefined;
  try {
    return await digestFile(join(dir, name));
  } catch {
    return undefined;
  }
}

/**
 * One line saying how two values of a field differ: the values themselves
 * when each is one line, else the first line that differs (a multi-line
 * field such as Package-List would otherwise show as one string full of
 * "\\n" escapes).
 */
export function fieldDifference(upload: string | undefined, rebuilt: string | undefined): string {
  const q = (v: string | undefined): string => (v === undefined ? 'absent' : JSON.stringify(v));
  if (upload === undefined || rebuilt === undefined || (!upload.includes('\n') && !rebuilt.includes('\n')))
    return `upload ${q(upload)}, rebuilt ${q(rebuilt)}`;
  const a = upload.split('\n');
  const b = rebuilt.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const count = a.length === b.length ? `${a.length} lines each` : `upload ${a.length} lines, rebuilt ${b.length}`;
  return `line ${i + 1} of ${count}: upload ${q(a[i])}, rebuilt ${q(b[i])}`;
}
