// Linear-time trimming and splitting of text that comes from outside (tags,
// .dsc files, archive indexes, changelogs, URLs). A regular expression such as
// /[ \t]+$/ is tried from every position of a run of white space, so a line of
// n spaces followed by any other character costs n²/2 steps: a 362 KB line
// froze the service for minutes. These scans look at each character once.

/** Perl's \s on byte strings (and deb822's white space): space, \t, \n, \v, \f, \r. */
export const PERL_SPACE = ' \t\n\v\f\r';

/** JavaScript's \s for one UTF-16 code unit (the Unicode spaces included). */
export function isJsSpaceCode(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** JavaScript's \s for one character. */
export function isJsSpace(c: string): boolean {
  return c.length === 1 && isJsSpaceCode(c.charCodeAt(0));
}

/** A set of characters: the characters of a string, or JavaScript's white space. */
export type CharSet = string | typeof isJsSpace;

/** One lookup table per character set, made once (the sets are constants of the callers). */
const TABLES = new Map<string, (c: number) => boolean>();

function member(set: CharSet): (c: number) => boolean {
  if (set === isJsSpace) return isJsSpaceCode;
  if (typeof set !== 'string') return (c) => set(String.fromCharCode(c));
  let is = TABLES.get(set);
  if (!is) {
    const codes = new Uint8Array(0x10000);
    for (let i = 0; i < set.length; i++) codes[set.charCodeAt(i)] = 1;
    is = (c) => codes[c] === 1;
    TABLES.set(set, is);
  }
  return is;
}

/** `s` without the characters of `set` at its end (what `s.replace(/[set]+$/, '')` means). */
export function trimEnd(s: string, set: CharSet): string {
  const is = member(set);
  let end = s.length;
  while (end > 0 && is(s.charCodeAt(end - 1))) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** `s` without the characters of `set` at its start. */
export function trimStart(s: string, set: CharSet): string {
  const is = member(set);
  let start = 0;
  while (start < s.length && is(s.charCodeAt(start))) start++;
  return start === 0 ? s : s.slice(start);
}

/** `s` without the characters of `set` at either end. */
export function trimBoth(s: string, set: CharSet): string {
  return trimStart(trimEnd(s, set), set);
}

/**
 * `s` split at each `separator` (one character), with the white space around
 * every separator dropped and the white space at the very start and end kept:
 * what splitting at "white space, separator, white space" gives.
 */
export function splitAround(s: string, separator: string, set: CharSet): string[] {
  const parts = s.split(separator);
  return parts.map((part, i) => {
    let p = part;
    if (i > 0) p = trimStart(p, set);
    if (i < parts.length - 1) p = trimEnd(p, set);
    return p;
  });
}

/** Every maximal run of `set` characters that contains a CR or LF becomes one space. */
export function foldLineBreaks(s: string, set: CharSet): string {
  const is = member(set);
  const out: string[] = [];
  let done = 0;
  let i = 0;
  while (i < s.length) {
    if (!is(s.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i;
    let breaks = false;
    while (j < s.length && is(s.charCodeAt(j))) {
      const c = s.charCodeAt(j);
      if (c === 0x0a || c === 0x0d) breaks = true;
      j++;
    }
    if (breaks) {
      out.push(s.slice(done, i), ' ');
      done = j;
    }
    i = j;
  }
  if (done === 0) return s;
  out.push(s.slice(done));
  return out.join('');
}

/**
 * The text inside each "<…>" group, as matching `<([^>]+)>` globally finds
 * them (an inner "<" belongs to the text); the regular expression would scan
 * to the end of the text from every "<" that has no ">" after it.
 */
export function angleGroups(s: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (;;) {
    const open = s.indexOf('<', from);
    if (open === -1) return out;
    const close = s.indexOf('>', open + 1);
    if (close === -1) return out;
    if (close > open + 1) {
      out.push(s.slice(open + 1, close));
      from = close + 1;
    } else from = open + 1;
  }
}
