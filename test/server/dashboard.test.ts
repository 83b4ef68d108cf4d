// The dashboard through fastify's inject, over a real SQLite store holding
// reports of real `verify` runs (test/server/fixtures/make-reports.ts): the list,
// its filters and paging, the detail page with its diff, escaping of
// attacker-chosen strings, the security headers, 404s and read-only routes.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REASONS } from '../../src/report/reasons.js';
import { dashboard } from '../../src/server/dashboard/dashboard.js';
import { escapeHtml } from '../../src/server/dashboard/html.js';
import type { Store } from '../../src/store/store.js';
import { HOSTILE_TAGGER_NAME, reportOf, seededStore, type SeededStore } from './dashboard-fixtures.js';

let seeded: SeededStore;
let app: FastifyInstance;

async function makeApp(store: Store, options: { pageSize?: number; prefix?: string } = {}): Promise<FastifyInstance> {
  const a = Fastify({ logger: false });
  await a.register(dashboard, {
    store,
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
    ...(options.prefix ? { prefix: options.prefix } : {}),
  });
  await a.ready();
  return a;
}

beforeAll(async () => {
  seeded = await seededStore();
  app = await makeApp(seeded.store);
});

afterAll(async () => {
  await app?.close();
  await seeded?.cleanup();
});

const get = async (url: string) => app.inject({ method: 'GET', url });

/** The seeded store with some methods replaced (its others still reach the database). */
/** The seeded store with some methods replaced; the others called on the store itself (its private fields are its own). */
const storeWith = (overrides: Partial<Store>): Store =>
  new Proxy(seeded.store, {
    get(target, name, receiver) {
      if (Object.hasOwn(overrides, name)) return overrides[name as keyof Store];
      const value: unknown = Reflect.get(target, name, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });

/** Job ids listed on a page, in order. */
function listedIds(body: string): string[] {
  return [...body.matchAll(/<tr>\n<td class="mono"><a href="\/verifications\/(\d+)">/g)].map((m) => m[1]!);
}

describe('list page', () => {
  it('lists every job newest first with verdict badges, linking each row to its detail page', async () => {
    const res = await get('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const ids = listedIds(res.body);
    expect(ids).toEqual(Object.values(seeded.ids).sort((a, b) => Number(b) - Number(a)));
    for (const v of ['reproduced', 'equivalent', 'mismatch', 'rejected'])
      expect(res.body).toContain(`<span class="badge v-${v}">${v}</span>`);
    expect(res.body).toContain('<span class="badge v-none">queued</span>');
    expect(res.body).toContain('<span class="badge v-none">running</span>');
    expect(res.body).toContain('t2u-gbp');
    expect(res.body).toContain('1.0-1');
  });

  it('filters by verdict', async () => {
    const res = await get('/?verdict=mismatch');
    expect(res.statusCode).toBe(200);
    const ids = listedIds(res.body);
    expect(ids.sort()).toEqual(
      [
        seeded.ids['tamper-debian-tar'],
        seeded.ids['tamper-orig-byte'],
        seeded.ids['tamper-dsc-build-depends'],
        seeded.ids['hostile-tagger'],
      ].sort(),
    );
    // The form shows the filter that is applied.
    expect(res.body).toContain('<option value="mismatch" selected>');
  });

  it('filters by request source, status, version, repository and source package', async () => {
    expect(listedIds((await get('/?source=archive')).body).sort()).toEqual(
      [seeded.ids['tamper-debian-tar'], seeded.ids['tamper-orig-byte']].sort(),
    );
    expect(listedIds((await get('/?status=queued')).body)).toEqual([seeded.ids['queued']]);
    expect(listedIds((await get('/?status=running')).body)).toEqual([seeded.ids['running']]);
    expect(listedIds((await get('/?version=2.0-1')).body)).toEqual([seeded.ids['running']]);
    expect(listedIds((await get(`/?repo=${encodeURIComponent('https://salsa.debian.org/t2u-test/queued.git')}`)).body)).toEqual([
      seeded.ids['queued'],
    ]);
    // The package the verdict's report names: five finished jobs are t2u-gbp, one t2u-linear; rejected tags and pending jobs have none.
    expect(listedIds((await get('/?package=t2u-gbp')).body)).toHaveLength(5);
    expect(listedIds((await get('/?package=t2u-linear')).body)).toEqual([seeded.ids['equivalent']]);
    expect(listedIds((await get('/?package=other')).body)).toEqual([]);
    expect((await get('/?package=other')).body).toContain('No verifications match.');
    // Filters combine.
    expect(listedIds((await get('/?package=t2u-gbp&verdict=reproduced')).body)).toEqual([seeded.ids['reproduced']]);
    expect(listedIds((await get('/?verdict=rejected')).body).sort()).toEqual(
      [seeded.ids['rejected'], seeded.ids['hostile-tagger-rejected']].sort(),
    );
  });

  it('filters by time (UTC days, the end day included)', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    expect(listedIds((await get(`/?since=${today}`)).body)).toHaveLength(10);
    expect(listedIds((await get(`/?until=${today}`)).body)).toHaveLength(10);
    expect(listedIds((await get(`/?since=${tomorrow}`)).body)).toEqual([]);
    expect(listedIds((await get(`/?until=${yesterday}`)).body)).toEqual([]);
  });

  it('treats empty form fields as "any"', async () => {
    const res = await get('/?verdict=&status=&package=&version=&source=&repo=&since=&until=');
    expect(res.statusCode).toBe(200);
    expect(listedIds(res.body)).toHaveLength(10);
  });

  it('answers a bad parameter with 400, naming it, and runs no query', async () => {
    const calls: string[] = [];
    const spy = storeWith({ list: (f) => (calls.push(JSON.stringify(f)), seeded.store.list(f)) });
    const a = await makeApp(spy);
    try {
      for (const url of ['/?verdict=<b>bad</b>', '/?since=yesterday', '/?until=2026-13-45', '/?source=ftp', '/?page=0', '/?page=abc']) {
        const res = await a.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(400);
        expect(res.body, url).toContain('The filter was not applied');
        expect(res.body, url).not.toContain('<b>bad</b>');
      }
      expect(calls).toEqual([]);
    } finally {
      await a.close();
    }
  });

  it('pages, keeping the filters in the links', async () => {
    const a = await makeApp(seeded.store, { pageSize: 3 });
    try {
      const all = listedIds((await a.inject({ method: 'GET', url: '/' })).body);
      expect(all).toHaveLength(3);
      const p1 = await a.inject({ method: 'GET', url: '/?verdict=mismatch' });
      expect(listedIds(p1.body)).toHaveLength(3);
      expect(p1.body).toContain('href="/?verdict=mismatch&amp;page=2"');
      expect(p1.body).not.toContain('rel="prev"');
      const p2 = await a.inject({ method: 'GET', url: '/?verdict=mismatch&page=2' });
      expect(listedIds(p2.body)).toHaveLength(1);
      expect(p2.body).toContain('href="/?verdict=mismatch"');
      expect(p2.body).not.toContain('rel="next"');
      expect(new Set([...listedIds(p1.body), ...listedIds(p2.body)]).size).toBe(4);
      // The package filter pages the same way.
      const k1 = await a.inject({ method: 'GET', url: '/?package=t2u-gbp' });
      const k2 = await a.inject({ method: 'GET', url: '/?package=t2u-gbp&page=2' });
      expect(listedIds(k1.body)).toHaveLength(3);
      expect(listedIds(k2.body)).toHaveLength(2);
      expect(k2.body).not.toContain('rel="next"');
      expect(new Set([...listedIds(k1.body), ...listedIds(k2.body)]).size).toBe(5);
    } finally {
      await a.close();
    }
  });
});

/** The table row of job `id` on a list page. */
function rowOf(body: string, id: string): string {
  const start = body.indexOf(`<tr>\n<td class="mono"><a href="/verifications/${id}">`);
  expect(start, `row of job ${id}`).toBeGreaterThanOrEqual(0);
  return body.slice(start, body.indexOf('</tr>', start));
}

describe('list rows', () => {
  it('show each upload and its first reason, so that three mismatches of one tag are told apart', async () => {
    const body = (await get('/?verdict=mismatch')).body;
    const cells = new Set<string>();
    for (const name of ['tamper-debian-tar', 'tamper-orig-byte', 'tamper-dsc-build-depends', 'hostile-tagger']) {
      const row = rowOf(body, seeded.ids[name]!);
      const first = reportOf(name).reasons[0]!;
      expect(row, name).toContain(`<code>${first.code}</code> `);
      // The message on one line, escaped, clipped.
      expect(row, name).toContain(escapeHtml(first.message.replace(/\s+/g, ' ').slice(0, 60)));
      expect(row, name).toContain('<span class="pkg"><a href="/packages/t2u-gbp">t2u-gbp</a></span> <span class="mono">1.0-1</span>');
      expect(row, name).toContain('>debian/1.0-1</a>');
      expect(row, name).toContain('t2u-gbp_1.0-1.dsc');
      cells.add(/<td class="reason wrap">(.*?)<\/td>/s.exec(row)![1]!);
    }
    expect(cells.size).toBe(4);
    // Every tag of the four is the same; only the upload and the reason tell them apart.
    expect(new Set(['tamper-debian-tar', 'tamper-orig-byte', 'tamper-dsc-build-depends'].map((n) => reportOf(n).tag.name)).size).toBe(1);
  });

  it('round how long each verification took, and show a note for an equivalent verdict', async () => {
    const body = (await get('/')).body;
    for (const name of ['reproduced', 'equivalent', 'rejected'])
      expect(rowOf(body, seeded.ids[name]!), name).toMatch(/<td class="num">\d+(\.\d)? (ms|s)<\/td>/);
    expect(rowOf(body, seeded.ids['queued']!)).toContain('<td class="num"></td>');
    expect(rowOf(body, seeded.ids['equivalent']!)).toContain('<span class="muted"><code>DGIT_VIEW_NOT_REPRODUCIBLE</code> ');
    expect(rowOf(body, seeded.ids['reproduced']!)).toContain('<td class="reason wrap"></td>');
  });

  it('name a job without a package by its repository and tag', async () => {
    const body = (await get('/')).body;
    expect(rowOf(body, seeded.ids['rejected']!)).toContain('<span class="pkg"><span class="muted">rejected</span></span>');
    const detail = (await get(`/verifications/${seeded.ids['rejected']}`)).body;
    expect(detail).toContain('<title>rejected debian/1.0-1: rejected · t2u-verify</title>');
    expect(detail).toContain('<h1>rejected debian/1.0-1 <span class="muted small">verification');
    const tamper = (await get(`/verifications/${seeded.ids['tamper-orig-byte']}`)).body;
    expect(tamper).toContain('<title>t2u-gbp 1.0-1: mismatch · t2u-verify</title>');
  });
});

describe('summary page', () => {
  it('counts the verdicts of each day, newest first, with totals, a bar per day and the quiet days as zeros', async () => {
    const res = await get('/summary?period=day&days=3');
    expect(res.statusCode).toBe(200);
    const body = res.body;
    expect(body).toContain('<title>Summary · t2u-verify</title>');
    const today = new Date().toISOString().slice(0, 10);
    const rows = [...body.matchAll(/<tr><td class="mono">([^<]+)<\/td>/g)].map((m) => m[1]);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toBe(today);
    // Today: 1 reproduced, 1 equivalent, 4 mismatch, 2 rejected (the seeded jobs); the queued and running ones are not done.
    const todayRow = body.slice(body.indexOf(`<tr><td class="mono">${today}</td>`));
    const cells = [...todayRow.slice(0, todayRow.indexOf('</tr>')).matchAll(/<td class="num[^"]*">(\d+)<\/td>/g)].map((m) => Number(m[1]));
    expect(cells).toEqual([1, 1, 4, 2, 0, 0, 8]);
    expect(todayRow).toContain('<rect class="v-mismatch" x="40.00" y="0" width="80.00" height="12"><title>4 mismatch</title></rect>');
    expect(body).toContain(
      '<tfoot><tr><td>All</td><td></td><td class="num">1</td><td class="num">1</td><td class="num">4</td><td class="num">2</td>',
    );
    expect(body).toContain('<option value="day" selected>day</option>');
  });

  it('counts per ISO week, and refuses a window it does not bound', async () => {
    const week = await get('/summary?period=week&days=14');
    expect(week.statusCode).toBe(200);
    expect(week.body).toContain('Verifications finished per ISO week');
    expect(week.body).toMatch(/<tr><td class="mono">week of \d{4}-\d{2}-\d{2}<\/td>/);
    expect((await get('/summary?period=&days=')).statusCode).toBe(200);
    for (const url of ['/summary?days=0', '/summary?days=367', '/summary?period=%3Cb%3Emonth', '/summary?days=1e9']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.body, url).toContain('The window was not applied');
      expect(res.body, url).not.toContain('<b>');
    }
  });
});

describe('package page', () => {
  it("lists a package's verifications newest first, paged, linked from the list and the detail page", async () => {
    const a = await makeApp(seeded.store, { pageSize: 3 });
    try {
      const p1 = await a.inject({ method: 'GET', url: '/packages/t2u-gbp' });
      expect(p1.statusCode).toBe(200);
      expect(p1.body).toContain('<title>t2u-gbp · t2u-verify</title>');
      expect(p1.body).toContain('5 verifications of its uploads, newest first.');
      const gbp = ['hostile-tagger', 'tamper-dsc-build-depends', 'tamper-orig-byte', 'tamper-debian-tar', 'reproduced'].map(
        (n) => seeded.ids[n],
      );
      expect(listedIds(p1.body)).toEqual(gbp.slice(0, 3));
      expect(p1.body).toContain('<a rel="next" href="/packages/t2u-gbp?page=2">');
      const p2 = await a.inject({ method: 'GET', url: '/packages/t2u-gbp?page=2' });
      expect(listedIds(p2.body)).toEqual(gbp.slice(3));
      expect(p2.body).toContain('<a rel="prev" href="/packages/t2u-gbp">');
      expect(p2.body).not.toContain('rel="next"');
    } finally {
      await a.close();
    }
    expect((await get('/')).body).toContain('<a href="/packages/t2u-linear">t2u-linear</a>');
    expect((await get(`/verifications/${seeded.ids['equivalent']}`)).body).toContain(
      '<dt>Package</dt><dd><a href="/packages/t2u-linear">t2u-linear</a>',
    );
  });

  it('answers 404 for a package with no verification, a name no package has, or a bad page', async () => {
    for (const url of ['/packages/nothing-here', '/packages/Bad%20Name', '/packages/%3Cscript%3E', '/packages/t2u-gbp?page=0']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.body, url).not.toContain('<script>');
    }
  });
});

describe('detail page', () => {
  it('leads with the verdict, its advice and its reasons, then the metadata', async () => {
    const body = (await get(`/verifications/${seeded.ids['tamper-debian-tar']}`)).body;
    const at = (s: string) => {
      const i = body.indexOf(s);
      expect(i, s).toBeGreaterThanOrEqual(0);
      return i;
    };
    expect(at('class="verdict-line"')).toBeLessThan(at('id="advice"'));
    expect(at('id="advice"')).toBeLessThan(at('<h2>Reasons</h2>'));
    expect(at('<h2>Reasons</h2>')).toBeLessThan(at('<h2>Layers</h2>'));
    expect(at('<h2>Layers</h2>')).toBeLessThan(at('<h2>Verification</h2>'));
    expect(at('<h2>Verification</h2>')).toBeLessThan(at('<h2>Tag</h2>'));
    expect(at('<h2>Tag</h2>')).toBeLessThan(at('<h2>Differences</h2>'));
  });

  it('advises by the layer that failed: an authentic tag with a changed upload points at the upload path, not at the tag', async () => {
    for (const name of ['tamper-debian-tar', 'tamper-orig-byte', 'tamper-dsc-build-depends', 'hostile-tagger']) {
      const body = (await get(`/verifications/${seeded.ids[name]}`)).body;
      expect(body, name).toContain('<div class="advice suspect-upload-path" id="advice">');
      expect(body, name).toContain('The tag is authentic and valid, but the upload differs from what the tag says');
      expect(body, name).toContain('suspect the upload path');
      expect(body, name).toContain(`Decided by <code>${reportOf(name).reasons[0]!.code}</code>`);
      // Neither the advice nor any reason's action blames the tag.
      expect(body, name).not.toContain('Treat the tag as hostile');
    }
    const rejected = (await get(`/verifications/${seeded.ids['rejected']}`)).body;
    expect(rejected).toContain('<div class="advice suspect-tag" id="advice">');
    expect(rejected).toContain('The tag fails authenticity');
    expect(rejected).toContain('Treat the tag as hostile');
    for (const name of ['reproduced', 'equivalent', 'queued'])
      expect((await get(`/verifications/${seeded.ids[name]}`)).body, name).not.toContain('id="advice"');
  });

  it("advises the verifier's operator when it could not decide", async () => {
    const base = reportOf('reproduced');
    const report = {
      ...base,
      verdict: 'unverifiable',
      reasons: [{ code: 'FETCH_FAILED', layer: 'fetch', message: 'connect ECONNREFUSED' }],
      layers: { ...base.layers, authenticity: { status: 'skipped' } },
    };
    const job = (await seeded.store.get(seeded.ids['reproduced']!))!;
    const a = await makeApp(storeWith({ get: () => Promise.resolve({ ...job, verdict: 'unverifiable' as const, report }) }));
    try {
      const body = (await a.inject({ method: 'GET', url: '/verifications/1' })).body;
      expect(body).toContain('<div class="advice suspect-verifier" id="advice">');
      expect(body).toContain('The verifier could not decide (fetch)');
      expect(body).toContain('not an alarm');
      expect(body).not.toContain('suspect the upload path');
    } finally {
      await a.close();
    }
  });

  it('rounds the timings', async () => {
    const body = (await get(`/verifications/${seeded.ids['tamper-debian-tar']}`)).body;
    // totalMs 42746, bitsMs 41311.5, fetchMs 57.4 in the report.
    expect(body).toContain('<tr><td>total</td><td class="num">42.7 s</td></tr>');
    expect(body).toContain('<tr><td>bits</td><td class="num">41.3 s</td></tr>');
    expect(body).toContain('<tr><td>fetch</td><td class="num">57 ms</td></tr>');
  });

  it('shows a mismatch: verdict line, layers, reasons with meaning and action, the files table with both hashes, and the member diff', async () => {
    const report = reportOf('tamper-debian-tar');
    const res = await get(`/verifications/${seeded.ids['tamper-debian-tar']}`);
    expect(res.statusCode).toBe(200);
    const body = res.body;
    expect(body).toContain('<span class="badge v-mismatch">mismatch</span>');
    expect(body).toContain('The upload differs from what the tag says');
    const file = report.reconstruction!.files.find((f) => !f.match)!;
    expect(file.name).toBe('t2u-gbp_1.0-1.debian.tar.xz');
    expect(body).toContain(file.name);
    expect(body).toContain(file.expected!.sha256);
    expect(body).toContain(file.got!.sha256);
    expect(file.expected!.sha256).not.toBe(file.got!.sha256);
    for (const r of report.reasons) {
      expect(body).toContain(`<code>${r.code}</code>`);
      expect(body).toContain(escapeHtml(REASONS[r.code].meaning));
      expect(body).toContain(escapeHtml(REASONS[r.code].action));
    }
    // verify's content layer: the path only the upload has, with its blob.
    const added = report.content!.differences.find((d) => d.path === 'debian/extra-file')!;
    expect(added).toMatchObject({ scope: 'tree', change: 'added' });
    expect(body).toContain(
      `<tr class="added"><td>tree</td><td class="mono wrap">debian/extra-file</td><td class="change">added</td><td>—</td><td>`,
    );
    expect(body).toContain(added.got!.oid);
    // The member table of the debian tarball (tar-diff: expected = the rebuild, got = the upload), with the unified diff.
    const tar = report.reconstruction!.tarballs!.find((t) => t.file === file.name)!;
    const member = tar.members.find((m) => m.path === 'debian/extra-file')!;
    expect(member.change).toBe('added');
    expect(body).toContain('<th>Rebuilt from the tag</th><th>Upload</th>');
    expect(body).toContain(
      `<tr class="added"><td class="mono wrap">debian/extra-file</td><td class="change">added</td><td></td><td>—</td><td>`,
    );
    expect(body).toContain(member.got!.sha256);
    expect(body).toContain('<pre class="diff">--- a/debian/extra-file\n+++ b/debian/extra-file');
    expect(body).toContain('+An extra file the tag does not have.');
    expect(body).toMatch(/<td>bits<\/td><td class="s-fail">fail<\/td>/);
    expect(body).toMatch(/<td>content<\/td><td class="s-fail">fail<\/td>/);
    expect(body).toContain('<td>dgit</td><td class="s-fail">differs</td>');
    expect(body).toMatch(/<td>authenticity<\/td><td class="s-pass">pass<\/td>/);
    // Tag and upload facts.
    expect(body).toContain(report.tag.object!);
    expect(body).toContain(report.upload!.sha256);
    expect(body).toContain(escapeHtml(report.upload!.gitTagTagger!));
  });

  it('shows a changed member with its unified diff, and .dsc field differences with both values', async () => {
    const orig = (await get(`/verifications/${seeded.ids['tamper-orig-byte']}`)).body;
    expect(orig).toContain('t2u-gbp-1.0/src/hello.c');
    // From the rebuild (the tag's content) to the upload's.
    expect(orig).toContain('<td class="change">changed</td><td>content</td>');
    expect(orig).toContain(escapeHtml('-\tputs("hello, tag2upload 1.0");'));
    expect(orig).toContain(escapeHtml('+\tputs("jello, tag2upload 1.0");'));
    // The content layer names the file in the whole tree and in the orig.
    expect(orig).toContain('<td>tree</td><td class="mono wrap">src/hello.c</td><td class="change">changed</td>');
    expect(orig).toContain('<td>orig</td><td class="mono wrap">src/hello.c</td><td class="change">changed</td>');
    const bd = reportOf('tamper-dsc-build-depends').reconstruction!.fields.find((f) => f.field === 'Build-Depends')!;
    const body = (await get(`/verifications/${seeded.ids['tamper-dsc-build-depends']}`)).body;
    expect(body).toContain('<code>Build-Depends</code>');
    expect(bd.expected).toContain('t2u-evil-build-helper');
    expect(body).toContain(escapeHtml(bd.expected!));
    expect(body).toContain(escapeHtml(bd.got!));
  });

  it('shows a reproduced job with every layer that ran passing and no reasons', async () => {
    const body = (await get(`/verifications/${seeded.ids['reproduced']}`)).body;
    expect(body).toContain('<span class="badge v-reproduced">reproduced</span>');
    expect(body).toContain('No reasons: every check that ran passed.');
    expect(body).toContain('No .dsc field differs.');
    expect(body).toContain('No content differences.');
    expect(body).toContain('<td>dgit</td><td class="s-pass">agrees</td>');
    expect(body).toContain('<td>typescript</td><td class="s-pass">agrees</td>');
    expect(body).not.toContain('s-fail">');
    for (const layer of ['authenticity', 'metadata', 'binding', 'content', 'bits'])
      expect(body).toContain(`<td>${layer}</td><td class="s-pass">pass</td>`);
  });

  it('shows an equivalent job with the note that explains it and the toolchain that did not run', async () => {
    const report = reportOf('equivalent');
    expect(report.notes.map((n) => n.code)).toEqual(['DGIT_VIEW_NOT_REPRODUCIBLE']);
    const body = (await get(`/verifications/${seeded.ids['equivalent']}`)).body;
    expect(body).toContain('<span class="badge v-equivalent">equivalent</span>');
    expect(body).toContain('No reasons: every check that ran passed.');
    expect(body).toContain('<code>DGIT_VIEW_NOT_REPRODUCIBLE</code>');
    expect(body).toContain(escapeHtml(REASONS.DGIT_VIEW_NOT_REPRODUCIBLE.meaning));
    expect(body).toContain('<td>typescript</td><td class="s-skipped">not-run</td>');
    expect(body).not.toContain('s-fail">');
  });

  it('shows a rejected tag: the reason, and the later layers skipped with why', async () => {
    const report = reportOf('rejected');
    expect(report.reasons.map((r) => r.code)).toContain('KEY_UNKNOWN');
    const body = (await get(`/verifications/${seeded.ids['rejected']}`)).body;
    expect(body).toContain('<span class="badge v-rejected">rejected</span>');
    expect(body).toContain('<code>KEY_UNKNOWN</code>');
    expect(body).toMatch(/<td>authenticity<\/td><td class="s-fail">fail<\/td>/);
    for (const layer of ['binding', 'content', 'bits'])
      expect(body).toMatch(
        new RegExp(`<td>${layer}</td><td class="s-skipped">skipped</td><td>[^<]*</td><td>the tag was not authenticated</td>`),
      );
    expect(body).not.toContain('<h2>Reconstruction</h2>');
  });

  it('shows queued and running jobs with their status', async () => {
    const queued = (await get(`/verifications/${seeded.ids['queued']}`)).body;
    expect(queued).toContain('Queued: not started yet');
    expect(queued).toContain('No report yet.');
    const running = (await get(`/verifications/${seeded.ids['running']}`)).body;
    expect(running).toContain('Running since');
    expect(running).toContain('worker-7@test');
  });

  it('answers 404 for unknown and malformed ids, escaping the id', async () => {
    for (const id of ['999999', 'abc', '%3Cscript%3Ealert(1)%3C%2Fscript%3E', '1%20OR%201=1']) {
      const res = await get(`/verifications/${id}`);
      expect(res.statusCode, id).toBe(404);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toContain('Not found');
      expect(res.body).not.toContain('<script>alert');
    }
    expect((await get('/verifications/999999/report.json')).statusCode).toBe(404);
  });

  it('serves the stored report as a JSON download', async () => {
    const res = await get(`/verifications/${seeded.ids['hostile-tagger']}/report.json`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment;/);
    expect(JSON.parse(res.body)).toEqual(reportOf('hostile-tagger'));
  });

  it("links each attempt's log and serves it as text, never rendered", async () => {
    const id = seeded.ids['tamper-debian-tar']!;
    expect((await get(`/verifications/${id}`)).body).not.toContain('Build log');
    await seeded.store.putAttemptLog(id, 1, { text: `dpkg-source: info: ${HOSTILE_TAGGER_NAME}\n`, truncated: true });
    const page = (await get(`/verifications/${id}`)).body;
    expect(page).toContain(`Build log: <a href="/verifications/${id}/attempts/1/log">attempt 1</a> (`);
    expect(page).toContain(', truncated)');
    const res = await get(`/verifications/${id}/attempts/1/log`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(res.body).toBe(`dpkg-source: info: ${HOSTILE_TAGGER_NAME}\n`);
    for (const url of [
      `/verifications/${id}/attempts/2/log`,
      `/verifications/${id}/attempts/0/log`,
      '/verifications/999999/attempts/1/log',
    ]) {
      const missing = await get(url);
      expect(missing.statusCode, url).toBe(404);
      expect(missing.headers['content-type']).toBe('text/html; charset=utf-8');
    }
  });
});

describe('hostile strings', () => {
  it('escapes a markup tagger name from a real hostile tag, in the tag facts and the Git-Tag-Tagger field', async () => {
    const body = (await get(`/verifications/${seeded.ids['hostile-tagger']}`)).body;
    expect(reportOf('hostile-tagger').tag.tagger).toContain(HOSTILE_TAGGER_NAME);
    expect(body).not.toContain(HOSTILE_TAGGER_NAME);
    expect(body).not.toMatch(/<img/i);
    expect(body).toContain(escapeHtml(HOSTILE_TAGGER_NAME));
    expect(body).toContain('<code>Git-Tag-Tagger</code>');
  });

  it('escapes <script> in every place a report puts text: tagger, messages, paths, field values, profile', async () => {
    // A real report with its strings replaced: the renderer must not trust any field.
    const base = reportOf('tamper-debian-tar');
    const evil = '<script>window.__pwned=1</script>';
    const recon = base.reconstruction!;
    const report = {
      ...base,
      tag: { ...base.tag, tagger: `${evil} <a@b>` },
      reasons: base.reasons.map((r) => ({ ...r, message: evil })),
      content: {
        checked: [evil],
        differences: [{ scope: 'tree', path: `debian/${evil}`, change: 'added', got: { mode: '100644', oid: evil } }],
      },
      reconstruction: {
        ...recon,
        profile: evil,
        fields: [{ field: evil, expected: evil, got: evil }],
        tarballs: recon.tarballs!.map((t) => ({ ...t, file: evil, members: t.members.map((m) => ({ ...m, path: evil, diff: evil })) })),
      },
    };
    const job = (await seeded.store.get(seeded.ids['tamper-debian-tar']!))!;
    const store = storeWith({ get: () => Promise.resolve({ ...job, tag: evil, repo: evil, report }) });
    const a = await makeApp(store);
    try {
      const body = (await a.inject({ method: 'GET', url: '/verifications/1' })).body;
      expect(body).not.toContain('<script');
      const escaped = escapeHtml(evil);
      // tagger, reason message, checked, path, oid, profile, field name and values, tarball file, member path, diff, repo, tag
      expect(body.split(escaped).length - 1).toBeGreaterThanOrEqual(13);
    } finally {
      await a.close();
    }
  });

  it('survives reports of another shape without a crash', async () => {
    for (const report of [
      null,
      'text',
      42,
      [],
      { tag: 'x', layers: [], reasons: 'no', reconstruction: { files: {}, tarballs: [null, 1] } },
    ]) {
      const job = (await seeded.store.get(seeded.ids['reproduced']!))!;
      const store = storeWith({ get: () => Promise.resolve({ ...job, report }) });
      const a = await makeApp(store);
      try {
        const res = await a.inject({ method: 'GET', url: '/verifications/1' });
        expect(res.statusCode, JSON.stringify(report)).toBe(200);
      } finally {
        await a.close();
      }
    }
  });
});

describe('headers, methods and errors', () => {
  it('sends a strict Content-Security-Policy and no inline script or style on any page', async () => {
    for (const url of [
      '/',
      '/?verdict=mismatch',
      `/verifications/${seeded.ids['hostile-tagger']}`,
      '/verifications/0',
      '/?since=bad',
      '/summary',
      '/packages/t2u-gbp',
    ]) {
      const res = await get(url);
      const csp = res.headers['content-security-policy'];
      expect(csp, url).toBe(
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
      );
      expect(csp).not.toContain('unsafe');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      // Escaped text has no '<', so a match inside '<…>' is real markup.
      expect(res.body, url).not.toMatch(/<script|<style|<[^>]*\s(?:style|on[a-z]+)=/i);
    }
  });

  it('serves the stylesheet', async () => {
    const res = await get('/dashboard.css');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(res.body).toContain('.v-mismatch');
  });

  it('is read-only: no route takes another method', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH'] as const) {
      for (const url of [
        '/',
        '/summary',
        '/packages/t2u-gbp',
        `/verifications/${seeded.ids['queued']}`,
        `/verifications/${seeded.ids['queued']}/report.json`,
      ]) {
        expect((await app.inject({ method, url })).statusCode, `${method} ${url}`).toBe(404);
      }
    }
    expect((await seeded.store.get(seeded.ids['queued']!))!.status).toBe('queued');
  });

  it('answers a store failure with a 500 page that tells nothing of the cause', async () => {
    const failing = storeWith({
      list: () => Promise.reject(new Error('SQLITE_CORRUPT secret-path')),
      get: () => Promise.reject(new Error('boom')),
    });
    const a = await makeApp(failing);
    try {
      for (const url of ['/', '/verifications/1']) {
        const res = await a.inject({ method: 'GET', url });
        expect(res.statusCode).toBe(500);
        expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(res.headers['content-security-policy']).toContain("default-src 'none'");
        expect(res.body).not.toContain('secret-path');
      }
    } finally {
      await a.close();
    }
  });

  it('mounts under a prefix, with links, form and stylesheet under it', async () => {
    const a = await makeApp(seeded.store, { prefix: '/dashboard' });
    try {
      const res = await a.inject({ method: 'GET', url: '/dashboard/' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('href="/dashboard/dashboard.css"');
      expect(res.body).toContain('action="/dashboard/"');
      expect(res.body).toMatch(/href="\/dashboard\/verifications\/\d+"/);
      expect((await a.inject({ method: 'GET', url: `/dashboard/verifications/${seeded.ids['reproduced']}` })).statusCode).toBe(200);
      expect((await a.inject({ method: 'GET', url: '/dashboard/dashboard.css' })).statusCode).toBe(200);
    } finally {
      await a.close();
    }
  });
});
