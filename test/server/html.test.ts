// The escaping template: interpolated text is escaped, markup from `html` is not.
import { describe, expect, it } from 'vitest';
import { escapeHtml, html, raw } from '../../src/server/dashboard/html.js';

describe('html', () => {
  it('escapes the characters that open markup or end an attribute', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;');
  });

  it('escapes interpolations but keeps nested templates and raw markup', () => {
    const name = '<img src=x onerror=alert(1)>';
    const out = html`<p title="${'"><b>'}">${name} ${html`<b>${'&'}</b>`} ${raw('<br>')}</p>`;
    expect(out.value).toBe('<p title="&quot;&gt;&lt;b&gt;">&lt;img src=x onerror=alert(1)&gt; <b>&amp;</b> <br></p>');
  });

  it('renders lists, numbers and nothing for null, undefined and false', () => {
    expect(html`${['<a>', html`<i>`, 3]}|${null}|${undefined}|${false}|${0}`.value).toBe('&lt;a&gt;<i>3||||0');
  });

  it('does not treat a string that looks like markup as markup', () => {
    // Only a SafeHtml instance passes unescaped; an object with the same shape is text.
    const fake = { value: '<script>' } as unknown as string;
    expect(html`${fake}`.value).not.toContain('<script>');
  });
});
