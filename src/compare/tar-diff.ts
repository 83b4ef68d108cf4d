// Member-level diff of two tarballs of a source package (`.debian.tar.*`,
// `.orig.tar.*`, a native `.tar.*`): which members were added, removed or
// changed (content, mode, type, link target, mtime, owner), with a bounded
// unified diff for text members. It explains a mismatch the file hashes
// already found, so it never throws: a tarball that cannot be read gives a
// TarballDiff with `error`.
import { basename } from 'node:path';
import type { TarballDiff, TarMemberFacts } from '../report/report.js';
import { isTarballError } from '../tarball/tarball-error.js';
import { decompress, type DecompressOptions } from '../tarball/decompress.js';
import { BINARY_HEAD_BYTES, readTar, type TarEntry, type TarLimits } from '../tarball/tar-reader.js';
import { unifiedDiff, type UnifiedDiffLimits } from './unified-diff.js';

export interface TarDiffOptions {
  /** How both tarballs are decompressed, and in which sandbox. */
  decompress: DecompressOptions;
  tar?: TarLimits;
  diff?: UnifiedDiffLimits;
  /** Members listed before `truncated` counts the rest. Default 200. */
  maxReported?: number;
  /** Text held in memory per tarball for diffs; members beyond it are listed without a diff. Default 64 MiB. */
  maxKeptTextBytes?: number;
  /** The name to report (default: the expected file's name). */
  file?: string;
}

export const DEFAULT_TAR_DIFF = { maxReported: 200, maxKeptTextBytes: 64 * 1024 ** 2 } as const;

type Member = TarballDiff['members'][number];

/** The aspects of a member that `changed` covers, in the order they are reported. */
export const ASPECTS = ['content', 'type', 'mode', 'link', 'owner', 'mtime'] as const;

/**
 * Compares the members of two tarballs: `added` is a member only `got` has.
 * verify passes the tarball rebuilt from the tag as `expected` and the
 * upload's as `got` (TarballDiff in src/report/report.ts).
 */
export async function diffTarballs(expectedPath: string, gotPath: string, options: TarDiffOptions): Promise<TarballDiff> {
  const file = options.file ?? basename(expectedPath);
  const [expected, got] = await Promise.all([
    index(expectedPath, options).catch((e: unknown) => failure('expected', expectedPath, e)),
    index(gotPath, options).catch((e: unknown) => failure('got', gotPath, e)),
  ]);
  const error = [expected, got].filter((x): x is string => typeof x === 'string');
  if (error.length > 0) return { file, members: [], error: error.join('; ') };
  return { file, ...compareIndexes(expected as Map<string, TarEntry>, got as Map<string, TarEntry>, options) };
}

/** The comparison of two member indexes (by member name), ordered by name and capped. */
export function compareIndexes(
  expected: ReadonlyMap<string, TarEntry>,
  got: ReadonlyMap<string, TarEntry>,
  options: Pick<TarDiffOptions, 'maxReported' | 'diff'> = {},
): Pick<TarballDiff, 'members' | 'truncated'> {
  const names = sortByBytes(new Set([...expected.keys(), ...got.keys()]));
  const differing: { path: string; e?: TarEntry; g?: TarEntry; aspects: string[] }[] = [];
  for (const path of names) {
    const e = expected.get(path);
    const g = got.get(path);
    const aspects = e && g ? aspectsChanged(e, g) : [];
    if (e && g && aspects.length === 0) continue;
    differing.push({ path, ...(e ? { e } : {}), ...(g ? { g } : {}), aspects });
  }
  const max = options.maxReported ?? DEFAULT_TAR_DIFF.maxReported;
  const members = differing.slice(0, max).map(({ path, e, g, aspects }): Member => {
    const change = !e ? 'added' : !g ? 'removed' : 'changed';
    const text = textDiff(path, e, g, aspects, options.diff);
    return {
      path,
      change,
      ...(e ? { expected: facts(e) } : {}),
      ...(g ? { got: facts(g) } : {}),
      ...(change === 'changed' ? { aspects } : {}),
      ...(text ? { diff: text } : {}),
    };
  });
  return { members, ...(differing.length > max ? { truncated: differing.length - max } : {}) };
}

/** Reads one tarball into an index by member name; names repeated in the archive get a ` (copy N)` suffix. */
async function index(path: string, options: TarDiffOptions): Promise<Map<string, TarEntry>> {
  const out = new Map<string, TarEntry>();
  const seen = new Map<string, number>();
  let budget = options.maxKeptTextBytes ?? DEFAULT_TAR_DIFF.maxKeptTextBytes;
  for await (let entry of readTar(decompress(path, options.decompress), options.tar)) {
    if (entry.text !== undefined) {
      if (entry.size > budget) {
        const { text: _dropped, ...rest } = entry;
        entry = rest;
      } else {
        budget -= entry.size;
      }
    }
    // A tar may hold the same name twice (later copies win on extraction): each is listed.
    const n = (seen.get(entry.name) ?? 0) + 1;
    seen.set(entry.name, n);
    out.set(n === 1 ? entry.name : `${entry.name} (copy ${n})`, entry);
  }
  return out;
}

function failure(side: 'expected' | 'got', path: string, e: unknown): string {
  const what = isTarballError(e) ? `${e.code}: ${e.message}` : (e as Error).message;
  return `${side} ${basename(path)}: ${what}`;
}

function aspectsChanged(e: TarEntry, g: TarEntry): string[] {
  const differs: Record<(typeof ASPECTS)[number], boolean> = {
    content: e.sha256 !== g.sha256 || e.size !== g.size,
    type: e.type !== g.type || e.devmajor !== g.devmajor || e.devminor !== g.devminor,
    mode: e.mode !== g.mode,
    link: e.linkname !== g.linkname,
    owner: owner(e) !== owner(g),
    mtime: e.mtime !== g.mtime,
  };
  return ASPECTS.filter((a) => differs[a]);
}

function textDiff(
  path: string,
  e: TarEntry | undefined,
  g: TarEntry | undefined,
  aspects: readonly string[],
  limits?: UnifiedDiffLimits,
): string | undefined {
  if (e && g && !aspects.includes('content')) return undefined;
  // An added or removed text member is shown against nothing, as `diff -N` does.
  const a = e ? e.text : '';
  const b = g ? g.text : '';
  if (a !== undefined && b !== undefined) return unifiedDiff(a, b, `a/${path}`, `b/${path}`, limits) || undefined;
  // Binary on either side: a diff of hexdumps of the first bytes, as diffoscope shows binary files.
  const ha = e ? hexdumpOf(e) : '';
  const hb = g ? hexdumpOf(g) : '';
  if (ha === undefined || hb === undefined) return undefined;
  return unifiedDiff(ha, hb, `a/${path} (hexdump)`, `b/${path} (hexdump)`, limits) || undefined;
}

/** xxd's layout: offset, 16 bytes in pairs, the printable ASCII; the first BINARY_HEAD_BYTES only. */
function hexdumpOf(e: TarEntry): string | undefined {
  const data = e.binaryHead ?? (e.text !== undefined ? Buffer.from(e.text, 'utf8').subarray(0, BINARY_HEAD_BYTES) : undefined);
  if (data === undefined) return undefined;
  return hexdump(data, e.size);
}

export function hexdump(data: Uint8Array, size: number): string {
  const lines: string[] = [];
  for (let off = 0; off < data.length; off += 16) {
    const row = data.subarray(off, off + 16);
    let hex = '';
    for (let i = 0; i < 16; i++) hex += (i < row.length ? row[i]!.toString(16).padStart(2, '0') : '  ') + (i % 2 === 1 ? ' ' : '');
    const ascii = Array.from(row, (c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}: ${hex} ${ascii}\n`);
  }
  if (size > data.length) lines.push(`… ${size - data.length} more bytes not shown\n`);
  return lines.join('');
}

function facts(e: TarEntry): TarMemberFacts {
  return {
    size: e.size,
    mode: e.mode.toString(8).padStart(4, '0'),
    sha256: e.sha256,
    mtime: e.mtime,
    type: e.type,
    ...(e.linkname ? { link: e.linkname } : {}),
    owner: owner(e),
  };
}

/** `uid/gid`, then `uname/gname` when the header names them (dpkg-source's tar uses --numeric-owner and leaves them empty). */
function owner(e: TarEntry): string {
  return e.uname || e.gname ? `${e.uid}/${e.gid} ${e.uname}/${e.gname}` : `${e.uid}/${e.gid}`;
}

/** Orders names by the bytes of their UTF-8, as `tar --sort=name` orders members. */
function sortByBytes(names: Iterable<string>): string[] {
  return [...names]
    .map((name) => ({ name, key: Buffer.from(name, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.key, b.key))
    .map((x) => x.name);
}
