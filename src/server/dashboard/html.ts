// HTML built by one tagged template that escapes every interpolated value.
// The dashboard shows attacker-controlled text (tag messages, tagger names,
// paths inside tarballs, .dsc field values), so no value reaches a page
// unescaped unless it is itself the output of this template: markup is a
// type (`SafeHtml`), not a string convention.

/** Markup produced by `html` (or `raw` for constant markup written in this code base). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for element content and for double- or single-quoted attribute
 * values (the five characters HTML gives a meaning there).
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A value the template accepts: text (escaped), markup, or lists of either; null and undefined render nothing. */
export type HtmlValue = string | number | boolean | SafeHtml | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(value));
}

/** The template tag: literal parts are markup, interpolations are escaped. */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** Constant markup from this code base, never data. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
