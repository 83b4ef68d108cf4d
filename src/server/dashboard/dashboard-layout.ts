// The dashboard's page shell, its stylesheet and the pieces every page shares
// (verdict badges, fact lists, time stamps). The stylesheet is served as a
// file so the Content-Security-Policy can forbid inline style and every
// script: the pages need no JavaScript.
import type { JobStatus, JobVerdict } from '../../store/store.js';
import { html, type HtmlValue, type SafeHtml } from './html.js';

/**
 * Sent with every dashboard response. `default-src 'none'` forbids scripts,
 * frames, fonts, images and connections; the stylesheet comes from this
 * origin only; forms submit only here (the filter form uses GET).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

/** docs/architecture.md §2, one line per verdict, for the detail page's verdict line. */
export const VERDICT_MEANINGS: Readonly<Record<JobVerdict, string>> = {
  reproduced: 'All five layers pass: the upload is byte-identical to a rebuild of the tag.',
  equivalent: 'Authenticity, metadata, binding and content pass; the bits differ only in an explained way.',
  mismatch: 'The upload differs from what the tag says (content, binding or bits): an alarm.',
  rejected: 'Authenticity or metadata fails: the tag should never have been uploaded.',
  unverifiable: 'The verifier could not decide (fetch, sandbox, timeout or unsupported input); the reasons say why.',
  authentic: 'The tag is authentic and a valid tag2upload instruction (layers 1–2 only).',
};

export const STYLESHEET = `
:root { color-scheme: light; --fg: #1d1d1f; --muted: #5f6368; --line: #d9d9de; --bg-alt: #f5f5f7; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, sans-serif; color: var(--fg); margin: 0; }
header.top { background: #a80030; color: #fff; padding: .6rem 1.2rem; }
header.top a { color: #fff; text-decoration: none; font-weight: 600; }
header.top nav { float: right; }
header.top nav a { margin-left: 1.2rem; font-weight: 400; }
main { padding: 1rem 1.2rem 3rem; max-width: 110rem; }
h1 { font-size: 1.4rem; margin: .4rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.8rem 0 .6rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid var(--line); }
th { background: var(--bg-alt); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; }
.hash { word-break: break-all; }
pre { background: var(--bg-alt); border: 1px solid var(--line); padding: .5rem; overflow-x: auto; white-space: pre; margin: .3rem 0; }
td pre { max-width: 60rem; }
.wrap { white-space: pre-wrap; word-break: break-word; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .4rem 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-word; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: .7rem; font-size: 13px; font-weight: 600; color: #fff; background: #6b6b70; }
.v-reproduced, .v-authentic { background: #1a7f37; }
.v-equivalent { background: #2f7d87; }
.v-mismatch { background: #c0152f; }
.v-rejected { background: #8a1538; }
.v-unverifiable { background: #a15c00; }
.v-none { background: #6b6b70; }
.s-pass { color: #1a7f37; font-weight: 600; }
.s-fail { color: #c0152f; font-weight: 600; }
.s-skipped { color: var(--muted); }
.verdict-line { font-size: 1.05rem; margin: .4rem 0 1rem; }
.notice { background: #fff7e0; border: 1px solid #e8c66a; padding: .5rem .8rem; margin: .6rem 0; }
.error { background: #fde8ea; border: 1px solid #e59aa4; padding: .5rem .8rem; margin: .6rem 0; }
form.filters { display: flex; flex-wrap: wrap; gap: .6rem 1rem; align-items: end; background: var(--bg-alt); padding: .6rem .8rem; border: 1px solid var(--line); }
form.filters label { display: flex; flex-direction: column; font-size: 13px; color: var(--muted); }
form.filters input, form.filters select { font: inherit; padding: .15rem .3rem; }
nav.pages { display: flex; gap: 1.5rem; margin: .6rem 0; }
.small { font-size: 12px; }
table.jobs td.upload .pkg { font-weight: 600; }
table.jobs td.reason code { font-size: 12px; }
svg.bar { display: block; }
svg.bar rect { fill: #6b6b70; }
svg.bar rect.v-reproduced, svg.bar rect.v-authentic { fill: #1a7f37; }
svg.bar rect.v-equivalent { fill: #2f7d87; }
svg.bar rect.v-mismatch { fill: #c0152f; }
svg.bar rect.v-rejected { fill: #8a1538; }
svg.bar rect.v-unverifiable { fill: #a15c00; }
table.summary td.zero { color: var(--line); }
table.summary tfoot td { font-weight: 600; border-top: 2px solid var(--line); }
.advice { border-left: 6px solid #6b6b70; background: var(--bg-alt); padding: .4rem .9rem; margin: .8rem 0 1.2rem; }
.advice p { margin: .3rem 0; }
.advice.suspect-tag { border-color: #8a1538; }
.advice.suspect-upload-path { border-color: #c0152f; }
.advice.suspect-verifier { border-color: #a15c00; }
.advice.suspect-log { border-color: #2f7d87; }
tr.added td.change { color: #1a7f37; }
tr.removed td.change { color: #c0152f; }
tr.changed td.change, tr.mode td.change { color: #a15c00; }
`;

/** A plain mark, so browsers find an icon here instead of asking for /favicon.ico. */
export const FAVICON_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#a80030"/></svg>';

export interface PageOptions {
  readonly title: string;
  /** Path of the stylesheet (the plugin's prefix applied). */
  readonly stylesheet: string;
  /** Path of the list page (the plugin's prefix applied). */
  readonly home: string;
  /** Path of the summary page. */
  readonly summary: string;
  readonly icon: string;
}

export function page(options: PageOptions, body: HtmlValue): SafeHtml {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title} · t2u-verify</title>
<link rel="icon" href="${options.icon}" type="image/svg+xml">
<link rel="stylesheet" href="${options.stylesheet}">
</head>
<body>
<header class="top"><a href="${options.home}">t2u-verify</a> <span>verifications of tag2upload uploads</span><nav><a href="${options.home}">Verifications</a><a href="${options.summary}">Summary</a></nav></header>
<main>
${body}
</main>
</body>
</html>
`;
}

/** A coloured verdict badge; a job without a verdict shows its status. */
export function verdictBadge(verdict: string | null | undefined, status?: JobStatus): SafeHtml {
  if (verdict === null || verdict === undefined) return html`<span class="badge v-none">${status ?? 'none'}</span>`;
  const known = Object.hasOwn(VERDICT_MEANINGS, verdict);
  return html`<span class="badge ${known ? `v-${verdict}` : 'v-none'}">${verdict}</span>`;
}

/** Times in UTC, to the second: the operators of one service may sit in several time zones. */
export function timeText(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return '';
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC');
}

/**
 * A duration rounded as a person reads it: "29 ms", "12.3 s", "4 min 10 s",
 * "25 min", "1 h 5 min", "2 d 3 h".
 */
export function durationText(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 600) return seconds % 60 === 0 ? `${seconds / 60} min` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 24 * 60) return minutes % 60 === 0 ? `${minutes / 60} h` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  const hours = Math.round(ms / 3_600_000);
  return hours % 24 === 0 ? `${hours / 24} d` : `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** A definition list of the facts that are present. */
export function facts(rows: readonly (readonly [string, HtmlValue])[]): SafeHtml {
  const present = rows.filter(([, v]) => v !== undefined && v !== null && v !== '');
  if (present.length === 0) return html`<p class="muted">None recorded.</p>`;
  return html`<dl class="facts">${present.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}
