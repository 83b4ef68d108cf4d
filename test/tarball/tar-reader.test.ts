// The tar reader against archives made by GNU tar in the sandbox (GNU,
// pax and ustar formats; long names and link targets; every member type),
// the committed upload fixtures, and malformed archives: each malformation
// gives its TarballError code, never a crash or a hang.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TarballError, isTarballError } from '../../src/tarball/tarball-error.js';
import { decompress } from '../../src/tarball/decompress.js';
import { readTar, TarParser, type TarEntry, type TarLimits } from '../../src/tarball/tar-reader.js';
import { hostSandbox as sandbox } from '../helpers/host-sandbox.js';
import { REPO_ROOT, scratch, UPLOADS, type Scratch } from '../compare/sandbox-tar.js';
import { seededBelow } from '../helpers/seeded.js';

let s: Scratch;
/** 122 bytes in two components, so that ustar can split it into prefix and name. */
const LONG = `${'x'.repeat(60)}/${'y'.repeat(60)}`;

beforeAll(async () => {
  s = await scratch(sandbox);
  await s.run(`
    mkdir -p t/d "t/d/${LONG}" && cd t
    printf 'hello\\n' > d/a.txt
    printf 'bin\\000ary' > d/bin
    printf '\\377\\376 not utf8\\n' > d/latin
    printf 'deep\\n' > "d/${LONG}/f"
    ln -s "../../${LONG}/f" d/link-long
    ln -s a.txt d/sym
    ln d/a.txt d/hard
    mkfifo d/fifo
    chmod 0750 d/a.txt
    cd ..
    opts="--sort=name --mtime=@1700000000 --owner=0 --group=0 --numeric-owner -C t"
    tar --format=gnu $opts -cf gnu.tar d
    tar --format=posix $opts -cf posix.tar d
    tar --format=ustar $opts --exclude=d/link-long -cf ustar.tar d
    for f in gnu posix ustar; do tar -tf $f.tar > $f.list; done
    (cd t && sha256sum d/a.txt d/bin d/latin "d/${LONG}/f") > sums
    dd if=/dev/zero of=sp bs=1 count=0 seek=1M 2>/dev/null; printf x >> sp
    tar --sparse --format=gnu -cf sparse-gnu.tar sp
    tar --sparse --format=posix -cf sparse-pax.tar sp
    printf 'root:x:0:0\\n' > passwd
    tar -P --transform='s,^passwd$,../../etc/passwd,' -cf dotdot.tar passwd
    tar -P --transform='s,^passwd$,/etc/passwd,' -cf abs.tar passwd
    tar -tPf dotdot.tar > dotdot.list; tar -tPf abs.tar > abs.list
    touch "$(printf 'caf\\351')"
    tar --format=gnu -cf latin1.tar "$(printf 'caf\\351')"
  `);
}, 300_000);
afterAll(async () => {
  await s?.dispose();
});

async function entries(file: string, limits: TarLimits = {}): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  for await (const e of readTar(decompress(file, { sandbox }), limits)) out.push(e);
  return out;
}

function parseAll(bytes: Uint8Array, limits: TarLimits = {}, chunk = 65536): TarEntry[] {
  const p = new TarParser(limits);
  const out: TarEntry[] = [];
  for (let i = 0; i < bytes.length; i += chunk) out.push(...p.write(bytes.subarray(i, i + chunk)));
  p.end();
  return out;
}

function failure(fn: () => unknown): TarballError {
  try {
    fn();
  } catch (e) {
    if (isTarballError(e)) return e;
    throw e;
  }
  throw new Error('expected a TarballError');
}

/** Writes a header field and recomputes the header's checksum, as a hostile archiver would. */
function patchHeader(tar: Buffer, header: number, at: number, bytes: Buffer | string): Buffer {
  const out = Buffer.from(tar);
  const b = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
  b.copy(out, header + at);
  out.fill(0x20, header + 148, header + 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += out[header + i]!;
  Buffer.from(`${sum.toString(8).padStart(6, '0')}\0 `, 'latin1').copy(out, header + 148);
  return out;
}

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

describe('archives made by GNU tar', () => {
  for (const format of ['gnu', 'posix', 'ustar'] as const) {
    it(`${format}: names as GNU tar lists them, every member type and field`, async () => {
      const got = (await entries(s.path(`${format}.tar`))).filter((e) => e.type !== 'pax-global');
      const listed = readFileSync(s.path(`${format}.list`), 'utf8')
        .split('\n')
        .filter(Boolean);
      expect(got.map((e) => e.name)).toEqual(listed);
      const by = new Map(got.map((e) => [e.name, e]));
      expect(by.get('d/a.txt')).toMatchObject({ type: 'file', mode: 0o750, size: 6, mtime: 1700000000, uid: 0, gid: 0, text: 'hello\n' });
      expect(by.get('d/sym')).toMatchObject({ type: 'symlink', linkname: 'a.txt', size: 0 });
      expect(by.get('d/hard')).toMatchObject({ type: 'hardlink', linkname: 'd/a.txt' });
      expect(by.get('d/fifo')).toMatchObject({ type: 'fifo' });
      expect(by.get('d/')).toMatchObject({ type: 'dir', mode: 0o755 });
      // Names longer than 100 bytes: GNU ././@LongLink, pax path, ustar prefix.
      expect(by.get(`d/${LONG}/f`)).toMatchObject({ type: 'file', text: 'deep\n' });
      if (format !== 'ustar') expect(by.get('d/link-long')).toMatchObject({ type: 'symlink', linkname: `../../${LONG}/f` });
      // Binary and non-UTF-8 members are hashed but not kept.
      expect(by.get('d/bin')!.text).toBeUndefined();
      expect(by.get('d/latin')!.text).toBeUndefined();
      // The hashes are those of the files GNU tar archived.
      const sums = readFileSync(s.path('sums'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(/ {2}/));
      for (const [hash, name] of sums) expect(by.get(name!)!.sha256, name).toBe(hash);
    });
  }

  it('reads the same members whatever the chunk sizes', async () => {
    const bytes = await readFile(s.path('gnu.tar'));
    const whole = parseAll(bytes, {}, bytes.length);
    for (const chunk of [1, 7, 511, 513]) expect(parseAll(bytes, {}, chunk)).toEqual(whole);
  });

  it('a path like ../../etc/passwd or /etc/passwd is only a name', async () => {
    const dotdot = await entries(s.path('dotdot.tar'));
    const abs = await entries(s.path('abs.tar'));
    expect(dotdot.map((e) => e.name)).toEqual([readFileSync(s.path('dotdot.list'), 'utf8').trim()]);
    expect(dotdot[0]).toMatchObject({ name: '../../etc/passwd', text: 'root:x:0:0\n' });
    expect(abs.map((e) => e.name)).toEqual(['/etc/passwd']);
    expect(readFileSync(s.path('abs.list'), 'utf8').trim()).toBe('/etc/passwd');
  });

  it('the reader touches no filesystem: it imports nothing but hashing and its error type', () => {
    const src = readFileSync(join(REPO_ROOT, 'src/tarball/tar-reader.ts'), 'utf8');
    const imports = [...src.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports).toEqual(['node:crypto', './tarball-error.js']);
  });

  it('a name that is not UTF-8 is shown with its bytes escaped', async () => {
    expect((await entries(s.path('latin1.tar'))).map((e) => e.name)).toEqual(['caf\\xe9']);
  });

  it('GNU sparse members are refused (GNU format and pax GNU.sparse keys)', async () => {
    for (const f of ['sparse-gnu.tar', 'sparse-pax.tar']) {
      const err = await entries(s.path(f)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TarballError);
      expect(err).toMatchObject({ code: 'TAR_UNSUPPORTED', message: expect.stringMatching(/sparse/) as string });
    }
  });
});

describe('committed uploads', () => {
  it('debian.tar.xz: members as dpkg-source wrote them', async () => {
    const got = await entries(join(UPLOADS, 'gbp', 't2u-gbp_1.0-1.debian.tar.xz'));
    expect(got.map((e) => e.name)).toContain('debian/rules');
    expect(got.find((e) => e.name === 'debian/rules')).toMatchObject({ mode: 0o755, uid: 0, gid: 0, uname: '', type: 'file' });
    expect(got.find((e) => e.name === 'debian/source/format')!.text).toBe('3.0 (quilt)\n');
  });

  it('a git-archive orig: its pax global header (the commit id) is a member', async () => {
    const got = await entries(join(UPLOADS, 'gbp', 't2u-gbp_1.0.orig.tar.xz'));
    expect(got[0]).toMatchObject({
      type: 'pax-global',
      name: 'pax_global_header',
      text: '52 comment=e3b06029f5d58a2a27272b988d2d9f8f9efe0bb3\n',
    });
  });
});

describe('malformed archives', () => {
  let tar: Buffer;
  beforeAll(async () => {
    tar = await readFile(s.path('gnu.tar'));
  });

  it('truncated inside a header, inside data, or without the end-of-archive block', () => {
    expect(failure(() => parseAll(tar.subarray(0, 700))).code).toBe('TAR_TRUNCATED');
    expect(failure(() => parseAll(tar.subarray(0, 300))).message).toMatch(/inside a header/);
    const dataMember = parseAll(tar).find((e) => e.size > 0)!;
    expect(failure(() => parseAll(tar.subarray(0, dataMember.offset + 512 + 1))).message).toMatch(/inside the data of/);
    expect(failure(() => parseAll(tar.subarray(0, 1024))).code).toBe('TAR_TRUNCATED');
    expect(failure(() => parseAll(Buffer.alloc(0))).message).toMatch(/without the end-of-archive block/);
  });

  it('a bad checksum', () => {
    const bad = Buffer.from(tar);
    bad[10] = bad[10]! ^ 1;
    expect(failure(() => parseAll(bad))).toMatchObject({
      code: 'TAR_CHECKSUM',
      message: expect.stringMatching(/byte 0 has checksum/) as string,
    });
    // Not a tar at all.
    expect(failure(() => parseAll(Buffer.alloc(1024, 0x41))).code).toBe('TAR_HEADER_INVALID');
  });

  it('a size field that is not a number (NaN), or negative in base-256', () => {
    expect(failure(() => parseAll(patchHeader(tar, 0, 124, '0000000009x\0'))).code).toBe('TAR_HEADER_INVALID');
    const neg = Buffer.alloc(12, 0xff);
    expect(failure(() => parseAll(patchHeader(tar, 0, 124, neg))).message).toMatch(/negative size/);
    const huge = Buffer.alloc(12, 0xee);
    huge[0] = 0x80;
    expect(failure(() => parseAll(patchHeader(tar, 0, 124, huge))).message).toMatch(/too large/);
    expect(failure(() => parseAll(patchHeader(tar, 0, 100, '07 55\0\0\0'))).code).toBe('TAR_HEADER_INVALID');
  });

  it('a huge size field stops at the size limit, or as truncated, at once', () => {
    // A regular file's header: GNU tar reads no data after a directory's, whatever its size.
    const file = parseAll(tar).find((e) => e.name === 'd/a.txt')!.offset;
    const big = patchHeader(tar, file, 124, '77777777777\0');
    expect(failure(() => parseAll(big, { maxTotalBytes: 1 << 20 })).code).toBe('TAR_LIMIT');
    expect(failure(() => parseAll(big, { maxTotalBytes: 2 ** 40 })).code).toBe('TAR_TRUNCATED');
    const b256 = Buffer.alloc(12);
    b256[0] = 0x80;
    b256.writeUIntBE(2 ** 47, 6, 6);
    expect(failure(() => parseAll(patchHeader(tar, file, 124, b256))).code).toBe('TAR_LIMIT');
    // A directory's size field is not a length to read.
    expect(parseAll(patchHeader(tar, 0, 124, '77777777777\0'))[0]).toMatchObject({ name: 'd/', type: 'dir', size: 0o77777777777 });
  });

  it('limits on members and on metadata held in memory', async () => {
    expect(failure(() => parseAll(tar, { maxMembers: 3 })).code).toBe('TAR_LIMIT');
    // The ././@LongLink header holds the 122-byte name.
    expect(failure(() => parseAll(tar, { maxMetaBytes: 64 })).message).toMatch(/GNU long (link )?name at byte \d+ declares/);
    const pax = await readFile(s.path('posix.tar'));
    expect(failure(() => parseAll(pax, { maxMetaBytes: 16 })).message).toMatch(/pax extended header/);
    expect(failure(() => parseAll(tar, { maxTotalBytes: 2048 })).code).toBe('TAR_LIMIT');
  });

  it('malformed pax records', async () => {
    const pax = await readFile(s.path('posix.tar'));
    // GNU tar's pax headers carry atime and ctime; one becomes an mtime that is not a number.
    const at = pax.indexOf('atime=');
    const header = Math.floor(at / 512) * 512 - 512;
    expect(String.fromCharCode(pax[header + 156]!)).toBe('x');
    const nan = Buffer.from(pax);
    nan.write('mtime=abc', at, 'latin1');
    expect(failure(() => parseAll(nan))).toMatchObject({
      code: 'TAR_PAX_INVALID',
      message: expect.stringMatching(/invalid mtime "abc/) as string,
    });
    const len = Buffer.from(pax);
    len.write('9', Math.floor(at / 512) * 512, 'latin1');
    expect(failure(() => parseAll(len)).code).toBe('TAR_PAX_INVALID');
  });

  it('fuzz: random corruption ends in members or a TarballError, quickly', () => {
    // A fixed seed, so a failure can be replayed.
    const rnd = seededBelow(12345);
    const outcomes = new Map<string, number>();
    const started = performance.now();
    for (let i = 0; i < 1000; i++) {
      const bad = Buffer.from(tar);
      const header = rnd(6) * 512;
      for (let j = 0; j <= rnd(4); j++) bad[header + rnd(512)] = rnd(256);
      const fixed = rnd(2) === 0 ? patchHeader(bad, header, 0, Buffer.alloc(0)) : bad;
      const cut = rnd(3) === 0 ? fixed.subarray(0, rnd(fixed.length)) : fixed;
      let outcome = 'ok';
      try {
        parseAll(cut, { maxTotalBytes: 1 << 24 }, 64 + rnd(4096));
      } catch (e) {
        if (!isTarballError(e)) throw e;
        outcome = e.code;
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    expect(performance.now() - started).toBeLessThan(20_000);
    expect([...outcomes.keys()]).toEqual(expect.arrayContaining(['ok', 'TAR_CHECKSUM', 'TAR_TRUNCATED', 'TAR_HEADER_INVALID']));
  });

  it('text is kept only up to maxTextBytes', () => {
    const small = parseAll(tar, { maxTextBytes: 5 }).find((e) => e.name === 'd/a.txt')!;
    expect(small.text).toBeUndefined();
    expect(small.sha256).toBe(sha('hello\n'));
  });
});
