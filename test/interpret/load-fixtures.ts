// Loads the interpret fixtures made by fixtures/interpret/make.sh (real
// git-debpush tags and real dpkg-parsechangelog output) and edits tag bytes
// to make malformed variants; the signature is left stale, which the
// interpret stage (it runs after authentication) does not look at.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseTagObject, type ParsedTag } from '../../src/gitobj/tag-object.js';
import type { InterpretInput } from '../../src/interpret/interpret.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/interpret/', import.meta.url));

export const TAG_FIXTURES = ['native', 'linear', 'gbp', 'unapplied', 'baredebian', 'epoch'] as const;
export type TagFixture = (typeof TAG_FIXTURES)[number];

export function tagBytes(name: TagFixture): Buffer {
  return readFileSync(join(FIXTURES, 'tags', `${name}.tag`));
}

/** A fixture as interpretTag input: ref name from the tag header, its changelog and upstream target. */
export function fixtureInput(name: TagFixture): InterpretInput & { tag: ParsedTag } {
  const tag = parseTagObject(tagBytes(name));
  const upstreamFile = join(FIXTURES, 'tags', `${name}.upstream`);
  return {
    refName: tag.headers.tag,
    tag,
    changelog: readFileSync(join(FIXTURES, 'tags', `${name}.changelog`)),
    ...(existsSync(upstreamFile) ? { upstreamTagTarget: readFileSync(upstreamFile, 'latin1').trim() } : {}),
  };
}

/** The tag's bytes with `from` replaced by `to` (once; it must occur), as a parsed tag. */
export function editTag(raw: Uint8Array, from: string | RegExp, to: string): ParsedTag {
  const text = Buffer.from(raw).toString('latin1');
  const found = typeof from === 'string' ? text.includes(from) : from.test(text);
  if (!found) throw new Error(`editTag: ${String(from)} not found`);
  return parseTagObject(Buffer.from(text.replace(from, to), 'latin1'));
}

/** Replaces the tag message (between the headers and the signature) with `message`. */
export function withMessage(raw: Uint8Array, message: string): ParsedTag {
  const text = Buffer.from(raw).toString('latin1');
  const start = text.indexOf('\n\n') + 2;
  const end = text.indexOf('-----BEGIN PGP SIGNATURE-----');
  return parseTagObject(Buffer.from(text.slice(0, start) + message + text.slice(end), 'latin1'));
}

export interface ChangelogVariant {
  name: string;
  bytes: Buffer;
  /** dpkg-parsechangelog's output fields. */
  fields: Map<string, string>;
  rc: number;
}

export function changelogVariants(): ChangelogVariant[] {
  const dir = join(FIXTURES, 'changelog');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.changelog'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.changelog'.length);
      const fields = new Map<string, string>();
      for (const line of readFileSync(join(dir, `${name}.parsed`), 'latin1').split('\n')) {
        const m = /^([A-Za-z-]+): ?(.*)$/.exec(line);
        if (m) fields.set(m[1]!, m[2]!);
      }
      return {
        name,
        bytes: readFileSync(join(dir, f)),
        fields,
        rc: Number(readFileSync(join(dir, `${name}.rc`), 'latin1').trim()),
      };
    });
}
