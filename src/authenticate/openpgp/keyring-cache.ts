// A cache of keyring layouts: where each transferable key starts in a binary
// keyring file and the fingerprints of its primary key and subkeys, stored
// under the sha256 of the file's bytes, and beside them a record per keyring
// file of the identity its bytes had when they were hashed (device, inode,
// size, modification and change times to the nanosecond). Framing Debian's
// keyring (35 MB, about 1,200 keys and hundreds of thousands of signature
// packets) is most of the time it takes to load, and hashing it most of the
// rest; with a layout whose record still names the file's identity, loading
// reads neither, and only the keys a signature names are read, framed and
// checked against the layout (src/authenticate/openpgp/mapped-keyring.ts). A
// file changed in place gets a new change time (which only the kernel
// sets), a file replaced gets a new inode: either way the record no longer
// matches and the file is hashed again. A record is written only for a file
// whose times are older than the hashing by RACY_MS, so that a change in the
// same timestamp tick as the hashing cannot go unseen (git's "racy clean"
// rule). The cache is the user's own: a file or directory that another user
// could write is neither read nor written, and a layout that does not match
// its keyring is recomputed. Files are written whole and renamed into place,
// mode 0600; the oldest beyond MAX_LAYOUTS layouts and MAX_RECORDS records
// are removed.
import { createHash, randomBytes } from 'node:crypto';
import { constants, type BigIntStats } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const LAYOUT_FORMAT = 't2u-verify/keyring-layout/v1';
export const FILE_RECORD_FORMAT = 't2u-verify/keyring-file/v1';
/** A layout file larger than this is not read (Debian's keyring's is about 300 KB). */
const MAX_LAYOUT_BYTES = 16 << 20;
const MAX_RECORD_BYTES = 4096;
/** Layouts and file records kept; the least recently written beyond these are removed. */
export const MAX_LAYOUTS = 16;
export const MAX_RECORDS = 64;
/** A file changed less than this before it was hashed gets no identity record. */
export const RACY_MS = 2000;
const FINGERPRINT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export interface LayoutSubkey {
  readonly offset: number;
  readonly fingerprint: string;
}

export interface LayoutKey {
  /** Offset of the key's public-key packet; the key runs to the next key's start, the last to the end of the file. */
  readonly start: number;
  readonly fingerprint: string;
  readonly subkeys: readonly LayoutSubkey[];
}

export interface KeyringLayout {
  readonly sha256: string;
  readonly size: number;
  readonly keys: readonly LayoutKey[];
}

/** Neither group nor others may write it, and it is ours. */
function ours(st: { uid: number; mode: number }): boolean {
  const uid = process.getuid?.();
  return (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0;
}

/** The directory exists (made 0700 when it did not) and only we can write it. */
async function usableDir(dir: string): Promise<boolean> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return ours(await stat(dir));
  } catch {
    return false;
  }
}

/** The JSON in the file `name` of `dir`, when the directory and the file are ours and the file is at most `maxBytes`. */
async function readOwnJson(dir: string, name: string, maxBytes: number): Promise<unknown> {
  if (!(await usableDir(dir))) return undefined;
  let text: string;
  try {
    const fh = await open(join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const st = await fh.stat();
      if (!st.isFile() || !ours(st) || st.size > maxBytes) return undefined;
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Writes the file `name` of `dir` whole (0600, renamed into place); a failure leaves the cache as it was. */
async function writeOwnFile(dir: string, name: string, body: string): Promise<void> {
  if (!(await usableDir(dir))) return;
  const file = join(dir, name);
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, body, { mode: 0o600, flag: 'wx' });
    await rename(tmp, file);
  } catch {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
  await prune(dir);
}

/** The cached layout of the keyring whose bytes hash to `sha256`, when there is a well-formed one we own. */
export async function readLayout(dir: string, sha256: string, size: number): Promise<KeyringLayout | undefined> {
  const json = await readOwnJson(dir, `${sha256}.json`, MAX_LAYOUT_BYTES);
  return json === undefined ? undefined : parseLayout(json, sha256, size);
}

/** Stores a layout; a failure only means the next load frames the keyring again. */
export async function writeLayout(dir: string, layout: KeyringLayout): Promise<void> {
  const body = JSON.stringify({
    format: LAYOUT_FORMAT,
    sha256: layout.sha256,
    size: layout.size,
    keys: layout.keys.map((k) => [k.start, k.fingerprint, k.subkeys.map((s) => [s.offset, s.fingerprint])]),
  });
  await writeOwnFile(dir, `${layout.sha256}.json`, body);
}

/**
 * The layout in a parsed layout file, or undefined when it is not one for
 * these bytes: offsets must be integers inside the file, keys in increasing
 * order from 0, each subkey inside its key. Whether packets sit at those
 * offsets, with those fingerprints, is checked against the keyring itself.
 */
export function parseLayout(json: unknown, sha256: string, size: number): KeyringLayout | undefined {
  const o = json as { format?: unknown; sha256?: unknown; size?: unknown; keys?: unknown };
  if (
    typeof o !== 'object' ||
    o === null ||
    o.format !== LAYOUT_FORMAT ||
    o.sha256 !== sha256 ||
    o.size !== size ||
    !Array.isArray(o.keys) ||
    o.keys.length === 0
  )
    return undefined;
  const keys: LayoutKey[] = [];
  const offset = (x: unknown, min: number, max: number): x is number =>
    Number.isSafeInteger(x) && (x as number) >= min && (x as number) < max;
  for (let i = 0; i < o.keys.length; i++) {
    const k: unknown = o.keys[i];
    if (!Array.isArray(k) || k.length !== 3) return undefined;
    const [start, fingerprint, subs] = k as [unknown, unknown, unknown];
    const prev = keys.at(-1)?.start ?? -1;
    if (!offset(start, prev + 1, size) || (i === 0 && start !== 0)) return undefined;
    if (typeof fingerprint !== 'string' || !FINGERPRINT.test(fingerprint) || !Array.isArray(subs)) return undefined;
    const subkeys: LayoutSubkey[] = [];
    for (const s of subs) {
      if (!Array.isArray(s) || s.length !== 2) return undefined;
      const [at, fpr] = s as [unknown, unknown];
      if (!offset(at, (subkeys.at(-1)?.offset ?? start) + 1, size) || typeof fpr !== 'string' || !FINGERPRINT.test(fpr)) return undefined;
      subkeys.push({ offset: at, fingerprint: fpr });
    }
    keys.push({ start, fingerprint, subkeys });
  }
  // Each subkey lies before the next key's start.
  for (let i = 0; i + 1 < keys.length; i++) {
    if (keys[i]!.subkeys.some((s) => s.offset >= keys[i + 1]!.start)) return undefined;
  }
  return { sha256, size, keys };
}

/** What names a file's bytes without reading them (from a bigint stat). */
export interface FileIdentity {
  readonly dev: string;
  readonly ino: string;
  readonly size: number;
  readonly mtimeNs: string;
  readonly ctimeNs: string;
}

export function identityOf(st: BigIntStats): FileIdentity {
  return {
    dev: String(st.dev),
    ino: String(st.ino),
    size: Number(st.size),
    mtimeNs: String(st.mtimeNs),
    ctimeNs: String(st.ctimeNs),
  };
}

export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** Whether the file was last changed at least RACY_MS before `hashedFromMs` (our clock when its reading began). */
export function settled(id: FileIdentity, hashedFromMs: number): boolean {
  const limit = BigInt(Math.floor(hashedFromMs - RACY_MS)) * 1_000_000n;
  return BigInt(id.mtimeNs) < limit && BigInt(id.ctimeNs) < limit;
}

function recordName(path: string): string {
  return `file-${createHash('sha256').update(resolve(path)).digest('hex')}.json`;
}

const DIGITS = /^[0-9]{1,40}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** The sha256 a keyring file's bytes had when it last had `identity`, if we recorded it. */
export async function recordedDigest(dir: string, path: string, identity: FileIdentity): Promise<string | undefined> {
  const o = (await readOwnJson(dir, recordName(path), MAX_RECORD_BYTES)) as
    { format?: unknown; path?: unknown; sha256?: unknown; identity?: Record<string, unknown> } | undefined;
  const id = o?.identity;
  if (o?.format !== FILE_RECORD_FORMAT || o.path !== resolve(path) || typeof o.sha256 !== 'string' || !SHA256.test(o.sha256))
    return undefined;
  if (typeof id !== 'object' || id === null) return undefined;
  const fields = ['dev', 'ino', 'mtimeNs', 'ctimeNs'] as const;
  if (!fields.every((f) => typeof id[f] === 'string' && DIGITS.test(id[f])) || !Number.isSafeInteger(id.size)) return undefined;
  return sameIdentity(id as unknown as FileIdentity, identity) ? o.sha256 : undefined;
}

/** Records that the keyring file at `path`, while it has `identity`, hashes to `sha256`. */
export async function writeRecord(dir: string, path: string, identity: FileIdentity, sha256: string): Promise<void> {
  await writeOwnFile(dir, recordName(path), JSON.stringify({ format: FILE_RECORD_FORMAT, path: resolve(path), identity, sha256 }));
}

/** Removes the least recently written layouts and records beyond the caps, and temporary files left over an hour. */
async function prune(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const layouts: Array<{ name: string; at: number }> = [];
  const records: Array<{ name: string; at: number }> = [];
  const now = Date.now();
  for (const name of names) {
    const kind = /^[0-9a-f]{64}\.json$/.test(name) ? layouts : /^file-[0-9a-f]{64}\.json$/.test(name) ? records : undefined;
    const temporary = name.endsWith('.tmp');
    if (!kind && !temporary) continue;
    const at = await stat(join(dir, name)).then(
      (s) => s.mtimeMs,
      () => undefined,
    );
    if (at === undefined) continue;
    if (temporary) {
      if (now - at > 3600_000) await rm(join(dir, name), { force: true }).catch(() => undefined);
    } else kind!.push({ name, at });
  }
  for (const [list, keep] of [
    [layouts, MAX_LAYOUTS],
    [records, MAX_RECORDS],
  ] as const) {
    list.sort((a, b) => b.at - a.at);
    for (const old of list.slice(keep)) await rm(join(dir, old.name), { force: true }).catch(() => undefined);
  }
}
