import { readFileSync } from 'node:fs';
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
