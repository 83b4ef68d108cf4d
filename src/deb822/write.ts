// Writes deb822 paragraphs byte for byte as Dpkg::Control::HashCore::output
// does (dpkg-source writes a .dsc this way, and tag2upload round-trips the
// .dsc through it): "Name:" then " first line" when there is one; each
// further line with trailing white space removed, prefixed by " ", or by " ."
// when it is empty or only dots. Perl's split drops trailing empty lines.
import { PERL_SPACE, trimEnd } from '../text/scan.js';
import type { Deb822Paragraph } from './paragraph.js';

export interface WriteOptions {
  /**
   * Leave out fields whose value is only white space (Dpkg::Control's
   * drop_empty, on for every control type except templates). Default false.
   */
  readonly dropEmpty?: boolean;
  /**
   * Write field names as dpkg stores them (Dpkg::Control::FieldsCore's
   * field_capitalize: "x-some-field" becomes "X-Some-Field"). Default false:
   * names are written as they were read.
   */
  readonly capitalize?: boolean;
}

/** The fields whose dpkg spelling is not the generic capitalisation (Dpkg::Control::FieldsCore). */
const DPKG_SPELLING = new Map(
  ['ButAutomaticUpgrades', 'MD5sum', 'No-Support-for-Architecture-all', 'NotAutomatic', 'SHA1', 'SHA256'].map((n) => [n.toLowerCase(), n]),
);

/** A field name as dpkg capitalises it. */
export function dpkgFieldName(name: string): string {
  const lower = name.toLowerCase();
  return (
    DPKG_SPELLING.get(lower) ??
    lower
      .split('-')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join('-')
  );
}

/** One field as dpkg writes it, ending in "\n". */
export function formatField(name: string, value: string): string {
  const lines = value.split('\n');
  // Perl's split /\n/ drops trailing empty fields; a value of "" gives no lines at all.
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const [first, ...rest] = lines;
  let out = `${name}:`;
  if (first !== undefined && first.length > 0) out += ` ${first}`;
  out += '\n';
  for (const raw of rest) {
    const line = trimEnd(raw, PERL_SPACE);
    out += line.length === 0 || /^\.+$/.test(line) ? ` .${line}\n` : ` ${line}\n`;
  }
  return out;
}

/** A paragraph in its field order. */
export function formatParagraph(paragraph: Deb822Paragraph, options: WriteOptions = {}): string {
  let out = '';
  for (const { name, value } of paragraph.fields) {
    if (options.dropEmpty && !/[^ \t\n\v\f\r]/.test(value)) continue;
    out += formatField(options.capitalize ? dpkgFieldName(name) : name, value);
  }
  return out;
}

/** Paragraphs separated by one empty line, as in a Packages or Sources file. */
export function formatDeb822(paragraphs: readonly Deb822Paragraph[], options: WriteOptions = {}): string {
  return paragraphs.map((p) => formatParagraph(p, options)).join('\n');
}
