// Screenshots of the dashboard's four pages (list, a mismatch's detail, the
// summary, a package), taken by Debian's chromium through playwright-core
// against the dashboard over the seeded store of real reports
// (dashboard-fixtures.ts). Used by dashboard-browser.test.ts, which checks
// them by content, and by `npx tsx scripts/screenshots.ts OUTDIR`, which
// writes the images docs/service.md shows (docs/images/).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { dashboard } from '../../src/server/dashboard/dashboard.js';
import { seededStore, type SeededStore } from './dashboard-fixtures.js';

export const VIEWPORT = { width: 1280, height: 760 } as const;

export interface Shot {
  readonly name: 'list' | 'detail' | 'summary' | 'package';
  readonly path: string;
  readonly png: Buffer;
  /** The page's rendered text (its main element's innerText). */
  readonly text: string;
}

/** The pages, by path under the dashboard, given the seeded job ids. */
export function shotPages(ids: Readonly<Record<string, string>>): readonly { name: Shot['name']; path: string }[] {
  return [
    { name: 'list', path: '/' },
    { name: 'detail', path: `/verifications/${ids['tamper-debian-tar']}` },
    { name: 'summary', path: '/summary?period=day&days=14' },
    { name: 'package', path: '/packages/t2u-gbp' },
  ];
}

/**
 * Opens each page in `browser` and takes its screenshot (the viewport, at
 * one device pixel per CSS pixel: small files), over a fresh seeded store
 * unless one is given.
 */
export async function takeScreenshots(browser: Browser, given?: SeededStore): Promise<Shot[]> {
  const seeded = given ?? (await seededStore());
  const app = Fastify({ logger: false });
  try {
    await app.register(dashboard, { store: seeded.store });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
    const shots: Shot[] = [];
    for (const { name, path } of shotPages(seeded.ids)) {
      const page: Page = await context.newPage();
      const res = await page.goto(base + path);
      if (res?.status() !== 200) throw new Error(`${path} answered ${res?.status()}`);
      const png = await page.screenshot({ type: 'png' });
      shots.push({ name, path, png, text: await page.locator('main').innerText() });
      await page.close();
    }
    await context.close();
    return shots;
  } finally {
    await app.close();
    if (given === undefined) await seeded.cleanup();
  }
}

export async function writeScreenshots(shots: readonly Shot[], dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const shot of shots) {
    const file = join(dir, `dashboard-${shot.name}.png`);
    await writeFile(file, shot.png);
    files.push(file);
  }
  return files;
}

export interface PngFacts {
  readonly width: number;
  readonly height: number;
  /** Distinct colours among a grid of sampled pixels: a blank image has one. */
  readonly colours: number;
  /** The share of sampled pixels that are not the most common colour (the background). */
  readonly inked: number;
}

/** Decodes a PNG in the browser (a blank page: no CSP) and samples its pixels. */
export async function pngFacts(page: Page, png: Buffer): Promise<PngFacts> {
  const url = `data:image/png;base64,${png.toString('base64')}`;
  return page.evaluate(async (src) => {
    type Img = { src: string; width: number; height: number; decode(): Promise<void> };
    type Ctx = {
      drawImage(i: Img, x: number, y: number): void;
      getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
    };
    const g = globalThis as unknown as {
      Image: new () => Img;
      document: { createElement(t: 'canvas'): { width: number; height: number; getContext(t: '2d'): Ctx } };
    };
    const img = new g.Image();
    img.src = src;
    await img.decode();
    const canvas = g.document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const { data } = ctx.getImageData(0, 0, img.width, img.height);
    const counts = new Map<number, number>();
    let samples = 0;
    for (let y = 0; y < img.height; y += 4) {
      for (let x = 0; x < img.width; x += 4) {
        const i = (y * img.width + x) * 4;
        const c = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
        counts.set(c, (counts.get(c) ?? 0) + 1);
        samples++;
      }
    }
    const top = Math.max(...counts.values());
    return { width: img.width, height: img.height, colours: counts.size, inked: (samples - top) / samples };
  }, url);
}
