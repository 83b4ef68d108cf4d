import { describe, expect, it } from 'vitest';
import { decodeTagName, likelyUpstreamTags, mangleVersion, tagNameForVersion, unmangleVersion } from '../../src/interpret/tag-name.js';
import { refNameProblem } from '../../src/gitobj/ref-name.js';
import { parseTagObject } from '../../src/gitobj/tag-object.js';
import { TAG_FIXTURES, tagBytes } from './load-fixtures.js';

describe('DEP-14 mangling', () => {
  it('names every git-debpush fixture tag as git-debpush did', () => {
    for (const name of TAG_FIXTURES) {
      const tag = parseTagObject(tagBytes(name));
      const version = /version=([^\s\]]+)/.exec(Buffer.from(tag.message).toString('latin1'))![1]!;
      expect(tagNameForVersion(version)).toBe(tag.headers.tag);
    }
  });
  it('maps ":" to "%" and "~" to "_", and back', () => {
    expect(mangleVersion('1:2.0~rc1-1')).toBe('1%2.0_rc1-1');
    expect(unmangleVersion('1%2.0_rc1-1')).toBe('1:2.0~rc1-1');
  });
  it('inserts "#" where git forbids a "." (dep14_version_mangle) and the service drops it', () => {
    expect(mangleVersion('1..2')).toBe('1.#.2');
    expect(mangleVersion('1.')).toBe('1.#');
    expect(mangleVersion('1.lock')).toBe('1.#lock');
    expect(unmangleVersion('1.#.2')).toBe('1..2');
  });
});

describe('decodeTagName', () => {
  it('accepts debian/1%2.0_rc1-1 and decodes the version', () => {
    expect(decodeTagName('debian/1%2.0_rc1-1')).toEqual({ ok: true, version: '1:2.0~rc1-1' });
  });
  it.each([
    ['ubuntu/1.0-1', 'does not start with "debian/"'],
    ['debian/1.0 1', 'not printable ASCII'],
    ['debian/1.0+ü', 'not printable ASCII'],
    ['debian/1.0:1', 'must match'],
    ['debian/1.#.2', 'must match'],
    ['debian/1..2', 'not a valid git ref name'],
    ['debian/1.0.lock', 'not a valid git ref name'],
    ['debian/', 'must match'],
    [`debian/${'1'.repeat(219)}`, 'at most 225'],
  ])('rejects %j (%s)', (name, why) => {
    const r = decodeTagName(name);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reasons.map((x) => x.code)).toContain('TAG_NAME_INVALID');
      expect(r.reasons.map((x) => x.message).join('\n')).toContain(why);
    }
  });
  it('accepts a name of exactly 225 characters', () => {
    expect(decodeTagName(`debian/${'1'.repeat(218)}`).ok).toBe(true);
  });
});

describe('refNameProblem (git check-ref-format)', () => {
  it.each(['refs/tags/upstream/1.0', 'refs/tags/v1.0_rc1', 'refs/tags/1%2'])('accepts %s', (n) => {
    expect(refNameProblem(n)).toBeUndefined();
  });
  it.each([
    'refs/tags/a..b',
    'refs/tags/a~1',
    'refs/tags/.a',
    'refs/tags/a.lock',
    'refs/tags/a/',
    'refs/tags//a',
    'refs/tags/a.',
    'refs/tags/a@{1}',
    'refs/tags/a b',
    'refs/tags/a\\b',
    'refs/tags/a*',
    'refs/tags/a:b',
    '@',
  ])('rejects %j', (n) => {
    expect(refNameProblem(n)).toBeDefined();
  });
});

describe('likelyUpstreamTags', () => {
  it('names the upstream tag every git-debpush fixture tag names among its guesses, DEP-14 first', () => {
    let named = 0;
    for (const name of TAG_FIXTURES) {
      const tag = parseTagObject(tagBytes(name));
      const upstream = /upstream-tag=([^\s\]]+)/.exec(Buffer.from(tag.message).toString('latin1'))?.[1];
      if (upstream === undefined) continue;
      named++;
      const guesses = likelyUpstreamTags(tag.headers.tag);
      if (upstream.startsWith('upstream/')) expect(guesses[0]).toBe(upstream);
      else expect(guesses).toContain(upstream);
    }
    expect(named).toBeGreaterThan(0);
  });
  it('mangles the upstream version, drops epoch and revision, and guesses nothing for a native version or a refused name', () => {
    expect(likelyUpstreamTags('debian/1%2.0_rc1-1')).toEqual(['upstream/2.0_rc1', '2.0_rc1', 'v2.0_rc1']);
    expect(likelyUpstreamTags('debian/1.0-1-2')).toEqual(['upstream/1.0-1', '1.0-1', 'v1.0-1']);
    expect(likelyUpstreamTags('debian/2.0')).toEqual([]);
    expect(likelyUpstreamTags('ubuntu/1.0-1')).toEqual([]);
  });
});
