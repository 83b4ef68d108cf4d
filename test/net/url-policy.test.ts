// The URL policy: schemes, hosts, addresses (literal, and after DNS at
// connection time), redirects checked again, and a non-git answer never
// quoted in an error.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressAllowed, checkRepositoryUrl } from '../../src/net/url-policy.js';
import { HttpTransport } from '../../src/net/http-transport.js';
import { RemoteRepository } from '../../src/fetch/remote-repository.js';
import { makeHttpSource } from '../../src/upload/http-source.js';
import { isVerificationError, VerificationError } from '../../src/report/verification-error.js';

const strict = { allowHttpLoopback: false };
const tests = { allowHttpLoopback: true };

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return isVerificationError(err) ? err.code : 'other';
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
    for (const u of [
      'git://salsa.debian.org/x.git',
      'ssh://git@salsa.debian.org/x.git',
      'file:///tmp/x',
      'https://user:pw@salsa.debian.org/x.git',
      'https://salsa.debian.org/x.git?a=b',
      'not a url',
    ]) {
      expect(
        code(() => checkRepositoryUrl(u, tests)),
        u,
      ).toBe('UNSUPPORTED_URL');
    }
  });
});

describe('addresses that are not public', () => {
  it('refuses loopback, private, shared, link-local, unique-local and mapped addresses, with or without the test switch (loopback aside)', () => {
    for (const u of [
      'https://10.0.0.1/x.git',
      'https://172.16.5.4/x.git',
      'https://192.168.1.1/x.git',
      'https://100.64.0.1/x.git',
      'https://169.254.169.254/latest/meta-data/',
      'https://0.0.0.0/x.git',
      'https://[fd00::1]/x.git',
      'https://[fe80::1]/x.git',
      'https://[::ffff:10.0.0.1]/x.git',
      'https://[::ffff:169.254.169.254]/x.git',
      'https://224.0.0.1/x.git',
    ]) {
      expect(
        code(() => checkRepositoryUrl(u, strict)),
        u,
      ).toBe('UNSUPPORTED_URL');
      expect(
        code(() => checkRepositoryUrl(u, tests)),
        u,
      ).toBe('UNSUPPORTED_URL');
    }
    expect(code(() => checkRepositoryUrl('https://127.0.0.1/x.git', strict))).toBe('UNSUPPORTED_URL');
    expect(code(() => checkRepositoryUrl('https://[::1]/x.git', strict))).toBe('UNSUPPORTED_URL');
    expect(code(() => checkRepositoryUrl('https://127.0.0.1/x.git', tests))).toBeUndefined();
    expect(code(() => checkRepositoryUrl('https://93.184.215.14/x.git', strict))).toBeUndefined();
    expect(addressAllowed('2a00:1450:4001::1', strict)).toBe(true);
    expect(addressAllowed('::ffff:127.0.0.1', strict)).toBe(false);
    expect(addressAllowed('::ffff:127.0.0.1', tests)).toBe(true);
  });

  it('contacts only the configured hosts when a host list is given (test servers on loopback aside, with the switch)', () => {
    const hosts = { allowHttpLoopback: false, allowedHosts: ['salsa.debian.org', 'git.dgit.debian.org'] };
    expect(code(() => checkRepositoryUrl('https://salsa.debian.org/debian/hello.git', hosts))).toBeUndefined();
    expect(code(() => checkRepositoryUrl('https://SALSA.debian.org/debian/hello.git', hosts))).toBeUndefined();
    expect(code(() => checkRepositoryUrl('https://github.com/x/hello.git', hosts))).toBe('UNSUPPORTED_URL');
    expect(code(() => checkRepositoryUrl('https://salsa.debian.org.example.org/x.git', hosts))).toBe('UNSUPPORTED_URL');
    expect(code(() => checkRepositoryUrl('http://127.0.0.1:8080/x.git', { ...hosts, allowHttpLoopback: true }))).toBeUndefined();
  });

  it('refuses a name that resolves to a loopback address, after DNS, at connection time', async () => {
    const transport = new HttpTransport({ policy: strict, signal: new AbortController().signal, userAgent: 'test' });
    const err = await transport.request({ url: 'https://localhost:9/x.git/info/refs', method: 'GET' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationError);
    expect((err as VerificationError).code).toBe('UNSUPPORTED_URL');
    expect((err as VerificationError).message).toMatch(/localhost resolves to (127\.0\.0\.1|::1), which is not a public address/);
  });
});

describe('redirects and answers', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/to-private') res.writeHead(302, { location: 'http://10.0.0.1/x.dsc' }).end();
      else if (req.url === '/to-metadata') res.writeHead(302, { location: 'https://169.254.169.254/latest/meta-data/iam' }).end();
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('SECRET-INTERNAL-PAGE aws_secret_access_key=abc\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('checks every redirect again: to a private address, to the metadata service; and a name that resolves inward', async () => {
    const get = makeHttpSource({ policy: tests, signal: new AbortController().signal });
    for (const path of ['/to-private', '/to-metadata']) {
      const err = await get(`${base}${path}`).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(VerificationError);
      expect((err as VerificationError).code, path).toBe('UPLOAD_URL_INVALID');
    }
    // A name that resolves inward, as a redirect would name it, under the production policy.
    const transport = new HttpTransport({ policy: { allowHttpLoopback: false }, signal: new AbortController().signal, userAgent: 'test' });
    const err = await transport.request({ url: 'https://localhost:9/x', method: 'GET', maxRedirects: 3 }).catch((e: unknown) => e);
    expect((err as VerificationError).code).toBe('UNSUPPORTED_URL');
  });

  it('never copies what a non-git server answered into the error: its size at most', async () => {
    const err = await RemoteRepository.open(`${base}/repo.git`, tests, {
      timeoutMs: 10_000,
      maxPackBytes: 1 << 20,
      maxObjectBytes: 1 << 20,
      maxRefsBytes: 1 << 20,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationError);
    expect((err as VerificationError).message).not.toContain('SECRET');
    expect((err as VerificationError).message).not.toContain('aws_secret');
  });
});
