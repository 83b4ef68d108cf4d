import { describe, expect, it } from 'vitest';
import { parseTagMessage } from '../../src/interpret/tag-message.js';
import { tagBytes } from './load-fixtures.js';

const linearRaw = tagBytes('linear');
const edit = (from: string, to: string): Buffer => {
  const text = linearRaw.toString('latin1');
  if (!text.includes(from)) throw new Error(`${from} not found`);
  return Buffer.from(text.replace(from, to), 'latin1');
};
const codes = (raw: Uint8Array, rules: 'current' | 'trixie' = 'current') => parseTagMessage(raw, rules).reasons.map((r) => r.code);

describe('parseTagMessage on git-debpush output', () => {
  it('collects the headers and the tagger as dgit does', () => {
    const m = parseTagMessage(linearRaw);
    expect(m.reasons).toEqual([]);
    expect(m.headers.get('type')).toEqual(['commit']);
    expect(m.headers.get('tag')).toEqual(['debian/1.0-1']);
    expect(m.tagger).toBe('Fixture Maintainer <maint@example.org>');
    expect(m.ignoredItems).toEqual([]);
  });
});

describe('item rules', () => {
  it("--deliberately-* items reach the instruction under current rules and are ignored under trixie's", () => {
    const raw = edit(' split', ' split --deliberately-not-fast-forward --deliberately-TEST-x');
    expect(parseTagMessage(raw).instruction!.deliberately).toEqual(['--deliberately-not-fast-forward', '--deliberately-TEST-x']);
    const trixie = parseTagMessage(raw, 'trixie');
    expect(trixie.reasons).toEqual([]);
    expect(trixie.instruction!.deliberately).toEqual([]);
    expect(trixie.ignoredItems).toEqual(['--deliberately-not-fast-forward', '--deliberately-TEST-x']);
  });
  it('a repeated --quilt= takes the last value, as the service does', () => {
    const raw = edit('--quilt=linear', '--quilt=gbp --quilt=linear --quilt=unapplied');
    expect(parseTagMessage(raw).instruction!.quiltMode).toBe('unapplied');
  });
  it('an upstream= value with non-word characters is ignored, leaving upstream-tag= alone', () => {
    const raw = edit('upstream=a2cf4cb8', 'upstream=a2cf-4cb8');
    const m = parseTagMessage(raw);
    expect(m.ignoredItems[0]).toMatch(/^upstream=a2cf-4cb8/);
    expect(m.reasons.map((r) => r.code)).toEqual(['UPSTREAM_INCOMPLETE']);
  });
  it('items are only read from lines that are exactly [dgit …] (a CRLF line is free text)', () => {
    expect(codes(edit('split --quilt=linear]\n', 'split --quilt=linear]\r\n'))).toEqual(['DISTRO_MISSING', 'SPLIT_MISSING']);
    expect(codes(edit('[dgit distro=', ' [dgit distro='))).toEqual(['DISTRO_MISSING', 'SPLIT_MISSING']);
  });
  it('[dgit "…"] lines are reserved and ignored, [dgit ] is not a metadata line', () => {
    expect(codes(edit('[dgit distro=', '[dgit "Bad !item"]\n[dgit ]\n[dgit distro='))).toEqual([]);
  });
  it('a [dgit …] line in the summary or second line is not metadata', () => {
    const raw = edit('lin release 1.0-1 for unstable', '[dgit !bogus]');
    expect(codes(raw)).toEqual([]);
  });
  it('keeps a non-UTF-8 summary byte for byte', () => {
    const m = parseTagMessage(edit('lin release', 'lin r\xe9lease'));
    expect(m.reasons).toEqual([]);
    expect(m.instruction!.summary).toBe('lin r\u00e9lease 1.0-1 for unstable');
  });
  it('a non-breaking space byte is not whitespace to Perl: it is part of the item', () => {
    expect(codes(edit(' split', ' split\xa0x'))).toEqual(['SPLIT_MISSING']);
  });
});
