// Loads OpenPGP keyrings once and indexes every primary key and subkey by key
// id and fingerprint, so that finding a signature's issuer is a map lookup.
// Loading only frames packets and hashes key packets (the fingerprint of
// RFC 9580 §5.5.4); a key is handed to openpgp.js when a signature names it,
// and the parsed key is cached. A key whose packets cannot be framed, or that
// openpgp.js cannot parse, is skipped and reported; the other keys still load.
// A binary keyring that is exactly a sequence of well-framed keys can be
// loaded from a cached layout (src/authenticate/openpgp/keyring-cache.ts):
// each key packet the layout names is framed and hashed again, so a layout
// can only leave keys out, never put other bytes under a fingerprint.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dearmorAll } from './armor.js';
import { readLayout, writeLayout, type KeyringLayout, type LayoutKey } from './keyring-cache.js';
import { parseKeyModel, type KeyModel } from './key-model.js';
import { PacketTag, readPacket, type Packet } from './packet-stream.js';
import { UsageError } from '../../report/usage-error.js';
import { isFormatError } from '../../report/format-error.js';

/**
 * What a keyring authorises (dgit-repos-server's AUTH-SPEC): `uploader` is
 * dgit's `a` (any package: debian-keyring, or a keyring given with --keyring);
 * `dm` and `nonupload` are dgit's `m` (the primary fingerprint must be allowed
 * the package in dm.txt). tag2upload-oracled.service passes
 * `debian-keyring.pgp,a:debian-maintainers.pgp,m…/dm.txt:debian-nonupload.pgp,m…/dm.txt`.
 */
export type KeyringRole = 'uploader' | 'dm' | 'nonupload';

export interface KeyringSource {
  readonly path: string;
  readonly role: KeyringRole;
}

export interface IndexedSubkey {
  /** Lower-case hex: 40 digits for v4 keys, 64 for v6. */
  readonly fingerprint: string;
  /** Lower-case 16 hex digits. */
  readonly keyId: string;
}

export interface IndexedKey {
  readonly primaryFingerprint: string;
  readonly primaryKeyId: string;
  readonly subkeys: readonly IndexedSubkey[];
  readonly keyring: string;
  readonly role: KeyringRole;
  /** The transferable key's packets (trust packets removed), for openpgp.js. */
  readonly packets: Uint8Array;
}

export interface KeyMatch {
  readonly key: IndexedKey;
  /** Fingerprint of the matched key packet (the primary key or one subkey). */
  readonly fingerprint: string;
  readonly isPrimary: boolean;
}

export interface SkippedKey {
  readonly keyring: string;
  /** Byte offset in the (dearmored) keyring. */
  readonly offset: number;
  readonly fingerprint?: string;
  readonly why: string;
}

export interface KeyringSummary {
  readonly path: string;
  readonly role: KeyringRole;
  readonly keys: number;
  readonly skipped: number;
}

interface KeyMaterial {
  readonly fingerprint: string;
  readonly keyId: string;
}

/** Fingerprint and key id of a public (sub)key packet body; undefined for versions openpgp.js cannot use. */
export function keyMaterialOf(body: Uint8Array): KeyMaterial | { unsupported: string } {
  const version = body[0];
  if (version === 4) {
    // v4: SHA-1 over 0x99, a two-octet length and the packet body; the key id is its low 64 bits.
    if (body.length > 0xffff) return { unsupported: 'v4 key packet too long' };
    const fpr = createHash('sha1')
      .update(Uint8Array.of(0x99, body.length >> 8, body.length & 0xff))
      .update(body)
      .digest('hex');
    return { fingerprint: fpr, keyId: fpr.slice(-16) };
  }
  if (version === 6 || version === 5) {
    // v6 (and LibrePGP v5): SHA-256 over 0x9b (0x9a), a four-octet length and the body; the key id is its high 64 bits.
    const n = body.length;
    const fpr = createHash('sha256')
      .update(Uint8Array.of(version === 6 ? 0x9b : 0x9a, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff))
      .update(body)
      .digest('hex');
    return { fingerprint: fpr, keyId: fpr.slice(0, 16) };
  }
  // v3 keys (MD5 fingerprints) left Debian's keyrings in 2012 and openpgp.js 6 cannot parse them.
  return { unsupported: `version ${version ?? '(none)'} key packet` };
}

/** A keyring cut into transferable keys (RFC 9580 §10.1), before indexing. */
interface RawKey {
  offset: number;
  packets: Packet[];
}

/**
 * Cuts a binary keyring into transferable keys. A framing error costs the key
 * it falls in: scanning resumes at the next byte that frames as a public-key
 * packet.
 */
function splitKeys(buf: Uint8Array, keyring: string, skipped: SkippedKey[]): RawKey[] {
  const keys: RawKey[] = [];
  let current: RawKey | undefined;
  let strayReported = false;
  let pos = 0;
  while (pos < buf.length) {
    let packet: Packet;
    try {
      packet = readPacket(buf, pos);
    } catch (e) {
      if (!isFormatError(e, 'openpgp-packet')) throw e;
      // The key the bad packet falls in is lost; the next key is found by resync.
      if (current) keys.pop();
      skipped.push({ keyring, offset: current?.offset ?? pos, why: `unreadable packet at byte ${pos}: ${e.message}` });
      current = undefined;
      pos = resync(buf, pos + 1);
      continue;
    }
    pos = packet.end;
    if (packet.tag === PacketTag.publicKey) {
      current = { offset: packet.start, packets: [packet] };
      keys.push(current);
    } else if (packet.tag === PacketTag.secretKey) {
      skipped.push({ keyring, offset: packet.start, why: 'secret key packet in a public keyring' });
      current = undefined;
      strayReported = true;
    } else if (packet.tag === PacketTag.trust) {
      // gpg's local trust packets are not part of the key (RFC 9580 §5.10).
    } else if (current) {
      current.packets.push(packet);
    } else if (!strayReported) {
      skipped.push({ keyring, offset: packet.start, why: `packet of type ${packet.tag} outside any public key` });
      strayReported = true;
    }
  }
  return keys;
}

/** The next offset from `pos` where a plausible public-key packet starts, or the end. */
function resync(buf: Uint8Array, pos: number): number {
  for (; pos < buf.length; pos++) {
    const b = buf[pos]!;
    // Legacy (0x98-0x9a) or current (0xc6) header of a public-key packet.
    if (b !== 0x98 && b !== 0x99 && b !== 0x9a && b !== 0xc6) continue;
    try {
      const p = readPacket(buf, pos);
      const v = p.body[0];
      if (p.tag === PacketTag.publicKey && (v === 4 || v === 6 || v === 5) && p.body.length > 6) return pos;
    } catch {
      // not a header here
    }
  }
  return buf.length;
}

function concatPackets(buf: Uint8Array, packets: readonly Packet[]): Uint8Array {
  // Contiguous runs (the usual case: no trust packets) are a view, not a copy.
  let contiguous = true;
  for (let i = 1; i < packets.length; i++) if (packets[i]!.start !== packets[i - 1]!.end) contiguous = false;
  if (contiguous) return buf.subarray(packets[0]!.start, packets.at(-1)!.end);
  return Buffer.concat(packets.map((p) => buf.subarray(p.start, p.end)));
}

function isArmored(buf: Uint8Array): boolean {
  const head = Buffer.from(buf.subarray(0, 4096)).toString('latin1');
  return /^\s*-----BEGIN PGP PUBLIC KEY BLOCK-----/.test(head);
}

/** The index of one or more keyrings, in their configured order. */
export class KeyringIndex {
  private readonly byFingerprint = new Map<string, KeyMatch[]>();
  private readonly byKeyId = new Map<string, KeyMatch[]>();
  private readonly parsed = new Map<IndexedKey, Promise<KeyModel>>();
  private readonly keyList: IndexedKey[] = [];
  private readonly skippedList: SkippedKey[] = [];
  private readonly summaryList: KeyringSummary[] = [];

  /** Adds the keys of one keyring (binary or armored); later keyrings rank after earlier ones. */
  addKeyring(bytes: Uint8Array, source: KeyringSource): KeyringSummary {
    return this.addKeyringWithLayout(bytes, source).summary;
  }

  /**
   * addKeyring, and the keyring's layout when it can be cached: a binary
   * keyring whose keys all framed, one after the other from its first byte to
   * its last, without trust packets (`sha256` is left for the caller to set).
   */
  addKeyringWithLayout(bytes: Uint8Array, source: KeyringSource): { summary: KeyringSummary; layout?: Omit<KeyringLayout, 'sha256'> } {
    const skipped: SkippedKey[] = [];
    const chunks: Uint8Array[] = [];
    const armored = isArmored(bytes);
    if (armored) {
      try {
        for (const block of dearmorAll(Buffer.from(bytes).toString('latin1'))) chunks.push(block.data);
      } catch (e) {
        throw new UsageError(`${source.path}: ${(e as Error).message}`);
      }
    } else {
      chunks.push(bytes);
    }
    let keys = 0;
    const layout: LayoutKey[] = [];
    let tiles = !armored;
    let next = 0;
    for (const buf of chunks) {
      for (const raw of splitKeys(buf, source.path, skipped)) {
        const key = this.indexKey(buf, raw, source, skipped);
        if (key) keys++;
        if (!tiles) continue;
        const packets = raw.packets;
        const contiguous = packets.every((p, i) => (i === 0 ? p.start === next : p.start === packets[i - 1]!.end));
        if (!key || !contiguous) {
          tiles = false;
          continue;
        }
        next = packets.at(-1)!.end;
        const subkeys = packets
          .filter((p) => p.tag === PacketTag.publicSubkey)
          .flatMap((p) => {
            const m = keyMaterialOf(p.body);
            return 'unsupported' in m ? [] : [{ offset: p.start, fingerprint: m.fingerprint }];
          });
        layout.push({ start: raw.offset, fingerprint: key.primaryFingerprint, subkeys });
      }
    }
    this.skippedList.push(...skipped);
    const summary = { path: source.path, role: source.role, keys, skipped: skipped.length };
    this.summaryList.push(summary);
    const cacheable = tiles && skipped.length === 0 && layout.length > 0 && next === bytes.length;
    return cacheable ? { summary, layout: { size: bytes.length, keys: layout } } : { summary };
  }

  /**
   * Adds a binary keyring's keys from its cached layout, checking each named
   * packet: a public-key packet at each key's start whose fingerprint is the
   * layout's, each subkey a public-subkey packet inside its key with the
   * layout's fingerprint. Adds nothing and returns undefined when any check
   * fails (the caller then frames the keyring).
   */
  addFromLayout(bytes: Uint8Array, source: KeyringSource, layout: KeyringLayout): KeyringSummary | undefined {
    if (layout.size !== bytes.length || isArmored(bytes)) return undefined;
    const keys: IndexedKey[] = [];
    try {
      for (let i = 0; i < layout.keys.length; i++) {
        const k = layout.keys[i]!;
        const end = layout.keys[i + 1]?.start ?? bytes.length;
        const primary = readPacket(bytes, k.start);
        if (primary.tag !== PacketTag.publicKey || primary.end > end) return undefined;
        const m = keyMaterialOf(primary.body);
        if ('unsupported' in m || m.fingerprint !== k.fingerprint) return undefined;
        const subkeys: IndexedSubkey[] = [];
        for (const s of k.subkeys) {
          const p = readPacket(bytes, s.offset);
          if (p.tag !== PacketTag.publicSubkey || p.end > end) return undefined;
          const sm = keyMaterialOf(p.body);
          if ('unsupported' in sm || sm.fingerprint !== s.fingerprint) return undefined;
          subkeys.push(sm);
        }
        keys.push({
          primaryFingerprint: m.fingerprint,
          primaryKeyId: m.keyId,
          subkeys,
          keyring: source.path,
          role: source.role,
          packets: bytes.subarray(k.start, end),
        });
      }
    } catch (e) {
      if (isFormatError(e, 'openpgp-packet')) return undefined;
      throw e;
    }
    for (const key of keys) this.addIndexed(key);
    const summary = { path: source.path, role: source.role, keys: keys.length, skipped: 0 };
    this.summaryList.push(summary);
    return summary;
  }

  private indexKey(buf: Uint8Array, raw: RawKey, source: KeyringSource, skipped: SkippedKey[]): IndexedKey | undefined {
    const primary = keyMaterialOf(raw.packets[0]!.body);
    if ('unsupported' in primary) {
      skipped.push({ keyring: source.path, offset: raw.offset, why: primary.unsupported });
      return undefined;
    }
    const subkeys: IndexedSubkey[] = [];
    for (const p of raw.packets) {
      if (p.tag !== PacketTag.publicSubkey) continue;
      const sub = keyMaterialOf(p.body);
      // An unusable subkey does not make the rest of the key unusable; openpgp.js ignores it too.
      if (!('unsupported' in sub)) subkeys.push(sub);
    }
    const key: IndexedKey = {
      primaryFingerprint: primary.fingerprint,
      primaryKeyId: primary.keyId,
      subkeys,
      keyring: source.path,
      role: source.role,
      packets: concatPackets(buf, raw.packets),
    };
    this.addIndexed(key);
    return key;
  }

  private addIndexed(key: IndexedKey): void {
    this.keyList.push(key);
    add(this.byFingerprint, key.primaryFingerprint, { key, fingerprint: key.primaryFingerprint, isPrimary: true });
    add(this.byKeyId, key.primaryKeyId, { key, fingerprint: key.primaryFingerprint, isPrimary: true });
    for (const sub of key.subkeys) {
      add(this.byFingerprint, sub.fingerprint, { key, fingerprint: sub.fingerprint, isPrimary: false });
      add(this.byKeyId, sub.keyId, { key, fingerprint: sub.fingerprint, isPrimary: false });
    }
  }

  /** Keys (primary or subkey) with this fingerprint, in keyring order. */
  findByFingerprint(fingerprint: string): readonly KeyMatch[] {
    return this.byFingerprint.get(fingerprint.toLowerCase()) ?? [];
  }

  /** Keys (primary or subkey) with this 16-hex key id, in keyring order. */
  findByKeyId(keyId: string): readonly KeyMatch[] {
    return this.byKeyId.get(keyId.toLowerCase()) ?? [];
  }

  /** The key's packets parsed (cached); rejects when its primary key cannot be parsed. */
  parse(key: IndexedKey): Promise<KeyModel> {
    let p = this.parsed.get(key);
    if (!p) {
      // The index's fingerprint must be the parsed key's own, however the index was made.
      p = parseKeyModel(key.packets).then((model) => {
        if (model.primary.getFingerprint() !== key.primaryFingerprint)
          throw new Error(`the key's packets are not those of ${key.primaryFingerprint}`);
        return model;
      });
      this.parsed.set(key, p);
    }
    return p;
  }

  /**
   * Parses every key with openpgp.js, moving those it refuses to `skipped`.
   * Not needed for verification (keys are parsed on first use); it is for
   * reporting on a keyring's health.
   */
  async parseAll(): Promise<SkippedKey[]> {
    const bad: SkippedKey[] = [];
    for (const key of this.keyList) {
      try {
        await this.parse(key);
      } catch (e) {
        bad.push({
          keyring: key.keyring,
          offset: -1,
          fingerprint: key.primaryFingerprint,
          why: `cannot parse the key: ${(e as Error).message}`,
        });
      }
    }
    this.parsed.clear();
    return bad;
  }

  get keys(): readonly IndexedKey[] {
    return this.keyList;
  }

  get skipped(): readonly SkippedKey[] {
    return this.skippedList;
  }

  get keyrings(): readonly KeyringSummary[] {
    return this.summaryList;
  }
}

function add(map: Map<string, KeyMatch[]>, k: string, m: KeyMatch): void {
  const list = map.get(k);
  if (list) list.push(m);
  else map.set(k, [m]);
}

export interface LoadOptions {
  /** Where keyring layouts are cached (keyring-cache.ts); none: every keyring is framed. */
  readonly cacheDir?: string;
  /** Keyrings smaller than this are always framed (default 1 MiB: below it framing is quicker than hashing). */
  readonly minCachedBytes?: number;
}

/** Reads and indexes keyring files, in order (earlier keyrings win, as in dgit's AUTH-SPEC list). */
export async function loadKeyrings(sources: readonly KeyringSource[], options: LoadOptions = {}): Promise<KeyringIndex> {
  const index = new KeyringIndex();
  for (const source of sources) {
    let bytes: Buffer;
    try {
      bytes = await readFile(source.path);
    } catch (e) {
      throw new UsageError(`cannot read keyring ${source.path}: ${(e as Error).message}`, { cause: e });
    }
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    const dir = options.cacheDir;
    if (dir === undefined || bytes.length < (options.minCachedBytes ?? 1 << 20)) {
      index.addKeyring(view, source);
      continue;
    }
    const sha256 = createHash('sha256').update(view).digest('hex');
    const cached = await readLayout(dir, sha256, bytes.length);
    if (cached && index.addFromLayout(view, source, cached)) continue;
    const { layout } = index.addKeyringWithLayout(view, source);
    if (layout) await writeLayout(dir, { ...layout, sha256 });
  }
  return index;
}
