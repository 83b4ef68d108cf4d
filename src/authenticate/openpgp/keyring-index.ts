// Loads OpenPGP keyrings once and indexes every primary key and subkey by key
// id and fingerprint, so that finding a signature's issuer is a map lookup.
// Loading only frames packets and hashes key packets (the fingerprint of
// RFC 9580 §5.5.4); a key is handed to openpgp.js when a signature names it,
// and the parsed key is cached. A key whose packets cannot be framed, or that
// openpgp.js cannot parse, is skipped and reported; the other keys still load.
// A binary keyring that is exactly a sequence of well-framed keys can be
// loaded from a cached layout (src/authenticate/openpgp/keyring-cache.ts):
// when the file still has the identity the layout was recorded under, its
// keys are read from the file only when a lookup finds them, and each is
// framed again and checked against the layout first (mapped-keyring.ts); a
// key that does not match makes the whole keyring framed again and the
// lookup repeated. Otherwise the file is read and hashed, and each key
// packet the layout names is framed and hashed again. Either way a layout
// can only leave keys out, never put other bytes under a fingerprint.
import { createHash } from 'node:crypto';
import { dearmorAll } from './armor.js';
import {
  readLayout,
  recordedDigest,
  sameIdentity,
  settled,
  writeLayout,
  writeRecord,
  type FileIdentity,
  type KeyringLayout,
  type LayoutKey,
} from './keyring-cache.js';
import { keyMaterialOf } from './key-material.js';
import { parseKeyModel, type KeyModel } from './key-model.js';
import { KeyringFile, LayoutMismatch, MappedKeyring } from './mapped-keyring.js';
import { loadOpenpgp } from './openpgp-module.js';
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
  /** framed: every packet read; layout: read, hashed and checked against its cached layout; mapped: keys read when found. */
  readonly loaded: 'framed' | 'layout' | 'mapped';
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

/** One keyring's keys, in file order, with its lookup maps. */
interface Ring {
  readonly source: KeyringSource;
  keys: IndexedKey[];
  byFingerprint: Map<string, KeyMatch[]>;
  byKeyId: Map<string, KeyMatch[]>;
  skipped: SkippedKey[];
  loaded: KeyringSummary['loaded'];
  /** Set while the keys are read from the file when found (a cached layout the file's identity vouches for). */
  mapped?: { readonly keyring: MappedKeyring; readonly cacheDir: string | undefined };
  /** A framing of the whole file under way, after a key did not match the layout. */
  reframing?: Promise<void>;
}

function emptyRing(source: KeyringSource, loaded: KeyringSummary['loaded'] = 'framed'): Ring {
  return { source, keys: [], byFingerprint: new Map(), byKeyId: new Map(), skipped: [], loaded };
}

/** The index of one or more keyrings, in their configured order. */
export class KeyringIndex {
  private readonly rings: Ring[] = [];
  /** Each key's packets: in memory for a framed keyring; read and checked when first found for a mapped one. */
  private readonly packetsByKey = new Map<IndexedKey, Uint8Array | Promise<Uint8Array>>();
  /** A mapped key's ring and its entry in the ring's layout. */
  private readonly mappedAt = new Map<IndexedKey, { ring: Ring; entry: number }>();
  private readonly parsed = new Map<IndexedKey, Promise<KeyModel>>();

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
    const ring = emptyRing(source);
    const layout = this.frame(bytes, ring);
    this.rings.push(ring);
    return layout ? { summary: summaryOf(ring), layout } : { summary: summaryOf(ring) };
  }

  /** Frames `bytes` into `ring`; returns the layout when it can be cached. */
  private frame(bytes: Uint8Array, ring: Ring): Omit<KeyringLayout, 'sha256'> | undefined {
    const { source } = ring;
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
    const layout: LayoutKey[] = [];
    let tiles = !armored;
    let next = 0;
    for (const buf of chunks) {
      for (const raw of splitKeys(buf, source.path, ring.skipped)) {
        const key = this.indexKey(buf, raw, ring);
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
    const cacheable = tiles && ring.skipped.length === 0 && layout.length > 0 && next === bytes.length;
    return cacheable ? { size: bytes.length, keys: layout } : undefined;
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
    const keys: Array<{ key: IndexedKey; packets: Uint8Array }> = [];
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
        const key = { primaryFingerprint: m.fingerprint, primaryKeyId: m.keyId, subkeys, keyring: source.path, role: source.role };
        keys.push({ key, packets: bytes.subarray(k.start, end) });
      }
    } catch (e) {
      if (isFormatError(e, 'openpgp-packet')) return undefined;
      throw e;
    }
    const ring = emptyRing(source, 'layout');
    for (const { key, packets } of keys) this.addIndexed(ring, key, packets);
    this.rings.push(ring);
    return summaryOf(ring);
  }

  /**
   * Adds a binary keyring's keys from its cached layout without reading the
   * file: each key is read, framed and checked against the layout when a
   * lookup finds it (the file's identity vouches for the layout until then).
   * A key that does not match makes the whole file framed again.
   */
  addMapped(source: KeyringSource, keyring: MappedKeyring, cacheDir?: string): KeyringSummary {
    const ring: Ring = { ...emptyRing(source, 'mapped'), mapped: { keyring, cacheDir } };
    keyring.layout.keys.forEach((k, entry) => {
      const primary = k.fingerprint;
      const key: IndexedKey = {
        primaryFingerprint: primary,
        primaryKeyId: keyIdOf(primary),
        subkeys: k.subkeys.map((s) => ({ fingerprint: s.fingerprint, keyId: keyIdOf(s.fingerprint) })),
        keyring: source.path,
        role: source.role,
      };
      this.addIndexed(ring, key);
      this.mappedAt.set(key, { ring, entry });
    });
    this.rings.push(ring);
    return summaryOf(ring);
  }

  private indexKey(buf: Uint8Array, raw: RawKey, ring: Ring): IndexedKey | undefined {
    const { source } = ring;
    const primary = keyMaterialOf(raw.packets[0]!.body);
    if ('unsupported' in primary) {
      ring.skipped.push({ keyring: source.path, offset: raw.offset, why: primary.unsupported });
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
    };
    this.addIndexed(ring, key, concatPackets(buf, raw.packets));
    return key;
  }

  private addIndexed(ring: Ring, key: IndexedKey, packets?: Uint8Array): void {
    ring.keys.push(key);
    if (packets) this.packetsByKey.set(key, packets);
    add(ring.byFingerprint, key.primaryFingerprint, { key, fingerprint: key.primaryFingerprint, isPrimary: true });
    add(ring.byKeyId, key.primaryKeyId, { key, fingerprint: key.primaryFingerprint, isPrimary: true });
    for (const sub of key.subkeys) {
      add(ring.byFingerprint, sub.fingerprint, { key, fingerprint: sub.fingerprint, isPrimary: false });
      add(ring.byKeyId, sub.keyId, { key, fingerprint: sub.fingerprint, isPrimary: false });
    }
  }

  /** Keys (primary or subkey) with this fingerprint, in keyring order. */
  findByFingerprint(fingerprint: string): Promise<readonly KeyMatch[]> {
    return this.find('fingerprint', fingerprint.toLowerCase());
  }

  /** Keys (primary or subkey) with this 16-hex key id, in keyring order. */
  findByKeyId(keyId: string): Promise<readonly KeyMatch[]> {
    return this.find('keyId', keyId.toLowerCase());
  }

  private async find(by: 'fingerprint' | 'keyId', id: string): Promise<readonly KeyMatch[]> {
    const out: KeyMatch[] = [];
    for (const ring of this.rings) out.push(...(await this.findIn(ring, by, id)));
    return out;
  }

  /** The ring's matches, their packets read and checked; a mapped ring whose key does not match is framed again and searched again. */
  private async findIn(ring: Ring, by: 'fingerprint' | 'keyId', id: string): Promise<readonly KeyMatch[]> {
    await ring.reframing;
    const matches = (by === 'fingerprint' ? ring.byFingerprint : ring.byKeyId).get(id) ?? [];
    if (!ring.mapped) return matches;
    try {
      for (const m of matches) await this.packetsOf(m.key);
      return matches;
    } catch (e) {
      if (!(e instanceof LayoutMismatch)) throw e;
      ring.reframing ??= this.reframe(ring);
      return this.findIn(ring, by, id);
    }
  }

  /** Replaces a mapped ring's keys by a framing of its whole file (as it is now), and caches the new layout. */
  private async reframe(ring: Ring): Promise<void> {
    const { keyring, cacheDir } = ring.mapped!;
    const fresh = emptyRing(ring.source);
    const whole = await readWhole(keyring.file);
    const layout = this.frame(whole.bytes, fresh);
    for (const key of ring.keys) {
      this.packetsByKey.delete(key);
      this.mappedAt.delete(key);
      this.parsed.delete(key);
    }
    Object.assign(ring, {
      keys: fresh.keys,
      byFingerprint: fresh.byFingerprint,
      byKeyId: fresh.byKeyId,
      skipped: fresh.skipped,
      loaded: 'framed',
    });
    delete ring.mapped;
    try {
      if (cacheDir === undefined || !layout) return;
      const sha256 = sha256Of(whole.bytes);
      await writeLayout(cacheDir, { ...layout, sha256 });
      await recordIdentity(cacheDir, keyring.file, whole, sha256);
    } finally {
      await keyring.file.close();
    }
  }

  /** The key's packets (trust packets removed), as openpgp.js is given them. */
  packetsOf(key: IndexedKey): Promise<Uint8Array> {
    const known = this.packetsByKey.get(key);
    if (known) return Promise.resolve(known);
    const at = this.mappedAt.get(key);
    if (!at?.ring.mapped) return Promise.reject(new Error(`${key.primaryFingerprint} is not a key of this index`));
    const read = at.ring.mapped.keyring.packets(at.entry);
    this.packetsByKey.set(key, read);
    read.then(
      (bytes) => this.packetsByKey.get(key) === read && this.packetsByKey.set(key, bytes),
      () => this.packetsByKey.get(key) === read && this.packetsByKey.delete(key),
    );
    return read;
  }

  /** The key's packets parsed (cached); rejects when its primary key cannot be parsed. */
  parse(key: IndexedKey): Promise<KeyModel> {
    let p = this.parsed.get(key);
    if (!p) {
      // The index's fingerprint must be the parsed key's own, however the index was made.
      p = this.packetsOf(key)
        .then(parseKeyModel)
        .then((model) => {
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
    for (const key of this.keys) {
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
    return this.rings.flatMap((r) => r.keys);
  }

  get skipped(): readonly SkippedKey[] {
    return this.rings.flatMap((r) => r.skipped);
  }

  get keyrings(): readonly KeyringSummary[] {
    return this.rings.map(summaryOf);
  }
}

function summaryOf(ring: Ring): KeyringSummary {
  return { path: ring.source.path, role: ring.source.role, keys: ring.keys.length, skipped: ring.skipped.length, loaded: ring.loaded };
}

/** The key id a fingerprint implies: its low 64 bits for v4 (40 hex digits), its high 64 bits for v5 and v6. */
function keyIdOf(fingerprint: string): string {
  return fingerprint.length === 40 ? fingerprint.slice(-16) : fingerprint.slice(0, 16);
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

/** A keyring file's bytes, with its identity when the reading began and our clock then. */
interface WholeFile {
  readonly bytes: Uint8Array;
  readonly identity: FileIdentity;
  readonly from: number;
}

async function readWhole(file: KeyringFile): Promise<WholeFile> {
  const from = Date.now();
  const identity = await file.current();
  const buf = file.regular ? await file.readAt(0, identity.size) : await file.readToEnd();
  return { bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.length), identity, from };
}

function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Records the file's identity for its bytes' layout, when the file held still while it was read and had settled before. */
async function recordIdentity(dir: string, file: KeyringFile, whole: WholeFile, sha256: string): Promise<void> {
  const after = await file.current();
  if (sameIdentity(whole.identity, after) && after.size === whole.bytes.length && settled(after, whole.from))
    await writeRecord(dir, file.path, after, sha256);
}

/**
 * Reads and indexes keyring files, in order (earlier keyrings win, as in
 * dgit's AUTH-SPEC list). With a cache directory, a keyring of
 * minCachedBytes or more whose identity has a recorded layout is mapped (its
 * keys read when found); otherwise it is read and hashed, loaded from its
 * layout or framed, and its layout and identity recorded for the next load.
 */
export async function loadKeyrings(sources: readonly KeyringSource[], options: LoadOptions = {}): Promise<KeyringIndex> {
  // The keys will be parsed by openpgp.js: its loading overlaps the keyrings' (and a verification's fetch).
  loadOpenpgp().catch(() => undefined);
  const index = new KeyringIndex();
  const dir = options.cacheDir;
  for (const source of sources) {
    let file: KeyringFile;
    let whole: WholeFile | undefined;
    try {
      file = await KeyringFile.open(source.path);
      const mappable = dir !== undefined && file.regular && file.identity.size >= (options.minCachedBytes ?? 1 << 20);
      const recorded = mappable ? await recordedDigest(dir, source.path, file.identity) : undefined;
      const layout = recorded === undefined ? undefined : await readLayout(dir!, recorded, file.identity.size);
      if (layout) {
        index.addMapped(source, new MappedKeyring(file, layout), dir);
        continue;
      }
      whole = await readWhole(file);
      if (!mappable) {
        await file.close();
        index.addKeyring(whole.bytes, source);
        continue;
      }
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`cannot read keyring ${source.path}: ${(e as Error).message}`, { cause: e });
    }
    try {
      const sha256 = sha256Of(whole.bytes);
      const cached = await readLayout(dir, sha256, whole.bytes.length);
      if (cached && index.addFromLayout(whole.bytes, source, cached)) {
        await recordIdentity(dir, file, whole, sha256);
        continue;
      }
      const { layout } = index.addKeyringWithLayout(whole.bytes, source);
      if (!layout) continue;
      await writeLayout(dir, { ...layout, sha256 });
      await recordIdentity(dir, file, whole, sha256);
    } finally {
      await file.close();
    }
  }
  return index;
}
