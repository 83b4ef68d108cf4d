import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeSigningSecret,
  signingSecretProblem,
  signStandardWebhook,
  TokenSet,
  verifyStandardWebhook,
} from '../../src/server/intake/webhook-auth.js';

describe('TokenSet', () => {
  const set = new TokenSet(['first-secret-token-aaaa', 'second-secret-token-bb']);

  it('accepts each configured token (rotation)', () => {
    expect(set.matches('first-secret-token-aaaa')).toBe(true);
    expect(set.matches('second-secret-token-bb')).toBe(true);
  });

  it('refuses a wrong, missing, empty, prefixed or truncated token', () => {
    expect(set.matches('third-secret-token-ccc')).toBe(false);
    expect(set.matches(undefined)).toBe(false);
    expect(set.matches('')).toBe(false);
    expect(set.matches('first-secret-token-aaa')).toBe(false);
    expect(set.matches('first-secret-token-aaaaX')).toBe(false);
  });

  it('refuses everything when no token is configured', () => {
    expect(new TokenSet([]).matches('anything')).toBe(false);
    expect(new TokenSet(['']).matches('')).toBe(false);
  });
});

describe('Standard Webhooks signatures', () => {
  // The specification's published test vector (standard-webhooks, also svix's libraries).
  const vector = {
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    timestamp: '1614265330',
    body: Buffer.from('{"test": 2432232314}'),
    signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  };
  const key = decodeSigningSecret(vector.secret);
  const at = Number(vector.timestamp) * 1000;
  const headers = { id: vector.id, timestamp: vector.timestamp, signature: vector.signature };

  it('signs as the specification’s test vector', () => {
    expect(signStandardWebhook(key, vector.id, vector.timestamp, vector.body)).toBe(vector.signature);
  });

  it('verifies the test vector, and with one of several keys and signatures', () => {
    expect(verifyStandardWebhook(vector.body, headers, [key], at)).toEqual({ ok: true });
    const other = randomBytes(32);
    const otherSig = signStandardWebhook(other, vector.id, vector.timestamp, vector.body);
    expect(verifyStandardWebhook(vector.body, headers, [other, key], at)).toEqual({ ok: true });
    expect(verifyStandardWebhook(vector.body, { ...headers, signature: `v1a,xyz ${otherSig} ${vector.signature}` }, [key], at)).toEqual({
      ok: true,
    });
  });

  it('refuses a changed body, id or timestamp, or another key', () => {
    const mismatch = { ok: false, failure: 'signature-mismatch' };
    expect(verifyStandardWebhook(Buffer.from('{"test": 2432232315}'), headers, [key], at)).toEqual(mismatch);
    expect(verifyStandardWebhook(vector.body, { ...headers, id: 'msg_other' }, [key], at)).toEqual(mismatch);
    expect(verifyStandardWebhook(vector.body, { ...headers, timestamp: '1614265331' }, [key], at)).toEqual(mismatch);
    expect(verifyStandardWebhook(vector.body, headers, [randomBytes(32)], at)).toEqual(mismatch);
    expect(verifyStandardWebhook(vector.body, headers, [], at)).toEqual(mismatch);
    expect(
      verifyStandardWebhook(vector.body, { ...headers, signature: 'v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' }, [key], at),
    ).toEqual(mismatch);
    expect(verifyStandardWebhook(vector.body, { ...headers, signature: 'v1,AAAA' }, [key], at)).toEqual(mismatch);
  });

  it('refuses a timestamp outside the tolerance, either side', () => {
    expect(verifyStandardWebhook(vector.body, headers, [key], at + 301_000)).toEqual({ ok: false, failure: 'timestamp-stale' });
    expect(verifyStandardWebhook(vector.body, headers, [key], at - 301_000)).toEqual({ ok: false, failure: 'timestamp-stale' });
    expect(verifyStandardWebhook(vector.body, headers, [key], at + 299_000)).toEqual({ ok: true });
    expect(verifyStandardWebhook(vector.body, headers, [key], at + 61_000, 60)).toEqual({ ok: false, failure: 'timestamp-stale' });
  });

  it('refuses missing headers and malformed timestamps', () => {
    expect(verifyStandardWebhook(vector.body, { ...headers, id: undefined }, [key], at)).toEqual({ ok: false, failure: 'headers-missing' });
    expect(verifyStandardWebhook(vector.body, { ...headers, signature: '' }, [key], at)).toEqual({ ok: false, failure: 'headers-missing' });
    for (const ts of ['1614265330.0', '-1614265330', '1614265330000000', 'now']) {
      expect(verifyStandardWebhook(vector.body, { ...headers, timestamp: ts }, [key], at)).toEqual({
        ok: false,
        failure: 'timestamp-invalid',
      });
    }
  });

  it('checks the form of signing secrets', () => {
    expect(signingSecretProblem(vector.secret)).toBeUndefined();
    expect(signingSecretProblem('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toMatch(/whsec_/);
    expect(signingSecretProblem('whsec_not base64!')).toMatch(/base64/);
    expect(signingSecretProblem('whsec_c2hvcnQ=')).toMatch(/16 bytes/);
    expect(() => decodeSigningSecret('whsec_')).toThrow(TypeError);
  });
});
