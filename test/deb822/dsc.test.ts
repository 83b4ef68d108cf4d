// The typed .dsc view on the real tag2upload .dsc files of fixtures/dsc (their
// fields checked against the archive's Sources index, index.tsv) and on
// mutations of one, each refused for its own reason.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFileName, parseGitTagInfo, readDsc } from '../../src/deb822/dsc.js';
import { FormatError } from '../../src/report/format-error.js';

const DSC_DIR = resolve(import.meta.dirname, '../../fixtures/dsc');
const index = readFileSync(join(DSC_DIR, 'index.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t'));

describe('readDsc on real tag2upload uploads', () => {
  it('every fixture agrees with its Sources entry', () => {
    expect(index.length).toBe(readdirSync(DSC_DIR).filter((f) => f.endsWith('.dsc')).length);
    for (const [source, version, , dscName, , , tag, fp] of index) {
      const { dsc, clearsigned } = readDsc(readFileSync(join(DSC_DIR, dscName!)));
      expect(clearsigned).toBeDefined();
      expect(dsc.source).toBe(source);
      expect(dsc.version).toBe(version);
      expect(dsc.gitTagInfo).toEqual({ tag, fp });
      expect(dsc.gitTagTagger).toMatch(/^.+ <.+@.+>$/);
      expect(dsc.dgit?.url).toBe(`https://git.dgit.debian.org/${source}`);
      expect(dsc.dgit?.tag).toBe(`archive/debian/${version!.replace(/:/g, '%').replace(/~/g, '_')}`);
      expect(dsc.files.length).toBe(dsc.md5.length);
      for (const f of dsc.files) expect(f.name.startsWith(`${source}_`)).toBe(true);
    }
  });

  it('reads the native fixture (one tarball) and the epoch in golang-go.crypto', () => {
    const native = readDsc(readFileSync(join(DSC_DIR, 'dh-ocaml_3.8.dsc'))).dsc;
    expect(native.format).toBe('3.0 (native)');
    expect(native.files.map((f) => f.name)).toEqual(['dh-ocaml_3.8.tar.xz']);
    const epoch = readDsc(readFileSync(join(DSC_DIR, 'golang-go.crypto_0.55.0-1.dsc'))).dsc;
    expect(epoch.version).toBe('1:0.55.0-1');
  });
});

/** The real native .dsc's signed text, without its signature, for mutation. */
const TEXT = (() => {
  const raw = readFileSync(join(DSC_DIR, 'dh-ocaml_3.8.dsc'), 'utf8');
  return raw.slice(raw.indexOf('\n\n') + 2, raw.indexOf('\n-----BEGIN PGP SIGNATURE-----'));
})();
const TARBALL = 'dh-ocaml_3.8.tar.xz';

function refused(text: string): string {
  try {
    readDsc(Buffer.from(text));
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('readDsc refuses', () => {
  it('accepts the unmutated text', () => {
    expect(readDsc(Buffer.from(TEXT)).dsc.files).toHaveLength(1);
  });
  const cases: Record<string, [(t: string) => string, RegExp]> = {
    'a file name with a directory part': [(t) => t.replaceAll(TARBALL, `../${TARBALL}`), /dpkg does not allow/],
    'a file name with a slash inside': [(t) => t.replaceAll(TARBALL, `dh-ocaml_3.8/x.tar.xz`), /dpkg does not allow/],
    'a file of another package': [(t) => t.replaceAll(TARBALL, 'dpkg_3.8.tar.xz'), /not a file of source package/],
    'a file listed twice': [(t) => t.replace(/^(Checksums-Sha256:\n)( .*\n)/m, '$1$2$2'), /twice/],
    'sizes that disagree between fields': [
      (t) => t.replace(/^(Files:\n [0-9a-f]+ )(\d+)/m, (_m, a: string, n: string) => `${a}${Number(n) + 1}`),
      /size/,
    ],
    'a file missing from Files': [(t) => t.replace(/^Files:\n .*\n/m, 'Files:\n'), /does not list/],
    'no Checksums-Sha256': [(t) => t.replace(/^Checksums-Sha256:\n .*\n/m, ''), /no Checksums-Sha256/],
    'an upper-case hash': [
      (t) => t.replace(/^(Checksums-Sha256:\n )([0-9a-f]+)/m, (_m, a: string, h: string) => `${a}${h.toUpperCase()}`),
      /lower-case sha256/,
    ],
    'a bad Git-Tag-Info': [(t) => t.replace(/^Git-Tag-Info: .*$/m, 'Git-Tag-Info: tag=xyz fp=abc'), /Git-Tag-Info/],
    'a bad Dgit field': [(t) => t.replace(/^Dgit: \S+/m, 'Dgit: nothex'), /Dgit/],
    'an invalid source name': [(t) => t.replace(/^Source: .*$/m, 'Source: Dh_Ocaml'), /source package name/],
    'a duplicated field': [(t) => t.replace(/^Version: .*$/m, '$&\nversion: 3.9'), /duplicate field/],
    'a second .dsc listed': [(t) => t.replaceAll(TARBALL, 'dh-ocaml_3.8.dsc'), /another .dsc/],
  };
  for (const [name, [mutate, why]] of Object.entries(cases)) {
    it(name, () => expect(refused(mutate(TEXT))).toMatch(why));
  }
  it('a broken cleartext framing', () => {
    const raw = readFileSync(join(DSC_DIR, 'dh-ocaml_3.8.dsc'), 'utf8');
    expect(refused(`${raw}Evil: 1\n`)).toMatch(/cleartext signature is malformed/);
  });

  it('checkFileName allows dpkg names (".." inside is legitimate: weechat-matrix_0.3.0-3.4..dsc)', () => {
    expect(() => checkFileName('weechat-matrix_0.3.0-3.4..dsc')).not.toThrow();
    for (const bad of ['..', '.hidden_1.dsc', 'a/b_1.dsc', 'a\\b_1.dsc', 'x_1 .dsc', 'x_1\n.dsc', ''])
      expect(() => checkFileName(bad)).toThrow(FormatError);
  });

  it('parseGitTagInfo wants tag= and fp= once each, in lower-case hex', () => {
    const tag = 'a'.repeat(40);
    expect(parseGitTagInfo(`tag=${tag} fp=${'b'.repeat(40)}`)).toEqual({ tag, fp: 'b'.repeat(40) });
    expect(parseGitTagInfo(`tag=${tag} fp=${'b'.repeat(64)} future=x`).fp).toHaveLength(64);
    for (const bad of [
      `tag=${tag}`,
      `tag=${tag} tag=${tag} fp=${'b'.repeat(40)}`,
      `tag=${tag} fp=${'B'.repeat(40)}`,
      `tag=${tag} fp=${'b'.repeat(40)} junk`,
    ]) {
      expect(() => parseGitTagInfo(bad)).toThrow(FormatError);
    }
  });
});

describe('readDsc reads bytes', () => {
  it('reads valid UTF-8 as UTF-8', () => {
    const { dsc } = readDsc(Buffer.from(TEXT.replace(/^Git-Tag-Tagger: .*$/m, 'Git-Tag-Tagger: Zoë <z@example.org>')));
    expect(dsc.encoding).toBe('utf-8');
    expect(dsc.gitTagTagger).toBe('Zoë <z@example.org>');
    expect(Buffer.from(dsc.gitTagTaggerBytes!)).toEqual(Buffer.from('Zoë <z@example.org>', 'utf8'));
  });
  it("reads a .dsc that is not UTF-8 byte for byte, keeping Git-Tag-Tagger's bytes", () => {
    const text = Buffer.from(TEXT.replace(/^Git-Tag-Tagger: .*$/m, 'Git-Tag-Tagger: Jos\xe9 \xff <j@example.org>'), 'latin1');
    const { dsc } = readDsc(text);
    expect(dsc.encoding).toBe('latin1');
    expect(dsc.source).toBe('dh-ocaml');
    expect(Buffer.from(dsc.gitTagTaggerBytes!)).toEqual(Buffer.from('Jos\xe9 \xff <j@example.org>', 'latin1'));
  });
});
