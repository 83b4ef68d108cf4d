// The human rendering of a verify report: the verdict line, and the layers
// line, where neighbouring layers with the same status are said once.
import { describe, expect, it } from 'vitest';
import { NOT_LOCATED, renderVerify } from '../../src/cli/render-verify.js';
import { unverifiableReport } from '../../src/pipeline/verify-setup.js';
import { reason } from '../../src/report/reasons.js';
import type { VerifyReport } from '../../src/report/report.js';

const lines = (r: VerifyReport): string[] => renderVerify(r).split('\n');

describe('renderVerify', () => {
  it('says when no repository was located, instead of naming a placeholder as one', () => {
    const r: VerifyReport = {
      ...unverifiableReport(NOT_LOCATED, 'debian/1.1.0-5', reason('REPOSITORY_NOT_FOUND', 'no repository has debian/1.1.0-5')),
      source: { package: 'libu2f-server', version: '1.1.0-5' },
    };
    expect(lines(r)[0]).toBe('UNVERIFIABLE: debian/1.1.0-5 (no repository located) (libu2f-server 1.1.0-5)');
    expect(lines(r)[1]).toBe('  layers       authenticity, metadata, binding, content, bits skipped (no repository has debian/1.1.0-5)');
    const located = unverifiableReport('https://salsa.debian.org/debian/x.git', 'debian/1-1', reason('FETCH_FAILED', 'down'));
    expect(lines(located)[0]).toBe('UNVERIFIABLE: debian/1-1 in https://salsa.debian.org/debian/x.git');
  });

  it('groups only neighbours with the same status and reason', () => {
    const r: VerifyReport = {
      ...unverifiableReport('/repo', 'debian/1-1', reason('FETCH_FAILED', 'down')),
      layers: {
        authenticity: { status: 'pass' },
        metadata: { status: 'pass' },
        binding: { status: 'fail' },
        content: { status: 'skipped', detail: 'a' },
        bits: { status: 'skipped', detail: 'b\u001b[2J' },
      },
    };
    expect(lines(r)[1]).toBe('  layers       authenticity, metadata pass; binding fail; content skipped (a); bits skipped (b\\u001b[2J)');
  });
});
