import { describe, expect, it } from 'vitest';
import { interpretTag, needsUpstreamTag, type InterpretInput } from '../../src/interpret/interpret.js';
import type { ReasonCode } from '../../src/report/reasons.js';
import { TAG_FIXTURES, editTag, fixtureInput, tagBytes, withMessage } from './load-fixtures.js';

const codes = (input: InterpretInput): ReasonCode[] => interpretTag(input).reasons.map((r) => r.code);

const linear = fixtureInput('linear');
const linearRaw = tagBytes('linear');
const UPSTREAM = 'a2cf4cb8cfb704b6f173195e174a39c481cfb064';

/** The linear fixture with its tag bytes edited. */
function linearWith(from: string | RegExp, to: string, extra: Partial<InterpretInput> = {}): InterpretInput {
  return { ...linear, tag: editTag(linearRaw, from, to), ...extra };
}

/** A row: the case, the text of the linear tag replaced, by what, the codes reported, and whether they are all or among others. */
type Edit = readonly [name: string, from: string, to: string, expected: readonly ReasonCode[], how: 'exactly' | 'among'];

/** One test a row: interpretTag on the linear tag edited so reports the codes. */
function editsOfLinear(rows: readonly Edit[]): void {
  it.each(rows)('%s', (_case, from, to, expected, how) => {
    expect(codes(linearWith(from, to))).toEqual(how === 'exactly' ? [...expected] : expect.arrayContaining([...expected]));
  });
}

/** The linear fixture with another debian/changelog. */
function linearChangelog(text: string): InterpretInput {
  return { ...linear, changelog: Buffer.from(text) };
}
const changelogFor = (head: string): string =>
  `${head}\n\n  * Change.\n\n -- Fixture Maintainer <maint@example.org>  Wed, 01 Jan 2025 12:00:00 +0000\n`;

describe('tags made by git-debpush 12.16 are valid instructions', () => {
  it.each(TAG_FIXTURES)('%s', (name) => {
    const result = interpretTag(fixtureInput(name));
    expect(result.reasons).toEqual([]);
    expect(result.instruction).toBeDefined();
  });

  it('reads the instruction of each layout', () => {
    const get = (name: (typeof TAG_FIXTURES)[number]) => interpretTag(fixtureInput(name)).instruction!;
    expect(get('native')).toMatchObject({
      source: 'nat',
      version: '1.2',
      quiltMode: 'linear',
      quiltModeExplicit: false,
      distros: ['debian'],
    });
    expect(get('native').upstreamCommit).toBeUndefined();
    expect(get('linear')).toMatchObject({
      source: 'lin',
      quiltMode: 'linear',
      quiltModeExplicit: true,
      upstreamTag: 'upstream/1.0',
      upstreamCommit: UPSTREAM,
    });
    expect(get('gbp')).toMatchObject({ source: 'gbpkg', version: '1.0-2', quiltMode: 'gbp' });
    expect(get('unapplied').quiltMode).toBe('unapplied');
    expect(get('baredebian')).toMatchObject({ quiltMode: 'baredebian', upstreamCommit: UPSTREAM });
    expect(get('epoch')).toMatchObject({ version: '1:2.0~rc1-1', upstreamTag: 'upstream/2.0_rc1', pleaseUpload: true, split: true });
    expect(get('linear').summary).toBe('lin release 1.0-1 for unstable');
  });

  it('decodes the epoch-and-tilde tag name and keeps the non-ASCII tagger', () => {
    const result = interpretTag(fixtureInput('epoch'));
    expect(result.version).toBe('1:2.0~rc1-1');
    expect(result.tagger).toBe('Jöns Fixture <maint@example.org>');
    expect(result.changelog).toMatchObject({ source: 'epoch', version: '1:2.0~rc1-1', distribution: 'unstable' });
  });

  it('needsUpstreamTag follows upstream-tag=', () => {
    expect(needsUpstreamTag(interpretTag(fixtureInput('linear')).instruction!)).toBe(true);
    expect(needsUpstreamTag(interpretTag(fixtureInput('native')).instruction!)).toBe(false);
  });
});

describe('tag name', () => {
  it('TAG_NAME_INVALID for a name outside debian/', () => {
    const tag = editTag(linearRaw, 'tag debian/1.0-1', 'tag ubuntu/1.0-1');
    expect(codes({ ...linear, refName: 'ubuntu/1.0-1', tag })).toEqual(['TAG_NAME_INVALID']);
  });
  it('TAG_NAME_MISMATCH when the signed tag header names another tag', () => {
    expect(codes(linearWith('tag debian/1.0-1', 'tag debian/1.0-9'))).toEqual(['TAG_NAME_MISMATCH']);
  });
  it('TAG_TARGET_NOT_COMMIT for a tag of a tree', () => {
    expect(codes(linearWith('type commit', 'type tree'))).toEqual(['TAG_TARGET_NOT_COMMIT']);
  });
});

describe('message structure', () => {
  editsOfLinear([
    [
      'TAG_MESSAGE_MALFORMED for a whitespace-only summary line',
      'lin release 1.0-1 for unstable',
      '  \t',
      ['TAG_MESSAGE_MALFORMED'],
      'exactly',
    ],
    [
      'TAG_MESSAGE_MALFORMED when the line after the summary is not blank',
      'for unstable\n\n',
      'for unstable\nmore\n',
      ['TAG_MESSAGE_MALFORMED'],
      'exactly',
    ],
    ['a whitespace-only second line counts as blank', 'for unstable\n\n', 'for unstable\n \t\n', [], 'exactly'],
  ]);
  it('TAG_MESSAGE_MALFORMED (and the items missing) for a tag without a message', () => {
    const got = codes({ ...linear, tag: withMessage(linearRaw, '') });
    expect(got).toContain('TAG_MESSAGE_MALFORMED');
    expect(got).toContain('PLEASE_UPLOAD_MISSING');
  });
  it('a line of the message starting with -----BEGIN PGP ends the message there, as tag2upload cuts it', () => {
    const got = codes(linearWith('[dgit distro=', '-----BEGIN PGP PUBLIC KEY BLOCK-----\n[dgit distro='));
    expect(got).toEqual(expect.arrayContaining(['DISTRO_MISSING', 'PLEASE_UPLOAD_MISSING']));
  });
  it('TAG_OBJECT_MALFORMED for a header line without "name value"', () => {
    expect(codes(linearWith(/(tagger [^\n]*\n)/, '$1corrupt\n'))).toEqual(['TAG_OBJECT_MALFORMED']);
  });
  it('TAG_LINE_TOO_LONG for a line of 900 bytes plus newline, not for 899', () => {
    expect(codes(linearWith('for unstable\n\n', `for unstable\n\n${'x'.repeat(899)}\n`))).toEqual([]);
    expect(codes(linearWith('for unstable\n\n', `for unstable\n\n${'x'.repeat(900)}\n`))).toEqual(['TAG_LINE_TOO_LONG']);
  });
  it('TAG_LINE_TOO_LONG counts bytes, not characters', () => {
    const utf8InLatin1 = Buffer.from('é'.repeat(450), 'utf8').toString('latin1'); // 900 bytes
    expect(codes(linearWith('for unstable\n\n', `for unstable\n\n${utf8InLatin1}\n`))).toEqual(['TAG_LINE_TOO_LONG']);
  });
});

describe('[dgit] items', () => {
  editsOfLinear([
    ['DGIT_ITEM_INVALID for an item starting with an upper-case letter', ' split', ' Split split', ['DGIT_ITEM_INVALID'], 'exactly'],
    ['DGIT_ITEM_INVALID for two spaces between items', ' split', '  split', ['DGIT_ITEM_INVALID'], 'exactly'],
    ['DGIT_ITEM_INVALID for a tab between items', ' split ', ' split\t', ['DGIT_ITEM_INVALID'], 'among'],
    ['unknown lower-case items are ignored', ' split', ' split future-item=1 +x .y =z 9', [], 'exactly'],
    ['DGIT_ITEM_UNKNOWN_CRITICAL for an unknown !-item', ' split', ' split !frobnicate=1', ['DGIT_ITEM_UNKNOWN_CRITICAL'], 'exactly'],
    [
      'reports every bad item, not only the first',
      ' split',
      ' split Bad !bad',
      ['DGIT_ITEM_INVALID', 'DGIT_ITEM_UNKNOWN_CRITICAL'],
      'exactly',
    ],
    ['PLEASE_UPLOAD_MISSING without please-upload', 'please-upload ', '', ['PLEASE_UPLOAD_MISSING'], 'exactly'],
    ['SPLIT_MISSING without split', ' split', '', ['SPLIT_MISSING'], 'exactly'],
    ['DISTRO_MISSING without distro=', 'distro=debian ', '', ['DISTRO_MISSING'], 'exactly'],
  ]);
  it("!pristine-tar= is known to the current service, unknown critical to trixie's", () => {
    const input = linearWith(' split', ` split !pristine-tar=${'1'.repeat(40)}`);
    expect(codes(input)).toEqual([]);
    expect(interpretTag(input).instruction!.pristineTar).toBe('1'.repeat(40));
    expect(codes({ ...input, rules: 'trixie' })).toEqual(['DGIT_ITEM_UNKNOWN_CRITICAL']);
  });
  it('DISTRO_MISSING when no distro= is debian; passes when one of several is', () => {
    expect(codes(linearWith('distro=debian', 'distro=ubuntu'))).toEqual(['DISTRO_MISSING']);
    const both = linearWith('distro=debian', 'distro=ubuntu distro=debian');
    expect(codes(both)).toEqual([]);
    expect(interpretTag(both).instruction!.distros).toEqual(['ubuntu', 'debian']);
  });
});

describe('source and version', () => {
  editsOfLinear([
    ['SOURCE_INVALID without source=', 'source=lin ', '', ['SOURCE_INVALID'], 'exactly'],
    ['SOURCE_INVALID for a name outside [0-9a-z][-+.0-9a-z]*', 'source=lin', 'source=Lin', ['SOURCE_INVALID'], 'exactly'],
    ['SOURCE_INVALID for source=0 (Perl treats "0" as false)', 'source=lin', 'source=0', ['SOURCE_INVALID'], 'among'],
    ['SOURCE_MISMATCH when source= differs from debian/changelog', 'source=lin', 'source=other', ['SOURCE_MISMATCH'], 'exactly'],
    ['VERSION_INVALID without version=', 'version=1.0-1 ', '', ['VERSION_INVALID'], 'exactly'],
    ['VERSION_INVALID for a version dpkg rejects', 'version=1.0-1', 'version=1.0-', ['VERSION_INVALID'], 'among'],
    ['VERSION_MISMATCH when version= differs from the tag name', 'version=1.0-1', 'version=1.0-2', ['VERSION_MISMATCH'], 'exactly'],
  ]);
});

describe('debian/changelog', () => {
  it('CHANGELOG_INVALID when the commit has no debian/changelog', () => {
    expect(codes({ ...linear, changelog: undefined })).toEqual(['CHANGELOG_INVALID']);
  });
  it('CHANGELOG_INVALID when dpkg-parsechangelog would fail', () => {
    expect(codes(linearChangelog(''))).toEqual(['CHANGELOG_INVALID']);
  });
  it('CHANGELOG_INVALID when the first entry has no valid header', () => {
    expect(codes(linearChangelog(changelogFor('lin 1.0-1 unstable; urgency=medium')))).toEqual(['CHANGELOG_INVALID']);
  });
  it('CHANGELOG_INVALID when the changelog version is invalid', () => {
    expect(codes(linearChangelog(changelogFor('lin (1.0_1) unstable; urgency=medium')))).toEqual(['CHANGELOG_INVALID']);
  });
  it('CHANGELOG_MISMATCH when the changelog is for another version', () => {
    expect(codes(linearChangelog(changelogFor('lin (1.0-2) unstable; urgency=medium')))).toEqual(['CHANGELOG_MISMATCH']);
  });
  it('SOURCE_MISMATCH when the changelog is for another package', () => {
    expect(codes(linearChangelog(changelogFor('other (1.0-1) unstable; urgency=medium')))).toEqual(['SOURCE_MISMATCH']);
  });
  it('SUITE_INVALID for UNRELEASED and for several suites; passes for one suite', () => {
    expect(codes(linearChangelog(changelogFor('lin (1.0-1) UNRELEASED; urgency=medium')))).toEqual(['SUITE_INVALID']);
    expect(codes(linearChangelog(changelogFor('lin (1.0-1) unstable experimental; urgency=medium')))).toEqual(['SUITE_INVALID']);
    expect(codes(linearChangelog(changelogFor('lin (1.0-1) experimental; urgency=medium')))).toEqual([]);
  });
});

describe('upstream', () => {
  it('UPSTREAM_INCOMPLETE with upstream= but no upstream-tag=', () => {
    expect(codes(linearWith('upstream-tag=upstream/1.0 ', ''))).toEqual(['UPSTREAM_INCOMPLETE']);
  });
  it('UPSTREAM_INCOMPLETE with upstream-tag= but no upstream=', () => {
    expect(codes(linearWith(` upstream=${UPSTREAM}`, ''))).toEqual(['UPSTREAM_INCOMPLETE']);
  });
  it('UPSTREAM_INCOMPLETE for baredebian without upstream', () => {
    const bare = fixtureInput('baredebian');
    const tag = editTag(tagBytes('baredebian'), ` upstream-tag=upstream/1.0 upstream=${UPSTREAM}`, '');
    expect(codes({ ...bare, tag })).toEqual(['UPSTREAM_INCOMPLETE']);
  });
  it('UPSTREAM_INCOMPLETE for !pristine-tar= without upstream', () => {
    const native = fixtureInput('native');
    const tag = editTag(tagBytes('native'), ' split', ` split !pristine-tar=${'2'.repeat(40)}`);
    expect(codes({ ...native, tag })).toEqual(['UPSTREAM_INCOMPLETE']);
  });
  it('UPSTREAM_INVALID for an abbreviated upstream= commit', () => {
    expect(codes(linearWith(`upstream=${UPSTREAM}`, `upstream=${UPSTREAM.slice(0, 12)}`, { upstreamTagTarget: UPSTREAM }))).toEqual([
      'UPSTREAM_INVALID',
      'UPSTREAM_MISMATCH',
    ]);
  });
  it('UPSTREAM_INVALID for an upstream-tag= git refuses', () => {
    expect(codes(linearWith('upstream-tag=upstream/1.0', 'upstream-tag=upstream/1..0'))).toEqual(['UPSTREAM_INVALID']);
  });
  it('UPSTREAM_MISMATCH when upstream-tag= resolves to another commit', () => {
    expect(codes({ ...linear, upstreamTagTarget: 'f'.repeat(40) })).toEqual(['UPSTREAM_MISMATCH']);
  });
});

describe('quilt mode', () => {
  it('QUILT_MODE_INVALID for a mode dgit does not know', () => {
    expect(codes(linearWith('--quilt=linear', '--quilt=linearish'))).toEqual(['QUILT_MODE_INVALID']);
  });
  it.each([
    'linear',
    'try-linear',
    'auto',
    'smash',
    'single',
    'nofix',
    'nocheck',
    'gbp',
    'dpm',
    'unapplied',
    'baredebian',
    'baredebian+git',
    'baredebian+tarball',
  ])('accepts --quilt=%s', (mode) => {
    const input = linearWith('--quilt=linear', `--quilt=${mode}`);
    expect(codes(input)).toEqual([]);
    expect(interpretTag(input).instruction!.quiltMode).toBe(mode);
  });
  it("the service ignores a --quilt= value outside [-+0-9a-z]+, leaving dgit's default", () => {
    const input = linearWith('--quilt=linear', '--quilt=GBP');
    expect(codes(input)).toEqual([]);
    expect(interpretTag(input).instruction).toMatchObject({ quiltMode: 'linear', quiltModeExplicit: false });
  });
});

describe('tagger', () => {
  it('TAGGER_INVALID when the tagger has no angle-addr', () => {
    expect(codes(linearWith('<maint@example.org>', 'maint@example.org'))).toEqual(['TAGGER_INVALID']);
  });
  it('TAGGER_INVALID when the tagger has no name', () => {
    expect(codes(linearWith('tagger Fixture Maintainer <', 'tagger <'))).toEqual(['TAGGER_INVALID']);
  });
  it('TAGGER_INVALID when the tag has no tagger', () => {
    expect(codes(linearWith(/tagger [^\n]*\n/, ''))).toEqual(['TAGGER_INVALID']);
  });
});

describe('robustness', () => {
  it('reports several independent problems at once', () => {
    const tag = editTag(linearRaw, '[dgit distro=debian split --quilt=linear]', '[dgit distro=ubuntu --quilt=bogus]');
    const got = codes({ ...linear, tag, changelog: undefined, upstreamTagTarget: 'e'.repeat(40) });
    expect(got.sort()).toEqual(['CHANGELOG_INVALID', 'DISTRO_MISSING', 'QUILT_MODE_INVALID', 'SPLIT_MISSING', 'UPSTREAM_MISMATCH']);
  });
  it('never throws on a message of arbitrary bytes', () => {
    const junk = Array.from({ length: 3000 }, (_, i) => String.fromCharCode((i * 7919 + 13) % 256)).join('');
    const input = { ...linear, tag: withMessage(linearRaw, `x\n\n[dgit ${junk}]\n${junk}\n`) };
    expect(() => interpretTag(input)).not.toThrow();
    expect(interpretTag(input).reasons.length).toBeGreaterThan(0);
  });
});
