// The deb822 parser and writer against dpkg itself (Dpkg::Control::HashCore)
// on tricky inputs, and round trips of real .dsc files from the archive.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseClearsigned } from '../../src/deb822/clearsigned.js';
import { Deb822Paragraph } from '../../src/deb822/paragraph.js';
import { parseDeb822, parseDeb822Paragraph } from '../../src/deb822/parse.js';
import { formatDeb822, formatField, formatParagraph } from '../../src/deb822/write.js';
import { dpkgRoundTrip } from './dpkg-reference.js';
import { FormatError } from '../../src/report/format-error.js';

const DSC_DIR = resolve(import.meta.dirname, '../../fixtures/dsc');
const dscFiles = readdirSync(DSC_DIR).filter((f) => f.endsWith('.dsc'));

/** Inputs on which dpkg and the parser must agree exactly. */
const ACCEPTED: Record<string, string> = {
  'plain fields': 'Source: hello\nVersion: 1.0-1\n',
  'white space around the colon and at line ends': 'Source :  hello  \nVersion:1.0\t\n',
  'continuation lines, dot lines, tabs': 'Description: short\n  indented  \n .\n ..\n ...\n\tafter tab\n',
  'empty first line (multi-line field)': 'Checksums-Sha256:\n abc 1 f\n def 2 g\n',
  'field with no value': 'Empty:\nNext: x\n',
  'comments inside a paragraph': '# leading\nA: 1\n# inside\n b\nB: 2\n',
  'several paragraphs and blank-line runs': '\n\nA: 1\n\n\n\nB: 2\n  \nC: 3\n',
  'a line of spaces ends a paragraph': 'A: 1\n   \nB: 2\n',
  'CRLF line ends': 'A: 1\r\nB: two\r\n words\r\n',
  'non-ASCII values': 'Maintainer: Stéphane Glondu <steph@glondu.net>\n',
};

describe('parseDeb822 and formatParagraph agree with dpkg', () => {
  for (const [name, text] of Object.entries(ACCEPTED)) {
    it(name, () => {
      const ref = dpkgRoundTrip(text);
      expect(ref.status).toBe(0);
      const ours = parseDeb822(text).map((p) => formatParagraph(p));
      expect(ours).toEqual(ref.paragraphs);
    });
  }

  it('keeps the case of field names as read; with capitalize, spells them as dpkg does', () => {
    const text = 'SoUrCe: x\nx-some-field: y\nsha256: z\nchecksums-sha256:\n a 1 b\nNO-SUPPORT-FOR-ARCHITECTURE-ALL: w\n';
    const p = parseDeb822Paragraph(text);
    expect(formatParagraph(p)).toBe(text);
    expect(formatParagraph(p, { capitalize: true })).toBe(dpkgRoundTrip(text).paragraphs[0]);
    expect(formatParagraph(p, { capitalize: true })).toMatch(/^Source: x\nX-Some-Field: y\nSHA256: z\n/);
  });

  const REFUSED: Record<string, string> = {
    'continuation before any field': ' leading\nA: 1\n',
    'a field twice': 'A: 1\na: 2\n',
    'a field name starting with a hyphen': '-A: 1\n',
    'a line that is neither field nor continuation': 'A: 1\nnot a field line\n',
    'OpenPGP armor where none is allowed': 'A: 1\n-----BEGIN PGP SIGNATURE-----\n',
  };
  for (const [name, text] of Object.entries(REFUSED)) {
    it(`refuses ${name}, as dpkg does`, () => {
      expect(dpkgRoundTrip(text).status).not.toBe(0);
      expect(() => parseDeb822(text)).toThrow(FormatError);
    });
  }

  it('is stricter than dpkg about a colon-less line and field names with control characters', () => {
    // dpkg takes "Word" as a field with no value; a .dsc never has one.
    expect(dpkgRoundTrip('A: 1\nWord\n').status).toBe(0);
    expect(() => parseDeb822('A: 1\nWord\n')).toThrow(/not "Field: value"/);
    expect(() => parseDeb822('A\x01: 1\n')).toThrow(/invalid field name/);
  });

  it('reports the line number of the error', () => {
    try {
      parseDeb822('A: 1\nB: 2\nA: 3\n');
      expect.unreachable();
    } catch (e) {
      expect((e as FormatError).line).toBe(3);
    }
  });

  it('parseDeb822Paragraph wants exactly one paragraph', () => {
    expect(() => parseDeb822Paragraph('A: 1\n\nB: 2\n')).toThrow(/one paragraph/);
    expect(() => parseDeb822Paragraph('\n# only a comment\n')).toThrow(/one paragraph/);
  });
});

describe('Deb822Paragraph', () => {
  it('looks fields up in any case, keeps the first spelling and the order', () => {
    const p = parseDeb822Paragraph('Source: x\nChecksums-Sha256:\n a 1 b\nVersion: 1\n');
    expect(p.get('checksums-sha256')).toBe('\na 1 b');
    expect(p.get('SOURCE')).toBe('x');
    p.set('VERSION', '2');
    p.set('Dgit', 'c');
    expect(p.names).toEqual(['Source', 'Checksums-Sha256', 'Version', 'Dgit']);
    expect(p.delete('source')).toBe(true);
    expect(p.has('Source')).toBe(false);
    expect(formatParagraph(p)).toBe('Checksums-Sha256:\n a 1 b\nVersion: 2\nDgit: c\n');
  });

  it('formatField follows Perl split: trailing empty lines dropped, inner ones written as " ."', () => {
    expect(formatField('A', 'x\n\ny\n\n')).toBe('A: x\n .\n y\n');
    expect(formatField('A', '')).toBe('A:\n');
    const ref = dpkgRoundTrip(formatParagraph(new Deb822Paragraph([['A', 'x\n\ny\n\n']])));
    expect(ref.paragraphs).toEqual(['A: x\n .\n y\n']);
  });

  it('dropEmpty leaves out white-space-only fields, as Dpkg::Control does', () => {
    const p = new Deb822Paragraph([
      ['A', '1'],
      ['B', ' '],
      ['C', ''],
    ]);
    expect(formatParagraph(p, { dropEmpty: true })).toBe('A: 1\n');
    expect(formatDeb822([p, p], { dropEmpty: true })).toBe('A: 1\n\nA: 1\n');
  });
});

describe('real .dsc files from the archive', () => {
  it('the fixture set is there', () => {
    expect(dscFiles.length).toBeGreaterThanOrEqual(8);
  });

  for (const file of dscFiles) {
    it(`${file}: the signed body round-trips byte for byte, and dpkg reads it the same`, () => {
      const raw = readFileSync(join(DSC_DIR, file));
      const { body } = parseClearsigned(raw);
      const text = Buffer.from(body).toString('utf8');
      const paragraph = parseDeb822Paragraph(text);
      expect(formatParagraph(paragraph)).toBe(text);
      // dpkg parses the clearsigned file itself (allow_pgp) and must write the same body.
      const ref = dpkgRoundTrip(raw);
      expect(ref.status).toBe(0);
      expect(ref.paragraphs).toEqual([text]);
    });
  }
});
