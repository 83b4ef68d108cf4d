import { mutated, seededUnit } from '../../helpers/seeded.js';
import { describe, expect, it } from 'vitest';
import { formatAddressList, parseAddress } from '../../../src/reconstruct/second-toolchain/dsc-body.js';
import { parseDeps } from '../../../src/reconstruct/second-toolchain/dpkg-deps.js';
import { parseSourceOptions } from '../../../src/reconstruct/second-toolchain/source-options.js';

// dpkg's regular expressions (Dpkg::Email::Address, Dpkg::Deps, Dpkg::Conf) as
// JavaScript: the reference the linear scans must agree with. They backtrack
// super-linearly (the address one exponentially), so they see only short text here.
const ADDR_NAME = String.raw`(?:[^<>"\x00-\x1f\x7f,]+|"[^<>"\x00-\x1f\x7f]+")*`;
const ADDR_EMAIL = String.raw`[^@<>"\s\x00-\x1f\x7f,]+@[^@<>"\s\x00-\x1f\x7f,]+`;
const ADDR = String.raw`\s*(${ADDR_NAME})\s+<(${ADDR_EMAIL})>\s*`;
function referenceAddress(value: string): { name: string; email: string } | null {
  const m = new RegExp(`^${ADDR}$`).exec(value);
  return m ? { name: m[1]!, email: m[2]! } : null;
}
function referenceList(value: string): string | null {
  if (!new RegExp(String.raw`^(?:\s*${ADDR}(?:\s*,)+)*(?:\s*${ADDR})(?:\s*,)*\s*$`).test(value)) return null;
  return [...value.matchAll(new RegExp(String.raw`\s*${ADDR}(?:\s*,)*`, 'g'))].map((m) => `${m[1]!} <${m[2]!}>`).join(', ');
}
const SIMPLE = new RegExp(
  String.raw`^\s*([a-zA-Z0-9][a-zA-Z0-9+.-]*)(?::([a-zA-Z0-9][a-zA-Z0-9-]*))?` +
    String.raw`(?:\s*\(\s*(<<|<=|=|>=|>>|[<>])\s*([^)\s]+)\s*\))?` +
    String.raw`(?:\s*\[\s*([^\]]+)\s*\])?` +
    String.raw`((?:\s*<\s*[^>]+\s*>)+)?\s*$`,
  's',
);
const words = (s: string): string[] => s.split(/[ \t\n\v\f\r]+/).filter((w) => w !== '');
function referenceDeps(line: string): unknown {
  const flat = line
    .replace(/\s*[\r\n]\s*/g, ' ')
    .replace(/^\s+/, '')
    .replace(/\s+$/, '');
  const ands = flat.split(/\s*,\s*/);
  while (ands.length > 0 && ands[ands.length - 1] === '') ands.pop();
  return ands.map((and) =>
    and.split(/\s*\|\s*/).map((t) => {
      const m = SIMPLE.exec(t);
      if (!m) return 'error';
      return [
        m[1],
        m[2],
        m[3],
        m[4],
        m[5] === undefined ? undefined : words(m[5]),
        m[6] === undefined ? undefined : [...m[6].matchAll(/<\s*([^>]+?)\s*>/g)].map((g) => words(g[1]!)),
      ];
    }),
  );
}
function linearDeps(line: string): unknown {
  let deps;
  try {
    deps = parseDeps(line);
  } catch {
    return 'error';
  }
  return deps.map((d) =>
    (d.kind === 'or' ? d.alternatives : [d]).map((s) => {
      return [s.package, s.archqual, s.relation, s.version, s.arches, s.restrictions];
    }),
  );
}
function referenceOption(line: string): [string, string | undefined] | null {
  const m = /^(?:--)?([^=\s]+)\s*(?:=\s*(.*))?$/.exec(line);
  return m ? [m[1]!, m[2]?.replace(/^(['"])(.*)\1$/, '$2')] : null;
}

const cases = 5000;
describe("the second toolchain's scans agree with dpkg's regular expressions", () => {
  it(`addresses and address lists (${cases} generated)`, () => {
    const random = seededUnit(11);
    const seeds = ['A B <a@b>', ' "X, Y" <x@y> ', 'A <a@b>, C D <c@d>,', 'A\t <a@b>', '  <a@b>', '"" <a@b>', 'A <a@b>,, B <b@c>'];
    const parts = [' ', '\t', '\u00a0', '"', ',', '<', '>', '@', 'a', 'Name', '\x01', '\n'];
    let hits = 0;
    for (let i = 0; i < cases; i++) {
      const v = mutated(random, seeds, parts);
      const want = referenceAddress(v);
      if (want) hits++;
      expect(parseAddress(v), JSON.stringify(v)).toEqual(want);
      const list = referenceList(v);
      if (list === null) expect(() => formatAddressList(v), JSON.stringify(v)).toThrow();
      else expect(formatAddressList(v), JSON.stringify(v)).toBe(list);
    }
    expect(hits).toBeGreaterThan(cases / 20);
  });
  it(`dependency fields (${cases} generated)`, () => {
    const random = seededUnit(12);
    const seeds = ['a (>= 1), b | c [amd64] <!nocheck>', 'a:any (<< 2) [ !i386 ] < a b > <c>', 'x,\n y ,', 'p [ ] < >', 'q (= 1.0-1)'];
    const parts = [' ', '\t', '\u00a0', '\n', ',', '|', '(', ')', '[', ']', '<', '>', 'a', '=', '1', ':'];
    let hits = 0;
    for (let i = 0; i < cases; i++) {
      const v = mutated(random, seeds, parts);
      const want = referenceDeps(v);
      const wantError = JSON.stringify(want).includes('"error"');
      if (!wantError) hits++;
      const got = linearDeps(v);
      if (wantError) expect(got, JSON.stringify(v)).toBe('error');
      else {
        expect(got, JSON.stringify(v)).not.toBe('error');
        const strip = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_k, val: unknown) => (val === undefined ? null : val)));
        const norm = (x: unknown): unknown => JSON.stringify(strip(x)).replace(/"<"/g, '"<="').replace(/">"/g, '">="');
        expect(norm(got), JSON.stringify(v)).toBe(norm(want));
      }
    }
    expect(hits).toBeGreaterThan(cases / 20);
  });
  it(`debian/source/options lines (${cases} generated)`, () => {
    const random = seededUnit(13);
    const seeds = ['compression = "xz"', '--compression-level=9', 'compression', 'compression =\r x', 'compression = gzip'];
    const parts = [' ', '\t', '=', '"', "'", '\r', '\u2028', '-', 'x', 'compression'];
    for (let i = 0; i < cases; i++) {
      const v = mutated(random, seeds, parts);
      const line = v.trim();
      const ref = line === '' || line.startsWith('#') ? null : referenceOption(line);
      const want =
        ref === null
          ? {}
          : ref[0] === 'compression'
            ? { compression: ref[1] }
            : ref[0] === 'compression-level'
              ? { level: ref[1] }
              : undefined;
      if (want === undefined) continue;
      let got: unknown;
      try {
        got = parseSourceOptions(v);
      } catch {
        got = 'error';
      }
      expect(JSON.stringify(got), JSON.stringify(v)).toBe(JSON.stringify(want));
    }
  });
});
