// The advice for a verdict follows the layer of the reason that decided it,
// as the registry says, whatever the messages say.
import { describe, expect, it } from 'vitest';
import { adviceFor } from '../../src/report/advice.js';
import { REASONS, type ReasonCode } from '../../src/report/reasons.js';

const r = (code: string, message = 'whatever the message says: treat the tag as hostile') => ({ code, layer: 'bogus', message });

describe('adviceFor', () => {
  it('points at the tag for a rejected tag, at the upload path for a changed upload, at the operator when undecided', () => {
    expect(adviceFor([r('KEY_UNKNOWN')], false)).toMatchObject({ suspect: 'tag', code: 'KEY_UNKNOWN', layer: 'authenticity' });
    expect(adviceFor([r('UPSTREAM_MISMATCH')], false)).toMatchObject({ suspect: 'tag', layer: 'metadata' });
    for (const code of ['CONTENT_MISMATCH', 'TAG_OBJECT_MISMATCH', 'RECONSTRUCTION_MISMATCH'] as const) {
      const advice = adviceFor([r(code)], true)!;
      expect(advice.suspect, code).toBe('upload-path');
      expect(advice.headline).toContain('The tag is authentic and valid');
      expect(advice.headline).toContain('suspect the upload path');
      expect(`${advice.headline} ${advice.steps}`).not.toMatch(/hostile/i);
    }
    expect(adviceFor([r('FETCH_FAILED')], false)).toMatchObject({ suspect: 'verifier', layer: 'fetch' });
    expect(adviceFor([r('TOOLCHAINS_DISAGREE')], true)).toMatchObject({ suspect: 'verifier', layer: 'bits' });
    expect(adviceFor([r('LOG_INCONSISTENT')], true)).toMatchObject({ suspect: 'log' });
  });

  it('does not call the tag authentic when the report does not say it passed', () => {
    const advice = adviceFor([r('CONTENT_MISMATCH')], false)!;
    expect(advice.suspect).toBe('upload-path');
    expect(advice.headline).not.toContain('authentic');
    expect(advice.headline).not.toContain('not the maintainer');
  });

  it('follows the verdict: a rejecting reason decides over a mismatch, a mismatch over an undecided check', () => {
    expect(adviceFor([r('FETCH_FAILED'), r('CONTENT_MISMATCH'), r('KEY_UNKNOWN')], false)?.code).toBe('KEY_UNKNOWN');
    expect(adviceFor([r('FETCH_FAILED'), r('CONTENT_MISMATCH')], true)?.code).toBe('CONTENT_MISMATCH');
  });

  it('has none for notes only, no reasons, or codes this version does not know', () => {
    expect(adviceFor([], true)).toBeUndefined();
    expect(adviceFor([r('DGIT_VIEW_PSEUDOMERGE')], true)).toBeUndefined();
    expect(adviceFor([r('NOT_A_CODE'), { code: 42 }, {}], true)).toBeUndefined();
  });

  it('has advice for every code that changes a verdict', () => {
    for (const [code, info] of Object.entries(REASONS)) {
      if (info.effect === 'note') continue;
      expect(adviceFor([r(code as ReasonCode)], true), code).toBeDefined();
    }
  });
});

describe('the registry', () => {
  it("never tells the operator to treat the tag as hostile for a difference of an authentic tag's upload", () => {
    for (const [code, info] of Object.entries(REASONS)) {
      if (info.effect === 'mismatch' && ['binding', 'content', 'bits'].includes(info.layer))
        expect(info.action, code).not.toMatch(/hostile/i);
    }
  });
});
