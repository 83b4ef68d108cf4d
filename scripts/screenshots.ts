// Writes screenshots of the dashboard's pages (list, detail, summary,
// package) as PNG files into OUTDIR, from the seeded store of real reports
// the dashboard tests use, with Debian's chromium: the images in docs/images/
// are made so (`npx tsx scripts/screenshots.ts docs/images`).
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { takeScreenshots, writeScreenshots } from '../test/server/dashboard-screenshots.js';

const out = process.argv[2];
if (out === undefined || process.argv.length > 3) {
  process.stderr.write('usage: npx tsx scripts/screenshots.ts OUTDIR\n');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], headless: true });
try {
  for (const file of await writeScreenshots(await takeScreenshots(browser), out)) process.stdout.write(`${file}\n`);
} finally {
  await browser.close();
}
