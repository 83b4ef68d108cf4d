import { describe, expect, it } from 'vitest';
import { checkRepositoryUrl } from '../../src/fetch/url-policy.js';
import { FetchError } from '../../src/fetch/fetch-error.js';

const strict = { allowHttpLoopback: false };
const tests = { allowHttpLoopback: true };

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof FetchError ? err.code : 'other';
  }
}

describe('repository URL policy', () => {
  it('accepts https', () => {
    expect(checkRepositoryUrl('https://salsa.debian.org/debian/hello.git', strict).hostname).toBe('salsa.debian.org');
  });

  it('rejects plain http unless allowed, and then only on loopback', () => {
    expect(code(() => checkRepositoryUrl('http://salsa.debian.org/x.git', strict))).toBe('UNSUPPORTED_URL');
    expect(code(() => checkRepositoryUrl('http://127.0.0.1:8080/x.git', strict))).toBe('UNSUPPORTED_URL');
    expect(code(() => checkRepositoryUrl('http://127.0.0.1:8080/x.git', tests))).toBeUndefined();
    expect(code(() => checkRepositoryUrl('http://[::1]:8080/x.git', tests))).toBeUndefined();
    expect(code(() => checkRepositoryUrl('http://localhost/x.git', tests))).toBeUndefined();
    expect(code(() => checkRepositoryUrl('http://10.0.0.1/x.git', tests))).toBe('UNSUPPORTED_URL');
    expect(code(() => checkRepositoryUrl('http://127.0.0.1.example.org/x.git', tests))).toBe('UNSUPPORTED_URL');
  });

  it('rejects other schemes, credentials, queries and garbage', () => {
    for (const u of ['git://salsa.debian.org/x.git', 'ssh://git@salsa.debian.org/x.git', 'file:///tmp/x', 'https://user:pw@salsa.debian.org/x.git', 'https://salsa.debian.org/x.git?a=b', 'not a url']) {
      expect(code(() => checkRepositoryUrl(u, tests)), u).toBe('UNSUPPORTED_URL');
    }
  });
});
