// Parses deb822 control data (deb822(5), Debian Policy §5.1) with the rules of
// Dpkg::Control::HashCore::parse, so that a .dsc or an archive index reads the
// way dpkg-source and dak read it: trailing white space is dropped from every
// line; a line that is empty after that ends a paragraph; "#" lines are
// comments; "Name: value" starts a field (white space around the colon is
// dropped); a line starting with white space continues the field, minus that
// first character, and a continuation line of dots loses one dot (" ." is an
// empty line). Where dpkg is lax this parser is strict: a field needs a colon
// and a name of printable US-ASCII, and a field may not appear twice.
import { PERL_SPACE, trimEnd, trimStart } from '../text/scan.js';
import { Deb822Paragraph } from './paragraph.js';
import { FormatError } from '../report/format-error.js';

export interface ParseOptions {
  /** Skip "#" lines, as dpkg does. Default true. */
  readonly comments?: boolean;
}

/** Perl's \s on bytes: space, \t, \n, \v, \f, \r (not the Unicode spaces of JavaScript's \s). */
const WS = /^[ \t\n\v\f\r]/;
/** deb822(5): a field name is US-ASCII without control characters, space or colon, and does not start with "#" or "-". */
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

/** Every paragraph of `text`, in order. Throws a FormatError with the line number on malformed input. */
export function parseDeb822(text: string, options: ParseOptions = {}): Deb822Paragraph[] {
  return [...iterateDeb822(text, options)];
}

/** The paragraphs of `text` one at a time (an archive index need not be held as objects all at once). */
export function* iterateDeb822(text: string, options: ParseOptions = {}): Generator<Deb822Paragraph> {
  const comments = options.comments ?? true;
  let current: Deb822Paragraph | undefined;
  let field: string | undefined;
  let value = '';
  const flush = (): void => {
    if (current && field !== undefined) current.set(field, value);
    field = undefined;
  };
  let lineNo = 0;
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1) nl = text.length;
    const line = trimEnd(text.slice(pos, nl), PERL_SPACE);
    pos = nl + 1;
    lineNo++;
    if (line.length === 0) {
      flush();
      if (current) yield current;
      current = undefined;
      continue;
    }
    if (line[0] === '#' && comments) continue;
    if (WS.test(line)) {
      if (field === undefined) throw malformed('continuation line outside any field', lineNo);
      let cont = line.slice(1);
      if (/^\.+$/.test(cont)) cont = cont.slice(1);
      value += `\n${cont}`;
      continue;
    }
    if (line.startsWith('-----BEGIN PGP ')) throw malformed('OpenPGP armor is not allowed here (strip the clearsignature first)', lineNo);
    const colon = line.indexOf(':');
    if (colon === -1) throw malformed(`line is not "Field: value": ${JSON.stringify(line.slice(0, 60))}`, lineNo);
    const name = trimEnd(line.slice(0, colon), PERL_SPACE);
    if (!FIELD_NAME.test(name) || name[0] === '-' || name[0] === '#') {
      throw malformed(`invalid field name ${JSON.stringify(name.slice(0, 60))}`, lineNo);
    }
    flush();
    current ??= new Deb822Paragraph();
    if (current.has(name)) throw malformed(`duplicate field ${name}`, lineNo);
    field = name;
    value = trimStart(line.slice(colon + 1), PERL_SPACE);
  }
  flush();
  if (current) yield current;
}

/** Exactly one paragraph (a .dsc, a Release file); throws a FormatError otherwise. */
export function parseDeb822Paragraph(text: string, options: ParseOptions = {}): Deb822Paragraph {
  const paragraphs = parseDeb822(text, options);
  if (paragraphs.length !== 1) throw malformed(`expected one paragraph, found ${paragraphs.length}`, 1);
  return paragraphs[0]!;
}

function malformed(message: string, line: number): FormatError {
  return new FormatError('deb822', `line ${line}: ${message}`, { line });
}
