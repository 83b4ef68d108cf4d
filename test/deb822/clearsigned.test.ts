// The cleartext signature framework against gpg: messages clearsigned by the
// real gpg, split by parseClearsigned, compared with what gpgv --output
// extracts; malformed framings refused.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isClearsigned, parseClearsigned } from '../../src/deb822/clearsigned.js';
import { Gpg } from '../authenticate/gpg-harness.js';
import { FormatError } from '../../src/report/format-error.js';

let gpg: Gpg;
let fpr: string;
let ring: string;
let dir: string;

beforeAll(() => {
  gpg = Gpg.create();
  fpr = gpg.genKey('Clearsign Test <cs@t2u.test>', 'ed25519', 'sign', '20240101T000000');
  dir = mkdtempSync(join(tmpdir(), 't2u-cs-'));
  ring = join(dir, 'ring.gpg');
  gpg.exportPublic(fpr, ring);
});
afterAll(() => {
  gpg.close();
  rmSync(dir, { recursive: true, force: true });
});

function clearsign(text: string | Buffer): Buffer {
  return gpg.must(['--clearsign', '-u', fpr, '-o', '-'], { at: '20240301T000000', input: text });
}

/** gpgv's verdict and the text it writes with --output. */
function gpgv(data: Uint8Array): { status: number; output: Buffer } {
  const f = join(dir, 'msg.asc');
  const out = join(dir, 'out');
  rmSync(out, { force: true });
  writeFileSync(f, data);
  const r = spawnSync('gpgv', ['--keyring', ring, '--output', out, f]);
  let output = Buffer.alloc(0);
  try {
    output = readFileSync(out);
  } catch {
    // no output on failure
  }
  return { status: r.status ?? -1, output };
}

const MESSAGES: Record<string, string> = {
  'a .dsc-like body': 'Source: x\nVersion: 1\nChecksums-Sha256:\n abc 1 x_1.tar.xz\n',
  'trailing spaces and tabs, CR LF lines, lines starting with dashes and "From "':
    'A: 1  \n-dash\n- x\n--- y\nB: 2\t\r\nFrom me\n\n \t\nlast',
  'non-ASCII text': 'Maintainer: Stéphane Glondu <steph@glondu.net>\nGit-Tag-Tagger: Jérémy <j@example.org>\n',
  'empty lines at the end': 'A: 1\n\n\n',
};

describe('parseClearsigned on messages clearsigned by gpg', () => {
  for (const [name, message] of Object.entries(MESSAGES)) {
    it(name, () => {
      const signed = clearsign(message);
      expect(isClearsigned(signed)).toBe(true);
      const cs = parseClearsigned(signed);
      // body: the input given to gpg --clearsign; gpg makes its final line end the one before the signature block.
      const body = message.replace(/\n$/, '');
      expect(Buffer.from(cs.body)).toEqual(Buffer.from(body));
      // text: exactly what gpgv --output extracts.
      const ref = gpgv(signed);
      expect(ref.status).toBe(0);
      expect(Buffer.from(cs.text)).toEqual(ref.output);
      expect(cs.hashes).toEqual(['SHA256']);
      expect(cs.signatureArmor).toMatch(/^-----BEGIN PGP SIGNATURE-----\n[\s\S]*\n-----END PGP SIGNATURE-----\n$/);
      // signed: trailing white space cut, CR LF between lines, no final line end.
      const lines = body.split('\n').map((l) => l.replace(/[ \t\r]+$/, ''));
      expect(Buffer.from(cs.signed).toString()).toBe(lines.join('\r\n'));
    });
  }

  it('reads a real .dsc signed by the tag2upload service exactly as gpgv --output would', () => {
    const raw = readFileSync(resolve(import.meta.dirname, '../../fixtures/dsc/dh-ocaml_3.8.dsc'));
    const cs = parseClearsigned(raw);
    expect(cs.hashes).toEqual(['SHA512']);
    const body = Buffer.from(cs.body).toString();
    expect(body.endsWith('\n')).toBe(true);
    // The service's .dsc has no trailing white space: text is body plus the line end gpgv adds.
    expect(Buffer.from(cs.text).toString()).toBe(`${body}\n`);
  });
});

describe('parseClearsigned refuses malformed framings', () => {
  const good = (): string => clearsign('A: 1\nB: 2\n').toString('latin1');
  const cases: Record<string, (s: string) => string> = {
    'not clearsigned at all': () => 'A: 1\n',
    'unsigned text before the message': (s) => `Evil: 1\n${s}`,
    'unsigned text after the signature': (s) => `${s}Evil: 1\n`,
    'a second signed message after the first': (s) => `${s}${s}`,
    'an armor header other than Hash:': (s) => s.replace('Hash: SHA256\n', 'Hash: SHA256\nNotDashEscaped: yes\n'),
    'no empty line after the headers': (s) => s.replace('Hash: SHA256\n\n', 'Hash: SHA256\n'),
    'a line starting with "-" that is not dash-escaped': (s) => s.replace('B: 2\n', '-B: 2\n'),
    'no signature block': (s) => s.slice(0, s.indexOf('-----BEGIN PGP SIGNATURE-----')),
    'no END line': (s) => s.replace('-----END PGP SIGNATURE-----', ''),
  };
  for (const [name, mutate] of Object.entries(cases)) {
    it(name, () => {
      const bad = Buffer.from(mutate(good()), 'latin1');
      expect(() => parseClearsigned(bad)).toThrow(FormatError);
    });
  }

  it('accepts white space around the block and trailing white space on armor lines, as gpg does', () => {
    const s = good().replace('-----BEGIN PGP SIGNED MESSAGE-----\n', '-----BEGIN PGP SIGNED MESSAGE----- \r\n');
    const padded = Buffer.from(`\n \n${s}\n\n`, 'latin1');
    expect(gpgv(padded).status).toBe(0);
    expect(Buffer.from(parseClearsigned(padded).body).toString()).toBe('A: 1\nB: 2');
  });
});
