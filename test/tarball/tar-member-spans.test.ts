// Naming the member at a byte offset, on archives made by GNU tar: every
// byte of a member's header, data and padding names the member, an extended
// header's bytes name it as the header of the next member, the bytes from
// the end-of-archive block on name the end; the names do not depend on the
// chunking; forgotten spans name nothing; and where the reader stops (a
// corrupted header) naming stops, the spans before it kept.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TarMemberTracker } from '../../src/tarball/tar-member-spans.js';
import { TarParser } from '../../src/tarball/tar-reader.js';

const LONG = `d/${'l'.repeat(120)}`;
let dir: string;
const tars = new Map<string, Buffer>();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 't2u-tar-spans-'));
  const t = join(dir, 't');
  mkdirSync(join(t, 'd'), { recursive: true });
  writeFileSync(join(t, 'd', 'a'), 'a'.repeat(700));
  writeFileSync(join(t, LONG), 'long\n');
  for (const format of ['gnu', 'posix']) {
    const file = join(dir, `${format}.tar`);
    execFileSync('tar', ['-C', t, '-cf', file, `--format=${format}`, '--sort=name', '--mtime=@1700000000', 'd']);
    tars.set(format, readFileSync(file));
  }
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function tracked(tar: Buffer, chunk: number): TarMemberTracker {
  const t = new TarMemberTracker();
  for (let i = 0; i < tar.length; i += chunk) t.feed(tar.subarray(i, i + chunk));
  return t;
}

describe('TarMemberTracker', () => {
  it('GNU format: members, their long-name header, and the end of the archive', () => {
    const tar = tars.get('gnu')!;
    const t = tracked(tar, tar.length);
    const entries = new TarParser().write(tar);
    const a = entries.find((e) => e.name === 'd/a')!;
    const long = entries.find((e) => e.name === LONG)!;
    expect(t.at(0)).toBe('d/');
    // d/a: its header, its 700 bytes of data and the padding after them.
    for (const at of [a.offset, a.offset + 512, a.offset + 512 + 699, a.offset + 1535]) expect(t.at(at)).toBe('d/a');
    // The long name: a ././@LongLink header and its data, then the member's own header.
    expect(t.at(long.offset)).toBe('././@LongLink (header of the next member)');
    expect(t.at(long.offset + 600)).toBe('././@LongLink (header of the next member)');
    expect(t.at(long.offset + 1024)).toBe(LONG);
    expect(t.at(tar.length - 1)).toBe('(end of archive)');
  });

  it('pax format: the extended header is named as the header of the next member', () => {
    const tar = tars.get('posix')!;
    const t = tracked(tar, 4096);
    const long = new TarParser().write(tar).find((e) => e.name === LONG)!;
    expect(t.at(long.offset)).toMatch(/^.*PaxHeaders.*\(header of the next member\)$/);
    expect(t.at(long.offset + 1024)).toBe(LONG);
  });

  it('the same names whatever the chunking', () => {
    for (const tar of tars.values()) {
      const whole = tracked(tar, tar.length);
      for (const chunk of [1, 100, 511, 513]) {
        const t = tracked(tar, chunk);
        for (let at = 0; at < tar.length; at += 37) expect(t.at(at), `${chunk} ${at}`).toBe(whole.at(at));
      }
    }
  });

  it('forgotten spans name nothing', () => {
    const tar = tars.get('gnu')!;
    const t = tracked(tar, tar.length);
    t.forgetBefore(1024);
    expect(t.at(0)).toBeUndefined();
    expect(t.at(tar.length - 1)).toBe('(end of archive)');
  });

  it('naming stops at a header the reader refuses, and what came before is kept', () => {
    const tar = Buffer.from(tars.get('gnu')!);
    const a = new TarParser().write(tar).find((e) => e.name === 'd/a')!;
    tar[a.offset + 10] = 0x41; // its checksum no longer adds up
    const t = tracked(tar, 1000);
    expect(t.at(0)).toBe('d/');
    expect(t.at(a.offset)).toBeUndefined();
    expect(t.at(tar.length - 1)).toBeUndefined();
  });
});
