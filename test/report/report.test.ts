// The one precedence rule every verdict follows (strongestEffect): reject,
// then mismatch, then unverifiable. An alarm is never hidden by a later
// failure: a mismatch with an undecidable step beside it is a mismatch, for
// verify, reproduce and check-tag alike.
import { describe, expect, it } from 'vitest';
import { reason } from '../../src/report/reasons.js';
import { checkTagVerdict, reproduceVerdict, strongestEffect, verifyVerdict } from '../../src/report/report.js';

const mismatch = reason('RECONSTRUCTION_MISMATCH', 'a file differs');
const unverifiable = reason('BUILD_TIMEOUT', 'a later build ran out of time');
const reject = reason('SIGNATURE_INVALID', 'the tag signature does not verify');
const note = reason('DGIT_VIEW_NOT_REPRODUCIBLE', 'explained');

describe('verdict precedence', () => {
  it('mismatch beats unverifiable, in either order, in every verdict', () => {
    for (const reasons of [
      [mismatch, unverifiable],
      [unverifiable, mismatch],
    ]) {
      expect(strongestEffect(reasons)).toBe('mismatch');
      expect(verifyVerdict(reasons, false)).toBe('mismatch');
      expect(reproduceVerdict(reasons, 'reproduced')).toBe('mismatch');
      expect(reproduceVerdict(reasons, 'unverifiable')).toBe('mismatch');
      expect(checkTagVerdict(reasons)).toBe('rejected');
    }
  });

  it('reject beats mismatch and unverifiable; reproduce, which has no rejected, calls it a mismatch', () => {
    const reasons = [unverifiable, mismatch, reject];
    expect(strongestEffect(reasons)).toBe('reject');
    expect(verifyVerdict(reasons, false)).toBe('rejected');
    expect(reproduceVerdict(reasons, 'reproduced')).toBe('mismatch');
    expect(checkTagVerdict(reasons)).toBe('rejected');
  });

  it('unverifiable alone; notes never count; no reason keeps the clean verdict', () => {
    expect(verifyVerdict([unverifiable, note], true)).toBe('unverifiable');
    expect(reproduceVerdict([note], 'equivalent')).toBe('equivalent');
    expect(verifyVerdict([note], true)).toBe('equivalent');
    expect(verifyVerdict([], false)).toBe('reproduced');
    expect(checkTagVerdict([note])).toBe('authentic');
    expect(strongestEffect([note])).toBeUndefined();
  });
});
