// The dashboard in a real browser: Debian's chromium, driven headless by
// playwright-core, against a fastify server on loopback over a SQLite store
// holding reports from real runs. Checks what only a browser can: the form
// filters, the links lead to the diff, the stylesheet applies under the CSP
// (no violation reported), and markup in a hostile tag's tagger name never
// runs. Skipped, loudly, only when /usr/bin/chromium is missing
// (scripts/setup.sh installs it).
import { existsSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboard } from '../../src/server/dashboard/dashboard.js';
import { HOSTILE_TAGGER_NAME, reportOf, seededStore, type SeededStore } from './dashboard-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(`\n!!! ${CHROMIUM} is missing: the dashboard browser test is SKIPPED. Install it: apt-get install chromium (scripts/setup.sh does). !!!\n`);
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
    type Css = { getComputedStyle(e: unknown): { backgroundColor: string } };
    const colour = await page.locator('.badge.v-mismatch').first().evaluate((e) => (globalThis as unknown as Css).getComputedStyle(e).backgroundColor);
    expect(colour).toBe('rgb(192, 21, 47)');
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
    await Promise.all([page.waitForURL(/\/verifications\/\d+$/), page.click(`a[href="/verifications/${seeded.ids['tamper-debian-tar']}"] >> nth=0`)]);
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

  it('reported no console error and no CSP violation on any page', () => {
    expect(problems).toEqual([]);
  });
});
