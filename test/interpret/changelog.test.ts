import { describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/interpret/changelog.js';
import { changelogVariants } from './load-fixtures.js';

// Every variant was read by the real dpkg-parsechangelog (fixtures/interpret/make.sh):
// the parser must report the same fields and fail exactly when dpkg does.
describe('parseChangelog agrees with dpkg-parsechangelog', () => {
  const variants = changelogVariants();
  it('has the variants make.sh writes', () => {
    expect(variants.length).toBeGreaterThanOrEqual(20);
  });
  for (const v of variants) {
    it(v.name, () => {
      const r = parseChangelog(v.bytes);
      if (v.rc !== 0) {
        expect(r.fatal).toBeDefined();
        expect(r.entry).toBeUndefined();
        return;
      }
      expect(r.fatal).toBeUndefined();
      const e = r.entry!;
      expect(e.source).toBe(v.fields.get('Source'));
      expect(e.version).toBe(v.fields.get('Version'));
      expect(e.distribution).toBe(v.fields.get('Distribution') ?? '');
      expect(e.urgency).toBe(v.fields.get('Urgency'));
      expect(e.maintainer).toBe(v.fields.get('Maintainer') ?? '');
      expect(e.date).toBe(v.fields.get('Date') ?? '');
      const ts = v.fields.get('Timestamp');
      expect(e.timestamp).toBe(ts === undefined ? undefined : Number(ts));
    });
  }
});

describe('parseChangelog', () => {
  it('reads only the first entry', () => {
    const r = parseChangelog(
      Buffer.from(
        'a (2.0-1) unstable; urgency=high\n\n  * x\n\n -- A B <a@b.c>  Thu, 02 Jan 2025 00:00:00 +0100\n\n' +
          'a (1.0-1) experimental; urgency=low\n\n  * y\n\n -- A B <a@b.c>  Wed, 01 Jan 2025 00:00:00 +0000\n',
      ),
    );
    expect(r.entry).toMatchObject({ source: 'a', version: '2.0-1', distribution: 'unstable', urgency: 'high', timestamp: 1735772400 });
  });
  it("marks an invalid version and keeps dpkg's reason", () => {
    const r = parseChangelog(Buffer.from('a (1.0-) unstable; urgency=low\n\n  * x\n\n -- A B <a@b.c>  Wed, 01 Jan 2025 00:00:00 +0000\n'));
    expect(r.entry).toMatchObject({ version: 'unknown', headerParsed: true, versionProblem: 'revision cannot be empty' });
  });
  it('never throws on arbitrary bytes', () => {
    const junk = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 256));
    expect(() => parseChangelog(junk)).not.toThrow();
  });
});
