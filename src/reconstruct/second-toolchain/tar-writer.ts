// Writes tar archives in the two dialects a tag2upload source package holds,
// byte for byte, without running tar or git:
// - GNU tar's `--format=gnu`, as dpkg-source (Dpkg::Source::Archive) runs it:
//   `tar -cf - --format=gnu --sort=name --mtime=@SDE --clamp-mtime --null
//   --numeric-owner --owner=0 --group=0 --exclude=… -T -`;
// - git archive's ustar with pax headers (archive-tar.c), as git deborig runs it.
// Both pad the archive with zero blocks to a whole record of 20 blocks
// (GNU tar's default blocking factor; git's RECORDSIZE * 20), with at least
// two zero blocks at the end.
// The archive is a stream of chunks, made as the entries arrive: it holds one
// member's content at a time, never the whole archive (a source package may
// be gigabytes).

export const BLOCK = 512;
const RECORD = BLOCK * 20;

export type EntryType = 'file' | 'dir' | 'symlink';

export interface TarEntry {
  /** The member name as stored (a directory's ends in "/"); bytes. */
  readonly name: Buffer;
  readonly type: EntryType;
  /** Permission bits (07777). */
  readonly mode: number;
  readonly mtime: number;
  /** File content (files only): one member's bytes, dropped once written. */
  readonly data?: Buffer;
  /** Symlink target (symlinks only). */
  readonly linkname?: Buffer;
}

const TYPEFLAG: Record<EntryType, string> = { file: '0', dir: '5', symlink: '2' };

/** Writes `value` as zero-padded octal of `digits` digits plus a NUL, as both tar and git do. */
function octal(h: Buffer, offset: number, digits: number, value: number): void {
  h.write(`${value.toString(8).padStart(digits, '0')}\0`, offset, 'latin1');
}

/**
 * GNU tar's numeric fields: octal while the value fits, else base-256 (a
 * leading 0x80 byte then the big-endian value), as GNU tar writes sizes of
 * 8 GiB and more in gnu format.
 */
function gnuNumber(h: Buffer, offset: number, width: number, value: number): void {
  if (value < 8 ** (width - 1)) {
    octal(h, offset, width - 1, value);
    return;
  }
  let v = BigInt(value);
  for (let i = width - 1; i >= 1; i--) {
    h[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  h[offset] = 0x80;
}

function checksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum;
}

function pad(data: Buffer): Buffer[] {
  const rest = data.length % BLOCK;
  return rest === 0 ? [data] : [data, Buffer.alloc(BLOCK - rest)];
}

/** The end of an archive: zero blocks to the next record boundary, at least two. */
function trailer(length: number): Buffer {
  let end = length + 2 * BLOCK;
  end = Math.ceil(end / RECORD) * RECORD;
  return Buffer.alloc(end - length);
}

/** Entries from an array or as they are read. */
export type Entries<T> = Iterable<T> | AsyncIterable<T>;

/** Yields each member's chunks, then the trailer. */
async function* archive<T>(entries: Entries<T>, member: (e: T) => Buffer[], first: Buffer[] = []): AsyncGenerator<Buffer> {
  let length = 0;
  for (const b of first) {
    length += b.length;
    yield b;
  }
  for await (const e of entries) {
    for (const b of member(e)) {
      length += b.length;
      yield b;
    }
  }
  yield trailer(length);
}

// ---------------------------------------------------------------- GNU tar

/**
 * A gnu-format header (tar's create.c with archive_format GNU_FORMAT): octal
 * fields of 7/11 digits plus NUL, the checksum as 6 digits, NUL and space,
 * the magic "ustar  \0"; with --numeric-owner the user and group names stay
 * empty, and device numbers are left empty for non-devices.
 */
function gnuHeader(name: Buffer, type: string, mode: number, size: number, mtime: number, linkname?: Buffer): Buffer {
  const h = Buffer.alloc(BLOCK);
  name.copy(h, 0, 0, Math.min(name.length, 100));
  octal(h, 100, 7, mode);
  octal(h, 108, 7, 0);
  octal(h, 116, 7, 0);
  gnuNumber(h, 124, 12, size);
  gnuNumber(h, 136, 12, mtime);
  h.write(type, 156, 'latin1');
  if (linkname) linkname.copy(h, 157, 0, Math.min(linkname.length, 100));
  h.write('ustar  \0', 257, 'latin1');
  h.write(`${checksum(h).toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

/**
 * GNU tar's ././@LongLink member for a name or link target over 100 bytes
 * (write_gnu_long_link): a private header, mode 0644, mtime 0, no owner
 * names under --numeric-owner, holding the full string and its NUL.
 */
function gnuLongLink(value: Buffer, type: 'L' | 'K'): Buffer[] {
  const data = Buffer.concat([value, Buffer.alloc(1)]);
  return [gnuHeader(Buffer.from('././@LongLink', 'latin1'), type, 0o644, data.length, 0), ...pad(data)];
}

/** One member of a GNU-format archive: long-name members, header, padded content. */
function gnuMember(e: TarEntry): Buffer[] {
  const parts: Buffer[] = [];
  const size = e.type === 'file' ? (e.data?.length ?? 0) : 0;
  // GNU_FORMAT: a name longer than NAME_FIELD_SIZE (100) goes to a long-name member first.
  if (e.name.length > 100) parts.push(...gnuLongLink(e.name, 'L'));
  if (e.linkname && e.linkname.length > 100) parts.push(...gnuLongLink(e.linkname, 'K'));
  parts.push(gnuHeader(e.name, TYPEFLAG[e.type], e.mode, size, e.mtime, e.linkname));
  if (e.type === 'file' && e.data && e.data.length > 0) parts.push(...pad(e.data));
  return parts;
}

/** A GNU-format archive of `entries`, in the order given. */
export function gnuTar(entries: Entries<TarEntry>): AsyncGenerator<Buffer> {
  return archive(entries, gnuMember);
}

// ---------------------------------------------------------- git archive

/** A pax extended record "LEN key=value\n", LEN counting the whole record (git's strbuf_append_ext_header). */
function paxRecord(key: string, value: Buffer): Buffer {
  // One digit, " ", key, "=", value, "\n"; then one more for each further digit the total needs.
  let len = 1 + 1 + key.length + 1 + value.length + 1;
  for (let tmp = 1; Math.floor(len / 10) >= tmp; tmp *= 10) len++;
  return Buffer.concat([Buffer.from(`${len} ${key}=`, 'latin1'), value, Buffer.from('\n', 'latin1')]);
}

/**
 * A ustar header as git's archive-tar.c prepare_header writes it: octal
 * fields "%07o"/"%011lo", uid and gid 0 with names "root", device numbers
 * "%07o" 0, magic "ustar\0" version "00", checksum "%07o".
 */
function gitHeader(name: Buffer, type: string, mode: number, size: number, mtime: number, linkname?: Buffer, prefix?: Buffer): Buffer {
  const h = Buffer.alloc(BLOCK);
  name.copy(h, 0, 0, Math.min(name.length, 100));
  octal(h, 100, 7, mode);
  octal(h, 108, 7, 0);
  octal(h, 116, 7, 0);
  octal(h, 124, 11, size);
  octal(h, 136, 11, mtime);
  h.write(type, 156, 'latin1');
  if (linkname) linkname.copy(h, 157, 0, Math.min(linkname.length, 100));
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  h.write('root', 265, 'latin1');
  h.write('root', 297, 'latin1');
  octal(h, 329, 7, 0);
  octal(h, 337, 7, 0);
  if (prefix) prefix.copy(h, 345, 0, Math.min(prefix.length, 155));
  octal(h, 148, 7, checksum(h));
  return h;
}

/**
 * git's get_path_prefix: the longest leading part of `path`, ending before a
 * "/", that fits the 155-byte prefix field.
 */
function pathPrefixLength(path: Buffer): number {
  let i = path.length;
  if (i > 1 && path[i - 1] === 0x2f) i--;
  if (i > 155) i = 155;
  do i--;
  while (i > 0 && path[i] !== 0x2f);
  return i;
}

export interface GitArchiveEntry extends TarEntry {
  /** The object id git names a pax header after ("<oid>.paxheader", "<oid>.data"). */
  readonly oid: string;
}

/**
 * `git archive --format=tar` of the given entries: a pax global header with
 * `comment=<commit id>`, then each entry, with a pax extended header ("x")
 * where a path does not fit name and prefix or a link target is over 100
 * bytes. Sizes beyond the octal field (8 GiB) are not written: the caller
 * refuses them.
 */
export function gitArchiveTar(commit: string, mtime: number, entries: Entries<GitArchiveEntry>): AsyncGenerator<Buffer> {
  const global = paxRecord('comment', Buffer.from(commit, 'latin1'));
  return archive(entries, (e) => gitMember(e, mtime), [
    gitHeader(Buffer.from('pax_global_header', 'latin1'), 'g', 0o666, global.length, mtime),
    ...pad(global),
  ]);
}

/** One member of git archive's tar: a pax extended header where needed, header, padded content. */
function gitMember(e: GitArchiveEntry, mtime: number): Buffer[] {
  const parts: Buffer[] = [];
  const size = e.type === 'file' ? (e.data?.length ?? 0) : 0;
  const ext: Buffer[] = [];
  let name = e.name;
  let prefix: Buffer | undefined;
  if (e.name.length > 100) {
    const plen = pathPrefixLength(e.name);
    const rest = e.name.length - plen - 1;
    if (plen > 0 && rest <= 100) {
      prefix = e.name.subarray(0, plen);
      name = e.name.subarray(plen + 1);
    } else {
      name = Buffer.from(`${e.oid}.data`, 'latin1');
      ext.push(paxRecord('path', e.name));
    }
  }
  let linkname = e.linkname;
  if (linkname && linkname.length > 100) {
    ext.push(paxRecord('linkpath', linkname));
    linkname = Buffer.from(`see ${e.oid}.paxheader`, 'latin1');
  }
  if (ext.length > 0) {
    const body = Buffer.concat(ext);
    parts.push(gitHeader(Buffer.from(`${e.oid}.paxheader`, 'latin1'), 'x', 0o666, body.length, mtime), ...pad(body));
  }
  parts.push(gitHeader(name, TYPEFLAG[e.type], e.mode, size, e.mtime, linkname, prefix));
  if (e.type === 'file' && e.data && e.data.length > 0) parts.push(...pad(e.data));
  return parts;
}
