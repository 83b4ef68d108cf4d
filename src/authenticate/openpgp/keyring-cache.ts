// A cache of keyring layouts: where each transferable key starts in a binary
// keyring file and the fingerprints of its primary key and subkeys, stored
// under the sha256 of the file's bytes. Framing Debian's keyring (35 MB, about
// 1,200 keys and hundreds of thousands of signature packets) is most of the
// time it takes to load; with a layout, loading reads and hashes the file and
// checks only the key packets the layout names (src/authenticate/openpgp/
// keyring-index.ts). The cache is the user's own: a file or directory that
// another user could write is neither read nor written, and a layout that
// does not match its keyring is recomputed. Files are written whole and
// renamed into place, mode 0600.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const LAYOUT_FORMAT = 't2u-verify/keyring-layout/v1';
/** A layout file larger than this is not read (Debian's keyring's is about 300 KB). */
const MAX_LAYOUT_BYTES = 16 << 20;
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

/** The cached layout of the keyring whose bytes hash to `sha256`, when there is a well-formed one we own. */
export async function readLayout(dir: string, sha256: string, size: number): Promise<KeyringLayout | undefined> {
  if (!(await usableDir(dir))) return undefined;
  let text: string;
  try {
    const fh = await open(join(dir, `${sha256}.json`), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const st = await fh.stat();
      if (!st.isFile() || !ours(st) || st.size > MAX_LAYOUT_BYTES) return undefined;
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
  try {
    return parseLayout(JSON.parse(text), sha256, size);
  } catch {
    return undefined;
  }
}

/** Stores a layout; a failure only means the next load frames the keyring again. */
export async function writeLayout(dir: string, layout: KeyringLayout): Promise<void> {
  if (!(await usableDir(dir))) return;
  const file = join(dir, `${layout.sha256}.json`);
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const body = JSON.stringify({
    format: LAYOUT_FORMAT,
    sha256: layout.sha256,
    size: layout.size,
    keys: layout.keys.map((k) => [k.start, k.fingerprint, k.subkeys.map((s) => [s.offset, s.fingerprint])]),
  });
  try {
    await writeFile(tmp, body, { mode: 0o600, flag: 'wx' });
    await rename(tmp, file);
  } catch {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
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
