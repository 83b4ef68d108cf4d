// The dashboard in a real browser: Debian's chromium, driven headless by
// playwright-core, against a fastify server on loopback over a SQLite store
// holding reports from real runs. Checks what only a browser can: the form
// filters, the links lead to the diff, the stylesheet applies under the CSP
// (no violation reported), markup in a hostile tag's tagger name never
// runs, and screenshots of the four pages hold what the pages should show. Skipped, loudly, only when /usr/bin/chromium is missing
// (scripts/setup.sh installs it).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboard } from '../../src/server/dashboard/dashboard.js';
import { HOSTILE_TAGGER_NAME, reportOf, seededStore, type SeededStore } from './dashboard-fixtures.js';
import { pngFacts, takeScreenshots, VIEWPORT, writeScreenshots } from './dashboard-screenshots.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(
    `\n!!! ${CHROMIUM} is missing: the dashboard browser test is SKIPPED. Install it: apt-get install chromium (scripts/setup.sh does). !!!\n`,
  );
}

let seeded: SeededStore;
let app: FastifyInstance;
let browser: Browser;
let base: string;
/** Console errors and CSP violations reported by the browser, per page. */
const problems: string[] = [];

async function open(path: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`${path}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${path}: ${e.message}`));
  const res = await page.goto(base + path);
  expect(res?.status(), path).toBe(200);
  return page;
}

/** The verdict badges shown in the list's rows. */
const badges = (page: Page): Promise<string[]> => page.locator('table.jobs tbody tr td.verdict .badge').allTextContents();

/** A CSS property of the first element `selector` finds, as the browser computed it (the served stylesheet applied). */
function computedStyle(page: Page, selector: string, property: 'backgroundColor' | 'fill'): Promise<string> {
  type Css = { getComputedStyle(e: unknown): Record<typeof property, string> };
  return page
    .locator(selector)
    .first()
    .evaluate((e, p) => (globalThis as unknown as Css).getComputedStyle(e)[p], property);
}

describe.skipIf(!haveChromium)('dashboard in chromium', () => {
  beforeAll(async () => {
    seeded = await seededStore();
    app = Fastify({ logger: false });
    await app.register(dashboard, { store: seeded.store });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await seeded?.cleanup();
  });

  it('loads the list with every verdict, styled by the served stylesheet', async () => {
    const page = await open('/');
    expect(await page.title()).toBe('Verifications · t2u-verify');
    const shown = await badges(page);
    expect(shown).toHaveLength(10);
    for (const v of ['reproduced', 'equivalent', 'mismatch', 'rejected', 'queued', 'running']) expect(shown).toContain(v);
    // The stylesheet applied under style-src 'self': a mismatch badge is red.
    expect(await computedStyle(page, '.badge.v-mismatch', 'backgroundColor')).toBe('rgb(192, 21, 47)');
    await page.close();
  });

  it('filters by verdict through the form', async () => {
    const page = await open('/');
    await page.selectOption('select[name=verdict]', 'mismatch');
    await Promise.all([page.waitForURL(/verdict=mismatch/), page.click('form.filters button[type=submit]')]);
    const shown = await badges(page);
    expect(shown).toHaveLength(4);
    expect(new Set(shown)).toEqual(new Set(['mismatch']));
    // The form keeps the applied filter.
    expect(await page.locator('select[name=verdict]').inputValue()).toBe('mismatch');
    await page.close();
  });

  it("follows a mismatch's row to its diff: the differing file and both hashes", async () => {
    const report = reportOf('tamper-debian-tar');
    const file = report.reconstruction!.files.find((f) => !f.match)!;
    const page = await open('/?source=archive');
    await Promise.all([
      page.waitForURL(/\/verifications\/\d+$/),
      page.click(`a[href="/verifications/${seeded.ids['tamper-debian-tar']}"] >> nth=0`),
    ]);
    const row = page.locator('table.files tr', { hasText: file.name });
    await expect.poll(() => row.count()).toBe(1);
    const text = await row.innerText();
    expect(text).toContain('differs');
    expect(text).toContain(file.expected!.sha256);
    expect(text).toContain(file.got!.sha256);
    // verify's content layer: the path only the upload has.
    const content = page.locator('table.content-diff tbody tr', { hasText: 'debian/extra-file' });
    expect(await content.count()).toBe(1);
    expect(await content.locator('td.change').innerText()).toBe('added');
    // The debian tarball's members, rebuilt from the tag against the upload, with the unified diff.
    const members = page.locator('table.members');
    expect(await members.locator('thead th').allInnerTexts()).toEqual(['Member', 'Change', 'Differs in', 'Rebuilt from the tag', 'Upload']);
    const member = members.locator('tbody tr', { hasText: 'debian/extra-file' }).first();
    expect(await member.locator('td.change').innerText()).toBe('added');
    expect(await member.locator('td').nth(3).innerText()).toBe('—');
    expect(await member.locator('td').nth(4).innerText()).toContain(report.reconstruction!.tarballs![0]!.members[0]!.got!.sha256);
    const diff = await page.locator('pre.diff').first().innerText();
    expect(diff).toContain('+++ b/debian/extra-file');
    expect(diff).toContain('+An extra file the tag does not have.');
    await page.close();
  });

  it('runs nothing from a hostile tagger name: it shows as text', async () => {
    for (const name of ['hostile-tagger', 'hostile-tagger-rejected']) {
      const page = await open(`/verifications/${seeded.ids[name]}`);
      expect(await page.evaluate('window.__pwned'), name).toBeUndefined();
      expect(await page.evaluate('document.images.length'), name).toBe(0);
      expect(await page.evaluate('document.scripts.length'), name).toBe(0);
      const tagger = page.locator('dl.facts dt', { hasText: /^Tagger$/ }).locator('xpath=following-sibling::dd[1]');
      expect(await tagger.innerText(), name).toBe(`${HOSTILE_TAGGER_NAME} <evil@example.org>`);
      await page.close();
    }
    // The list page shows no tagger, but load it too after the hostile jobs exist.
    const list = await open('/');
    expect(await list.evaluate('window.__pwned')).toBeUndefined();
    await list.close();
  });

  it("draws the summary's bars and reaches a package's page from a row, under the CSP", async () => {
    const summary = await open('/summary');
    expect(await computedStyle(summary, 'svg.bar rect.v-mismatch', 'fill')).toBe('rgb(192, 21, 47)');
    await summary.close();
    const list = await open('/');
    await Promise.all([list.waitForURL(/\/packages\/t2u-linear$/), list.click('a[href="/packages/t2u-linear"]')]);
    expect(await list.locator('h1').innerText()).toBe('t2u-linear source package');
    expect(await list.locator('table.jobs tbody tr').count()).toBe(1);
    await list.close();
  });

  it('takes screenshots of the list, detail, summary and package pages that show what they should', async () => {
    const shots = await takeScreenshots(browser, seeded);
    expect(shots.map((s) => s.name)).toEqual(['list', 'detail', 'summary', 'package']);
    const blank = await browser.newPage();
    for (const shot of shots) {
      expect(shot.png.subarray(0, 8).toString('hex'), shot.name).toBe('89504e470d0a1a0a');
      // Small enough to keep in the repository, large enough to hold a page.
      expect(shot.png.length, shot.name).toBeLessThan(200 * 1024);
      expect(shot.png.length, shot.name).toBeGreaterThan(10 * 1024);
      const facts = await pngFacts(blank, shot.png);
      expect({ width: facts.width, height: facts.height }, shot.name).toEqual(VIEWPORT);
      // Not blank: many colours (text anti-aliasing, badges), and ink beside the background.
      expect(facts.colours, shot.name).toBeGreaterThan(50);
      expect(facts.inked, shot.name).toBeGreaterThan(0.05);
    }
    await blank.close();
    const text = Object.fromEntries(shots.map((s) => [s.name, s.text]));
    // The list: every tamper row's first reason, its code and message, in the rendered text.
    for (const name of ['tamper-debian-tar', 'tamper-orig-byte', 'tamper-dsc-build-depends']) {
      const first = reportOf(name).reasons[0]!;
      expect(text['list'], name).toContain(`${first.code} ${first.message.replace(/\s+/g, ' ').slice(0, 50)}`);
    }
    // The detail: the advice and the reasons before the metadata.
    const detail = text['detail']!;
    expect(detail).toContain('suspect the upload path');
    expect(detail.indexOf('Reasons')).toBeLessThan(detail.indexOf('Tag object'));
    expect(detail.indexOf('CONTENT_MISMATCH')).toBeLessThan(detail.indexOf('Tag object'));
    expect(text['summary']).toContain('8 in all');
    expect(text['package']).toContain('5 verifications of its uploads');
    // The first reason is visible in the list's screenshot, in the row of its job.
    const list = await browser.newPage({ viewport: VIEWPORT });
    await list.goto(`${base}/`);
    const reason = list
      .locator('table.jobs tbody tr', { has: list.locator(`a[href="/verifications/${seeded.ids['tamper-dsc-build-depends']}"]`) })
      .locator('td.reason');
    expect(await reason.innerText()).toMatch(
      /^DSC_FIELD_MISMATCH Build-Depends: upload "debhelper-compat \(= 13\), t2u-evil-build-helper"/,
    );
    const box = (await reason.boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(VIEWPORT.height);
    await list.close();
    // The script writes the same images, one file per page.
    const dir = await mkdtemp(join(tmpdir(), 't2u-shots-'));
    try {
      const files = await writeScreenshots(shots, dir);
      expect(files.map((f) => basename(f))).toEqual([
        'dashboard-list.png',
        'dashboard-detail.png',
        'dashboard-summary.png',
        'dashboard-package.png',
      ]);
      expect(await readFile(files[1]!)).toEqual(shots[1]!.png);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('reported no console error and no CSP violation on any page', () => {
    expect(problems).toEqual([]);
  });
});
