// A binary keyring read key by key from its file, through its cached layout
// (keyring-cache.ts), so that a verification reads, frames and keeps in
// memory only the keys its signatures name, not Debian's whole 35 MB
// keyring. The file stays open for the index's life: keys are read from the
// bytes that were there when the keyring was loaded (the inode, even if the
// path is replaced meanwhile, as the mirror's cache does when it refreshes),
// and each read first checks that the file still has the identity its layout
// was recorded under. A key's bytes are framed again when read and must give
// exactly the layout's entry: a public-key packet with the entry's
// fingerprint at its start, no other key, secret-key or trust packet inside,
// the entry's subkeys at their offsets, and the next entry's key starting
// where this one ends (or the end of the file). Anything else is a
// LayoutMismatch, and the caller then frames the whole keyring again.
import { close, fstat, open, read } from 'node:fs';
import { promisify } from 'node:util';
import { identityOf, sameIdentity, type FileIdentity, type KeyringLayout, type LayoutKey } from './keyring-cache.js';
import { keyMaterialOf } from './key-material.js';
import { PacketTag, readPacket, readPackets } from './packet-stream.js';
import { isFormatError } from '../../report/format-error.js';

const openFd = promisify(open);
const readFd = promisify(read);
const closeFd = promisify(close);
const fstatBig = (fd: number) =>
  new Promise<{ identity: FileIdentity; regular: boolean }>((resolve, reject) =>
    fstat(fd, { bigint: true }, (err, st) => (err ? reject(err) : resolve({ identity: identityOf(st), regular: st.isFile() }))),
  );

/** How far past a key's end its successor's public-key packet is read (a v4 key packet is at most 64 KiB). */
const NEXT_KEY_PEEK = 66 << 10;

/** The file's bytes are not what its layout says (changed in place, or a damaged layout). */
export class LayoutMismatch extends Error {}

/** Descriptors of files whose KeyringFile was collected without being closed. */
const closer = new FinalizationRegistry<number>((fd) => close(fd, () => undefined));

/** An open keyring file: its identity when opened, and positioned reads. */
export class KeyringFile {
  private constructor(
    private readonly fd: number,
    readonly path: string,
    readonly identity: FileIdentity,
    /** A regular file (not a pipe, as a shell's process substitution gives, nor a device). */
    readonly regular: boolean,
  ) {
    closer.register(this, fd, this);
  }

  private closed = false;

  /** Opens `path` for reading; rejects with the file system's error. */
  static async open(path: string): Promise<KeyringFile> {
    const fd = await openFd(path, 'r');
    try {
      const { identity, regular } = await fstatBig(fd);
      return new KeyringFile(fd, path, identity, regular);
    } catch (e) {
      close(fd, () => undefined);
      throw e;
    }
  }

  /** The file's identity now. */
  async current(): Promise<FileIdentity> {
    return (await fstatBig(this.fd)).identity;
  }

  /** `length` bytes from `position`, fewer at the end of the file. */
  async readAt(position: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await readFd(this.fd, buf, got, length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === length ? buf : buf.subarray(0, got);
  }

  /** What is left to read of a file that is not a regular one, read to its end. */
  async readToEnd(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for (;;) {
      const buf = Buffer.allocUnsafe(1 << 20);
      const { bytesRead } = await readFd(this.fd, buf, 0, buf.length, null);
      if (bytesRead === 0) return Buffer.concat(chunks);
      chunks.push(buf.subarray(0, bytesRead));
    }
  }

  /** Closes the file (once; later reads fail). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    closer.unregister(this);
    await closeFd(this.fd);
  }
}

/** The keys of a binary keyring, read on demand through its layout. */
export class MappedKeyring {
  constructor(
    readonly file: KeyringFile,
    readonly layout: KeyringLayout,
  ) {}

  /** The packets of the layout's key `i`, checked against the layout; rejects with LayoutMismatch. */
  async packets(i: number): Promise<Uint8Array> {
    const { keys, size } = this.layout;
    const entry = keys[i]!;
    const end = keys[i + 1]?.start ?? size;
    if (!sameIdentity(await this.file.current(), this.file.identity))
      throw new LayoutMismatch(`${this.file.path} changed since it was loaded`);
    const bytes = await this.file.readAt(entry.start, Math.min(size, end + NEXT_KEY_PEEK) - entry.start);
    if (bytes.length < end - entry.start) throw new LayoutMismatch(`${this.file.path} is shorter than its layout`);
    const key = bytes.subarray(0, end - entry.start);
    try {
      checkKey(key, entry);
      const next = keys[i + 1];
      if (next) {
        const p = readPacket(bytes, end - entry.start);
        const m = p.tag === PacketTag.publicKey ? keyMaterialOf(p.body) : undefined;
        if (!m || 'unsupported' in m || m.fingerprint !== next.fingerprint)
          throw new LayoutMismatch('the next key is not where the layout says');
      }
    } catch (e) {
      if (isFormatError(e, 'openpgp-packet')) throw new LayoutMismatch(`a key in ${this.file.path} does not frame: ${e.message}`);
      throw e;
    }
    return key;
  }
}

/**
 * Checks that `key` (the bytes from the entry's start to the next entry's)
 * frames as the one transferable key the layout says, with no packet the
 * framing of a whole keyring would have cut it at or dropped.
 */
function checkKey(key: Uint8Array, entry: LayoutKey): void {
  const packets = readPackets(key);
  const first = packets[0];
  const m = first?.tag === PacketTag.publicKey ? keyMaterialOf(first.body) : undefined;
  if (!m || 'unsupported' in m || m.fingerprint !== entry.fingerprint)
    throw new LayoutMismatch(`no key ${entry.fingerprint} at byte ${entry.start}`);
  const subkeys: Array<{ offset: number; fingerprint: string }> = [];
  for (const p of packets) {
    // A legacy packet of indeterminate length runs to the end of the file, not of the key: framing the whole file decides it.
    if ((key[p.start]! & 0xc3) === 0x83) throw new LayoutMismatch(`a packet of indeterminate length in the key at byte ${entry.start}`);
    if (p === first) continue;
    if (p.tag === PacketTag.publicKey || p.tag === PacketTag.secretKey || p.tag === PacketTag.trust)
      throw new LayoutMismatch(`a packet of type ${p.tag} inside the key at byte ${entry.start}`);
    if (p.tag !== PacketTag.publicSubkey) continue;
    const s = keyMaterialOf(p.body);
    if (!('unsupported' in s)) subkeys.push({ offset: entry.start + p.start, fingerprint: s.fingerprint });
  }
  const same =
    subkeys.length === entry.subkeys.length &&
    subkeys.every((s, j) => s.offset === entry.subkeys[j]!.offset && s.fingerprint === entry.subkeys[j]!.fingerprint);
  if (!same) throw new LayoutMismatch(`the subkeys of ${entry.fingerprint} are not the layout's`);
}
