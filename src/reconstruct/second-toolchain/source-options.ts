// debian/source/options and local-options, as dpkg-source reads them
// (Dpkg::Conf: one long option per line, "name = value" or "name",
// "#" comments, quotes around the value dropped), for the settings that
// change the bytes of the tarballs this toolchain makes.

import { isJsSpace, trimStart } from '../../text/scan.js';
import { UnsupportedInput } from './unsupported-input.js';

export interface SourceOptions {
  /** `compression` (-Z). */
  readonly compression?: string;
  /** `compression-level` (-z). */
  readonly level?: string;
}

/** Options that change which members the tarballs hold, which this toolchain does not model. */
const UNMODELLED = /^(?:tar-ignore|I)$/;

export function parseSourceOptions(text: string): SourceOptions {
  let compression: string | undefined;
  let level: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    // `^(?:--)?([^=\s]+)\s*(?:=\s*(.*))?$`, with the white space cut by hand.
    const m = /^(?:--)?([^=\s]+)/.exec(line);
    if (!m) continue;
    const rest = trimStart(line.slice(m[0].length), isJsSpace);
    if (rest !== '' && rest[0] !== '=') continue;
    const given = rest === '' ? undefined : trimStart(rest.slice(1), isJsSpace);
    if (given !== undefined && /[\n\r\u2028\u2029]/.test(given)) continue;
    const name = m[1]!;
    const value = given?.replace(/^(['"])(.*)\1$/, '$2');
    if (name === 'compression') compression = value;
    else if (name === 'compression-level') level = value;
    else if (/^-Z./.test(name)) compression = name.slice(2);
    else if (/^-z./.test(name)) level = name.slice(2);
    else if (UNMODELLED.test(name) || /^-I/.test(name))
      throw new UnsupportedInput(`debian/source options set ${name}, which is not modelled`);
  }
  return { ...(compression !== undefined ? { compression } : {}), ...(level !== undefined ? { level } : {}) };
}
