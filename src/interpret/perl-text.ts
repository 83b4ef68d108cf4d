// Text as dgit's Perl sees it. dgit-repos-server and dpkg-parsechangelog read
// files as bytes (no decoding layer, no `use utf8`, no unicode_strings), so
// every byte is one character and \s, \w, \d follow ASCII rules: \s is
// [\t\n\v\f\r ] (perl ≥ 5.18 includes \v), bytes ≥ 0x80 are never space or
// word characters. Decoding as latin1 gives one JS character per byte; the
// regular expressions here spell Perl's classes out, because JavaScript's \s
// also matches U+00A0 and U+0085, and its `.` does not match \r.

/** One character per byte, so lengths and regular expressions count bytes as Perl does. */
export function bytesToLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** The text as UTF-8 when it is valid UTF-8 (git's default), else one character per byte. */
export function displayText(latin1: string): string {
  const bytes = Buffer.from(latin1, 'latin1');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return latin1;
  }
}

/** Perl's \s on byte strings. */
export const SPACE = '[\\t\\n\\x0b\\f\\r ]';
/** Perl's \S on byte strings. */
export const NON_SPACE = '[^\\t\\n\\x0b\\f\\r ]';

/** Perl's truth test on a string: "" and "0" are false (dgit's `unless $tagversion`). */
export function perlTrue(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0';
}

/**
 * Splits into lines the way Perl's `<FH>` does: each line keeps its "\n",
 * the last one may lack it.
 */
export function perlLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl + 1;
    lines.push(text.slice(start, end));
    start = end;
  }
  return lines;
}

/** A line without its "\n", which is what Perl's `$` lets a pattern end before. */
export function chompLine(line: string): string {
  return line.endsWith('\n') ? line.slice(0, -1) : line;
}
