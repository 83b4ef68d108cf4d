// The verifier's second, independent toolchain: the tarballs and the .dsc
// body of a tag2upload source package, made in TypeScript from the tag's git
// objects (no checkout, no dpkg-source, no git archive), and compared with
// the upload. A bug or backdoor in Debian's toolchain (dgit, dpkg-source,
// git, tar) cannot make both agree with a bad upload. Only compression runs
// the builder's own xz and gzip, in the sandbox (see compress.ts).
//
// Scope: the quilt modes whose patches come from the tree (gbp, dpm,
// unapplied, nofix, baredebian: the debian tarball is the tree's debian/),
// `3.0 (native)` and `1.0` native, and git deborig origs. For linear, auto
// and smash dgit writes the patches itself, so this toolchain does not
// claim to make those packages.
import { isUtf8 } from 'node:buffer';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectReader } from '../../fetch/index.js';
import { parseDeb822Paragraph } from '../../deb822/parse.js';
import { parseChangelog } from '../../interpret/index.js';
import type { Sandbox } from '../../sandbox/index.js';
import type { Dsc, SourcePackage } from '../../deb822/dsc.js';
import { fieldDifferences, type FieldDifference } from '../../compare/index.js';
import { origPlan } from '../reproduce.js';
import { decompress } from '../../tarball/decompress.js';
import { COMPRESS_TIMEOUT_MS, compressStream, type Compressor } from './compress.js';
import { deborigTar, usesExportAttributes } from './deborig.js';
import { dscBody, type DscFileSums } from './dsc-body.js';
import { debianTar, DEFAULT_TAR_LIMITS, nativeTar, type Umask } from './dpkg-source-tar.js';
import { findNode, readBlob, readCommitInfo, readFileAt, readTree } from './git-tree.js';
import { parseSourceOptions } from './source-options.js';
import { FileMatch, firstDifference, StreamSums, TheirStreamError } from './stream-compare.js';
import { isFormatError } from '../../report/format-error.js';
import { UnsupportedInput } from './unsupported-input.js';

export interface SecondToolchainInput {
  readonly objects: ObjectReader;
  readonly commit: string;
  readonly upstreamCommit?: string;
  /** From the tag ('' or absent for native). */
  readonly quiltMode: string;
  readonly umask: Umask;
  readonly dpkgDev: '1.22' | '1.23';
  /** Where the compressors and decompressors run: the root filesystem of the profile that reproduced. */
  readonly sandbox: Sandbox;
  readonly appended: { dgit: string; gitTagInfo: string; gitTagTagger: string | Uint8Array };
  /** The upload, obtained once: its .dsc as read and its files, already checksum-checked. */
  readonly upload: SourcePackage;
  /** The most compressed bytes a compressor may write (default DEFAULT_MAX_COMPRESSED_BYTES). */
  readonly maxCompressedBytes?: number;
  /**
   * Per compressor or decompressor run (default COMPRESS_TIMEOUT_MS): the
   * verifier passes its build's, as xz at level 6 takes as long on a large
   * orig here as in the build.
   */
  readonly timeoutMs?: number;
}

/** Beyond the tar size limit (DEFAULT_TAR_LIMITS) with room for incompressible content. */
export const DEFAULT_MAX_COMPRESSED_BYTES = DEFAULT_TAR_LIMITS.maxBytes + 1024 ** 3;

export type FileStatus = 'identical' | 'same-tar-different-compression' | 'differs' | 'not-made';

export type SecondToolchainResult =
  | { supported: false; why: string }
  | {
      supported: true;
      files: { name: string; status: FileStatus; detail?: string }[];
      dscBody: { status: 'identical' | 'differs'; fields?: FieldDifference[] };
      agrees: boolean;
    };

/** dgit's quilt modes in which the tree carries debian/patches as they are uploaded. */
const TREE_PATCH_MODES = new Set(['gbp', 'dpm', 'unapplied', 'nofix', 'baredebian', 'baredebian+git', 'baredebian+tarball']);

/** The upload's own sums for a file, from its .dsc. */
function uploadSums(dsc: Dsc, name: string): DscFileSums | undefined {
  const f = dsc.files.find((x) => x.name === name);
  if (!f) return undefined;
  return {
    name,
    size: f.size,
    sha256: f.hash,
    md5: dsc.md5.find((x) => x.name === name)?.hash ?? '',
    sha1: dsc.sha1?.find((x) => x.name === name)?.hash ?? '',
  };
}

/** A file this toolchain makes: the uncompressed tar and how dpkg-source or git deborig compresses it. */
interface Planned {
  readonly name: string;
  /** The uncompressed tar as a stream, made afresh at each call. */
  readonly tar: () => AsyncIterable<Buffer>;
  readonly compressors: readonly { readonly compressor: Compressor; readonly note?: string }[];
  readonly format: 'xz' | 'gzip';
}

/** dpkg-source's compression from debian/source/options (Dpkg::Compression defaults: xz 6, gzip 9). */
function dpkgCompressor(format: string, optionsText: string): Compressor {
  const o = parseSourceOptions(optionsText);
  // Format 1.0 only supports gzip (Dpkg::Source::Package::V1).
  const comp = format === '1.0' ? 'gzip' : (o.compression ?? 'xz');
  if (comp !== 'xz' && comp !== 'gzip') throw new UnsupportedInput(`compression ${comp} is not modelled`);
  const level = o.level ?? (comp === 'xz' ? '6' : '9');
  if (!/^[1-9]$/.test(level)) throw new UnsupportedInput(`compression-level ${level} is not modelled`);
  return { tool: 'dpkg-source', format: comp, level: Number(level) };
}

const noEpoch = (v: string): string => v.replace(/^[0-9]+:/, '');

/**
 * Makes the package's files and .dsc body and compares them with the
 * upload's. Input this toolchain does not model (or that no builder could
 * have built) gives `supported: false`; a failing sandbox or object reader
 * throws, as everywhere else in the pipeline.
 */
export async function runSecondToolchain(input: SecondToolchainInput): Promise<SecondToolchainResult> {
  try {
    return await run(input);
  } catch (e) {
    if (e instanceof UnsupportedInput) {
      return { supported: false, why: e.message };
    }
    throw e;
  }
}

async function run(input: SecondToolchainInput): Promise<SecondToolchainResult> {
  const { objects } = input;
  const { dsc } = input.upload;
  const commit = await readCommitInfo(objects, input.commit);
  const root = await readTree(objects, commit.tree);
  const text = async (path: string): Promise<string | undefined> => (await readFileAt(objects, root, path))?.toString('latin1');

  const formatText = await text('debian/source/format');
  const format = formatText === undefined ? '1.0' : formatText.split('\n')[0]!.trim();
  const changelogBytes = await readFileAt(objects, root, 'debian/changelog');
  if (!changelogBytes) return { supported: false, why: 'the tree has no debian/changelog file' };
  const entry = parseChangelog(changelogBytes).entry;
  if (!entry?.headerParsed || entry.timestamp === undefined)
    return { supported: false, why: 'debian/changelog has no first entry with a date dpkg can read' };
  const control = await readFileAt(objects, root, 'debian/control');
  if (!control) return { supported: false, why: 'the tree has no debian/control file' };
  const optionsText = `${(await text('debian/source/options')) ?? ''}\n${(await text('debian/source/local-options')) ?? ''}`;
  const base = `${entry.source}_${noEpoch(entry.version)}`;
  const sourceDateEpoch = entry.timestamp;
  const checkout = { objects, root, umask: input.umask, sourceDateEpoch };

  const planned: Planned[] = [];
  const notMade: { name: string; detail: string }[] = [];
  let order: string[];
  if (format === '3.0 (quilt)') {
    if (!TREE_PATCH_MODES.has(input.quiltMode)) {
      return {
        supported: false,
        why: `--quilt=${input.quiltMode || 'linear'}: dgit writes the patches itself, which this toolchain does not model`,
      };
    }
    const { given, deborigName } = origPlan(dsc, false);
    const origs = [...given];
    if (deborigName && given.length === 0) {
      const why = await deborigUnmodelled(input);
      if (why) notMade.push({ name: deborigName, detail: why });
      else planned.push(deborigPlan(input, deborigName, entry.source, 'xz'));
      origs.push(deborigName);
    }
    for (const name of given) notMade.push({ name, detail: "the archive's orig, used as it is (git deborig would not have made it)" });
    const c = dpkgCompressor(format, optionsText);
    const debianName = `${base}.debian.tar.${c.format === 'xz' ? 'xz' : 'gz'}`;
    planned.push({ name: debianName, tar: () => debianTar(checkout), compressors: [{ compressor: c }], format: c.format });
    // Dpkg::Source::Package::V2 do_build: `sort` the origs found (each followed by its .asc), then the debian tarball.
    const sorted = origs.filter((n) => !n.endsWith('.asc')).sort();
    order = [...sorted.flatMap((n) => (origs.includes(`${n}.asc`) ? [n, `${n}.asc`] : [n])), debianName];
  } else if (format === '3.0 (native)' || format === '1.0') {
    if (format === '1.0' && dsc.files.some((f) => /\.diff\.gz$/.test(f.name))) {
      return {
        supported: false,
        why: 'format 1.0 with a .diff.gz (not native): dpkg-source writes the diff, which this toolchain does not model',
      };
    }
    const c = dpkgCompressor(format, optionsText);
    const name = `${base}.tar.${c.format === 'xz' ? 'xz' : 'gz'}`;
    planned.push({ name, tar: () => nativeTar(checkout), compressors: [{ compressor: c }], format: c.format });
    order = [name];
  } else {
    return { supported: false, why: `source format ${JSON.stringify(format)} is not modelled` };
  }

  const files: { name: string; status: FileStatus; detail?: string }[] = [];
  const dscSums = new Map<string, DscFileSums>();
  for (const p of planned) {
    const result = await makeAndCompare(input, p);
    files.push(result.file);
    dscSums.set(p.name, result.sums);
  }
  for (const n of notMade) {
    files.push({ name: n.name, status: 'not-made', detail: n.detail });
    const s = uploadSums(dsc, n.name);
    if (s) dscSums.set(n.name, s);
  }
  for (const name of order) {
    if (!dscSums.has(name)) {
      const s = uploadSums(dsc, name);
      if (s) dscSums.set(name, s);
    }
  }
  const made = new Set(order);
  for (const f of dsc.files) {
    if (!made.has(f.name))
      files.push({ name: f.name, status: 'differs', detail: "the upload's .dsc names it; dpkg-source would not have added it" });
  }
  const missing = order.filter((n) => !dscSums.has(n));
  for (const name of missing)
    files.push({ name, status: 'differs', detail: "dpkg-source would have added it; the upload's .dsc does not name it" });

  const testsNode = findNode(root, 'debian/tests/control');
  if (testsNode && testsNode.kind !== 'file') return { supported: false, why: 'debian/tests/control is not a regular file' };
  const body = dscBody({
    format,
    control,
    changelog: { source: entry.source, version: entry.version },
    ...(testsNode ? { testsControl: await readBlob(objects, testsNode.oid) } : {}),
    dpkgDev: input.dpkgDev,
    files: order.map((n) => dscSums.get(n)).filter((s): s is DscFileSums => s !== undefined),
    appended: input.appended,
  });
  const dscBodyResult = compareBody(input, body);
  const agrees =
    dscBodyResult.status === 'identical' &&
    files.every((f) => f.status === 'identical' || f.status === 'same-tar-different-compression' || f.status === 'not-made');
  return { supported: true, files, dscBody: dscBodyResult, agrees };
}

/** Why git deborig's orig is not modelled for this upstream commit, or undefined. */
async function deborigUnmodelled(input: SecondToolchainInput): Promise<string | undefined> {
  if (!input.upstreamCommit) return 'the tag names no upstream commit, so git deborig could not have made it';
  if (input.dpkgDev === '1.22') {
    const u = await readCommitInfo(input.objects, input.upstreamCommit);
    if (await usesExportAttributes(input.objects, await readTree(input.objects, u.tree))) {
      return "the upstream tree's .gitattributes use export-ignore or export-subst, which dgit 12's git deborig honours and this toolchain does not model";
    }
  }
  return undefined;
}

function deborigPlan(input: SecondToolchainInput, name: string, source: string, format: 'xz' | 'gzip'): Planned {
  const upstream = input.upstreamCommit!;
  const uver = name.slice(source.length + 1).replace(/\.orig\.tar\.[a-z]+$/, '');
  return {
    name,
    format,
    tar: async function* () {
      const u = await readCommitInfo(input.objects, upstream);
      yield* deborigTar({
        objects: input.objects,
        commit: upstream,
        committerTime: u.committerTime,
        root: await readTree(input.objects, u.tree),
        prefix: `${source}-${uver}`,
      });
    },
    // xz ≥ 5.6 (trixie, forky) compresses multi-threaded by default; an older builder's xz single-threaded.
    compressors: [
      { compressor: { tool: 'git-deborig', format, xzThreads: 'multi' } },
      ...(format === 'xz'
        ? [
            {
              compressor: { tool: 'git-deborig', format, xzThreads: 'single' } as const,
              note: "with xz's single-threaded format (a builder with xz < 5.6)",
            },
          ]
        : []),
    ],
  };
}

/** The upload's file, open for reading, when it is a regular file beside the .dsc. */
async function openUploadFile(dir: string, name: string): Promise<{ file: FileHandle; size: number } | undefined> {
  const file = await open(join(dir, name)).catch(() => undefined);
  if (!file) return undefined;
  const st = await file.stat().catch(() => undefined);
  if (st?.isFile()) return { file, size: st.size };
  await file.close();
  return undefined;
}

/**
 * Makes one file and compares it with the upload's, streaming: the tar is
 * written into each compressor in turn (made again for each, from the git
 * objects) and the compressed bytes checked against the upload's file as
 * they come; only when none agrees is the upload's file decompressed and its
 * tar stream compared with ours, made once more.
 */
async function makeAndCompare(
  input: SecondToolchainInput,
  p: Planned,
): Promise<{ file: { name: string; status: FileStatus; detail?: string }; sums: DscFileSums }> {
  const expectedSums = uploadSums(input.upload.dsc, p.name);
  const upload = expectedSums ? await openUploadFile(input.upload.dir, p.name) : undefined;
  try {
    let ours: DscFileSums | undefined;
    let tarBytes = 0;
    for (const { compressor, note } of p.compressors) {
      const sums = new StreamSums();
      const match = upload ? new FileMatch(upload.file, upload.size) : undefined;
      tarBytes = 0;
      const counted = async function* (tar: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
        for await (const chunk of tar) {
          tarBytes += chunk.length;
          yield chunk;
        }
      };
      await compressStream(
        input.sandbox,
        compressor,
        counted(p.tar()),
        async (chunk) => {
          sums.update(chunk);
          await match?.update(chunk);
        },
        input.maxCompressedBytes ?? DEFAULT_MAX_COMPRESSED_BYTES,
        input.timeoutMs,
      );
      const made = { name: p.name, ...sums.digest() };
      ours ??= made;
      if (match?.matches()) return { file: { name: p.name, status: 'identical', ...(note ? { detail: note } : {}) }, sums: made };
    }
    if (!upload)
      return {
        file: { name: p.name, status: 'differs', detail: "the upload's .dsc does not name it, or the file is not beside it" },
        sums: ours!,
      };
    let d;
    try {
      d = await firstDifference(
        p.tar(),
        decompress(join(input.upload.dir, p.name), {
          sandbox: input.sandbox,
          maxOutputBytes: tarBytes + 1,
          timeoutMs: input.timeoutMs ?? COMPRESS_TIMEOUT_MS,
        }),
      );
    } catch (e) {
      if (!(e instanceof TheirStreamError)) throw e;
      return {
        file: {
          name: p.name,
          status: 'differs',
          detail: `the upload's file does not decompress to a tar of ${tarBytes} bytes (${e.message})`,
        },
        sums: ours!,
      };
    }
    if (d.offset === undefined) {
      // The tar streams agree: the .dsc is then checked with the upload's own checksums for this file.
      return {
        file: {
          name: p.name,
          status: 'same-tar-different-compression',
          detail: 'the decompressed tar streams are byte-identical; the compressed bytes differ',
        },
        sums: expectedSums!,
      };
    }
    const detail = `the tar streams first differ at byte ${d.offset}${d.member ? ` (member ${JSON.stringify(d.member)})` : ''}; upload ${d.theirsBytes} bytes, made ${d.oursBytes} bytes`;
    return { file: { name: p.name, status: 'differs', detail }, sums: ours! };
  } finally {
    await upload?.file.close();
  }
}

function compareBody(input: SecondToolchainInput, body: Buffer): { status: 'identical' | 'differs'; fields?: FieldDifference[] } {
  const { dsc, dscBody } = input.upload;
  const uploaded = Buffer.from(dscBody.buffer, dscBody.byteOffset, dscBody.byteLength);
  if (uploaded.equals(body)) return { status: 'identical' };
  let fields: FieldDifference[] = [];
  try {
    // Both read the same way (a .dsc is bytes): the upload's paragraph as it
    // was read, unless it was UTF-8 and ours is not; then both byte for byte.
    const encoding = dsc.encoding === 'utf-8' && isUtf8(body) ? 'utf8' : 'latin1';
    const decode = (b: Buffer): string =>
      encoding === 'utf8' ? new TextDecoder('utf-8', { fatal: true }).decode(b) : b.toString('latin1');
    const theirs = encoding === 'latin1' && dsc.encoding === 'utf-8' ? parseDeb822Paragraph(decode(uploaded)) : dsc.paragraph;
    fields = fieldDifferences(parseDeb822Paragraph(decode(body)), theirs);
  } catch (e) {
    if (!isFormatError(e, 'deb822') && !(e instanceof TypeError)) throw e;
  }
  if (fields.length === 0) fields = [{ field: '(bytes)', expected: 'the same fields, other bytes (order, spelling or white space)' }];
  return { status: 'differs', fields };
}
