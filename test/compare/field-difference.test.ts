// A differing .dsc field in one reason line: one-line values quoted, a
// multi-line field (Package-List, Uploaders) by its first differing line,
// never a string of "\n" escapes.
import { describe, expect, it } from 'vitest';
import { fieldDifference } from '../../src/compare/rebuilt-package.js';

describe('fieldDifference', () => {
  it('one-line values, and an absent side', () => {
    expect(fieldDifference('1.0-1', '1.0-2')).toBe('upload "1.0-1", rebuilt "1.0-2"');
    expect(fieldDifference(undefined, 'x')).toBe('upload absent, rebuilt "x"');
  });

  it('a multi-line field: the first line that differs, and how many lines each side has', () => {
    const upload = '\n hello deb devel optional arch=any\n hello-doc deb doc optional arch=all';
    const rebuilt = '\n hello deb devel optional arch=any\n hello-doc deb doc optional arch=all profile:v1=!nodoc';
    const line = fieldDifference(upload, rebuilt);
    expect(line).toBe(
      'line 3 of 3 lines each: upload " hello-doc deb doc optional arch=all", rebuilt " hello-doc deb doc optional arch=all profile:v1=!nodoc"',
    );
    expect(line).not.toContain('\\n');
    expect(fieldDifference(upload, `${upload}\n extra deb x optional arch=all`)).toMatch(
      /^line 4 of upload 3 lines, rebuilt 4: upload absent, rebuilt " extra/,
    );
  });
});
