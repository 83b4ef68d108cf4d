import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderReasonCodes } from '../../src/report/reason-codes-doc.js';
import { REASONS } from '../../src/report/reasons.js';

describe('reason code documentation', () => {
  it('docs/reason-codes.md is the rendering of the registry (run `npm run docs`)', () => {
    const doc = readFileSync(new URL('../../docs/reason-codes.md', import.meta.url), 'utf8');
    expect(doc).toBe(renderReasonCodes());
  });

  it('every code is upper case and documented with a meaning and an action', () => {
    for (const [code, info] of Object.entries(REASONS)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(info.meaning.length).toBeGreaterThan(10);
      expect(info.action.length).toBeGreaterThan(3);
    }
  });
});

/** Every file under `dir`, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('reason code coverage', () => {
  it('every code is expected somewhere in the tests or the fixture manifest (a test produces it)', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const corpus = [...files(join(root, 'test')), join(root, 'fixtures', 'tags', 'manifest.json')]
      .filter((f) => !f.endsWith('reason-codes-doc.test.ts'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const untested = Object.keys(REASONS).filter((code) => !new RegExp(`\\b${code}\\b`).test(corpus));
    expect(untested).toEqual([]);
  });
});
