import { mutated, seededUnit } from '../helpers/seeded.js';
import { afterAll, describe, expect, it } from 'vitest';
import { headerOf, isAncientDelimiter, trailerOf, urgencyOf } from '../../src/interpret/changelog.js';
import { SPACE, NON_SPACE } from '../../src/interpret/perl-text.js';

// dpkg's own regular expressions (Dpkg::Changelog::Entry::Debian and
// Dpkg::Changelog::Debian), as JavaScript: the reference the linear matchers
// must agree with. They backtrack super-linearly, so they only ever see short lines here.
const NAME = '[-+0-9a-zA-Z.]';
const HEADER = new RegExp(`^(\\w${NAME}*) \\(([^() \\t]+)\\)((?:${SPACE}+${NAME}+)+);(.*?)${SPACE}*$`, 's');
const TRAILER = new RegExp(
  `^ -- (.*) <(.*)>(  ?)(((\\w+),${SPACE}*)?(\\d{1,2}${SPACE}+(\\w+)${SPACE}+\\d{4}${SPACE}+\\d{1,2}:\\d\\d:\\d\\d${SPACE}+[-+]\\d{4}))${SPACE}*$`,
  's',
);
const ANCIENT = new RegExp(
  '^(?:' +
    [
      `\\w+${SPACE}+\\w+${SPACE}+\\d{1,2} \\d{1,2}:\\d{1,2}:\\d{1,2}${SPACE}+[\\w\\t\\n\\x0b\\f\\r ]*\\d{4}${SPACE}+.*${SPACE}+[<(].*[)>]`,
      `\\w+${SPACE}+\\w+${SPACE}+\\d{1,2},?${SPACE}*\\d{4}${SPACE}+.*${SPACE}+[<(].*[)>]`,
      `\\w[-+0-9a-z.]* \\([^() \\t]+\\);?`,
      `[\\w.+-]+[- ]${NON_SPACE}+ Debian ${NON_SPACE}+`,
      `Changes from version .* to .*:`,
      `Changes for [\\w.+-]+-[\\w.+-]+:?${SPACE}*$`,
      `Old Changelog:${SPACE}*$`,
      `(?:\\d+:)?\\w[\\w.+~-]*:?${SPACE}*$`,
    ].join('|') +
    ')',
  'is',
);
function referenceUrgency(options: string): string {
  const opts = options.replace(new RegExp(`^${SPACE}+`), '');
  if (opts === '') return '';
  for (const opt of opts.split(new RegExp(`${SPACE}*,${SPACE}*`))) {
    const m = new RegExp(`^([-0-9a-z]+)=${SPACE}*(.*${NON_SPACE})$`, 'is').exec(opt);
    if (m && m[1]!.toLowerCase() === 'urgency') return m[2]!.replace(new RegExp(`${SPACE}.*$`, 's'), '').toLowerCase();
  }
  return '';
}

function pieces(random: () => number, parts: readonly string[], max: number): string {
  let s = '';
  const n = Math.floor(random() * max);
  for (let i = 0; i < n; i++) s += parts[Math.floor(random() * parts.length)];
  return s;
}

const HEADER_SEEDS = [
  'a (1.0-1) unstable; urgency=high',
  'b-1 (2:1.0) x y;urgency=low ',
  'A (1) a;  ',
  'a (1.0) unstable; foo=bar, urgency=medium x',
];
const TRAILER_SEEDS = [
  ' -- Name <a@b>  Thu, 02 Jan 2025 00:00:00 +0100',
  ' -- A <B> <c@d> 2 Jan 2025 1:00:00 -0000 ',
  ' -- x  <y>  Thu,02  Jan 2025 00:00:00 +0100\t',
];
const ANCIENT_SEEDS = [
  'Mon Jan 12 12:00:00 CET 1999 x <a@b>',
  'Mon Jan 12, 1999 name (a)',
  'pkg-1 Debian x',
  'a b Debian c',
  'Changes from version 1 to 2:',
  'Changes for a-b:',
  'Old Changelog:',
  '1:pkg-1.0:',
  'a (1.0);',
];
const HEADER_PARTS = ['a', 'b-1', ' ', '  ', '\t', '(', ')', '1.0-1', ';', ' urgency=high', ',', 'unstable', ' x', '=', 'A'];
const TRAILER_PARTS = [
  ' -- ',
  ' ',
  '  ',
  '<',
  '>',
  'a@b',
  'Name',
  'Thu,',
  ' 02',
  ' Jan',
  ' 2025',
  ' 00:00:00',
  ' +0100',
  '1',
  ':',
  '\t',
  'x',
  ',',
];
const ANCIENT_PARTS = [
  'Mon',
  ' ',
  'Jan',
  '12',
  '1999',
  '12:00:00',
  ' <',
  '(',
  ')',
  '>',
  'x',
  '-',
  'Debian',
  ' Debian ',
  'Changes from version ',
  ' to ',
  ':',
  'Changes for ',
  'a-b',
  'Old Changelog:',
  '1:',
  'pkg',
  '.',
  ',',
  '\t',
  '~',
];

describe("the changelog matchers agree with dpkg's regular expressions", () => {
  const cases = 10000;
  const hits = { header: 0, trailer: 0, ancient: 0 };
  // The generators must reach the matching side often enough to mean something.
  afterAll(() => {
    expect(hits.header).toBeGreaterThan(cases / 100);
    expect(hits.trailer).toBeGreaterThan(cases / 100);
    expect(hits.ancient).toBeGreaterThan(cases / 100);
  });
  it(`header lines (${cases} generated)`, () => {
    const random = seededUnit(1);
    for (let i = 0; i < cases; i++) {
      const line = random() < 0.2 ? pieces(random, HEADER_PARTS, 12) : mutated(random, HEADER_SEEDS, HEADER_PARTS);
      const m = HEADER.exec(line);
      if (m) hits.header++;
      expect(headerOf(line), JSON.stringify(line)).toEqual(m ? [m[1], m[2], m[3], m[4]] : null);
      if (m) expect(urgencyOf(m[4]!), JSON.stringify(m[4])).toBe(referenceUrgency(m[4]!));
    }
  });
  it(`trailer lines (${cases} generated)`, () => {
    const random = seededUnit(2);
    for (let i = 0; i < cases; i++) {
      const line = random() < 0.2 ? ` -- ${pieces(random, TRAILER_PARTS, 14)}` : mutated(random, TRAILER_SEEDS, TRAILER_PARTS);
      const m = TRAILER.exec(line);
      if (m) hits.trailer++;
      const t = trailerOf(line);
      expect(t === null, JSON.stringify(line)).toBe(m === null);
      if (m && t) {
        expect([t.name, t.email, t.blanks, t.date, t.weekDay, t.dateTime, t.month], JSON.stringify(line)).toEqual([
          m[1],
          m[2],
          m[3],
          m[4],
          m[6],
          m[7],
          m[8],
        ]);
      }
    }
  });
  it(`old-format delimiters (${cases} generated)`, () => {
    const random = seededUnit(3);
    for (let i = 0; i < cases; i++) {
      const line = random() < 0.2 ? pieces(random, ANCIENT_PARTS, 10) : mutated(random, ANCIENT_SEEDS, ANCIENT_PARTS);
      const want = ANCIENT.test(line);
      if (want) hits.ancient++;
      expect(isAncientDelimiter(line), JSON.stringify(line)).toBe(want);
    }
  });
  it('urgency options', () => {
    const random = seededUnit(4);
    const parts = ['urgency', '=', 'high', ' ', '\t', ',', 'low', 'x=1', 'URGENCY', ' medium'];
    for (let i = 0; i < cases; i++) {
      const opts = pieces(random, parts, 10);
      expect(urgencyOf(opts), JSON.stringify(opts)).toBe(referenceUrgency(opts));
    }
  });
});
