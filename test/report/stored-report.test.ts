// Reports stored by earlier versions name the .dsc signature's findings with
// their own codes; they are read as the OpenPGP family's codes with subject
// `upload`, keeping the layer, message and verdict they were stored with.
import { describe, expect, it } from 'vitest';
import { effectOf, RENAMED_CODES, type Reason } from '../../src/report/reasons.js';
import { strongestEffect } from '../../src/report/report.js';
import { upgradeStoredReport } from '../../src/report/stored-report.js';

describe('reading a stored report', () => {
  it('reads each earlier code as the family code about the upload, with the same verdict', () => {
    for (const [old, now] of Object.entries(RENAMED_CODES)) {
      const stored = { verdict: 'mismatch', reasons: [{ code: old, layer: 'binding', message: 'm' }], notes: [] };
      const read = upgradeStoredReport(stored) as { reasons: Reason[] };
      expect(read.reasons).toEqual([{ code: now.code, layer: 'binding', subject: 'upload', message: 'm' }]);
      // Every earlier code was about the binding layer: mismatch, or unverifiable for a missing keyring.
      expect(effectOf(read.reasons[0]!)).toBe(old === 'UPLOAD_KEYRING_UNAVAILABLE' ? 'unverifiable' : 'mismatch');
    }
  });

  it('leaves a current report, a report without reasons and other values as they are', () => {
    const current = { reasons: [{ code: 'SIGNATURE_INVALID', layer: 'authenticity', subject: 'tag', message: 'm' }], notes: [] };
    expect(upgradeStoredReport(current)).toBe(current);
    expect(upgradeStoredReport(null)).toBe(null);
    expect(upgradeStoredReport({ error: 'x' })).toEqual({ error: 'x' });
    expect(strongestEffect(current.reasons as Reason[])).toBe('reject');
  });
});
