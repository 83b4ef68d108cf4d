// Authenticating intake requests over the raw request, before any JSON is
// parsed (@octokit/webhooks verify-and-receive: verify, then parse), and
// signing the service's own outgoing alerts the same way (one implementation
// of Standard Webhooks for both directions: src/server/alerts.ts).
//
// Two schemes, both with several secrets at once so that a secret can be
// rotated without dropping deliveries:
// - a shared token (GitLab's X-Gitlab-Token, which GitLab sends verbatim; our
//   API's bearer tokens): compared in constant time;
// - GitLab's signing token, which follows the Standard Webhooks specification
//   (GitLab merge requests !230944 and !231325): the token is `whsec_` and the
//   base64 of the HMAC key; GitLab sends `webhook-id` (equal to its
//   Idempotency-Key), `webhook-timestamp` (Unix seconds) and
//   `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`,
//   several space-separated signatures allowed.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const sha256 = (data: string | Buffer): Buffer => createHash('sha256').update(data).digest();

/**
 * A set of accepted shared tokens. Tokens are kept only as SHA-256 digests, so
 * every comparison is between two 32-byte values whatever the lengths
 * presented (timingSafeEqual needs equal lengths, and comparing lengths first
 * would leak them).
 */
export class TokenSet {
  readonly #digests: readonly Buffer[];

  constructor(tokens: readonly string[]) {
    this.#digests = tokens.map((t) => sha256(t));
  }

  get size(): number {
    return this.#digests.length;
  }

  /**
   * Whether `presented` equals one of the tokens. Every token is compared,
   * without an early exit, so the time taken says nothing about which one
   * matched or how many there are to try.
   */
  matches(presented: string | undefined): boolean {
    const digest = sha256(presented ?? '');
    let found = 0;
    for (const d of this.#digests) found |= timingSafeEqual(d, digest) ? 1 : 0;
    return presented !== undefined && presented !== '' && found === 1;
  }
}

/** The prefix of a Standard Webhooks secret; the rest is the base64 of the key. */
export const SIGNING_SECRET_PREFIX = 'whsec_';

/** Standard Webhooks' recommended tolerance for `webhook-timestamp`, either side of our clock. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

/** Why a signing secret is unusable, or undefined. GitLab makes 32-byte keys; we require at least 16. */
export function signingSecretProblem(secret: string): string | undefined {
  if (!secret.startsWith(SIGNING_SECRET_PREFIX)) return `must start with "${SIGNING_SECRET_PREFIX}"`;
  const b64 = secret.slice(SIGNING_SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return 'is not valid base64 after the prefix';
  if (Buffer.from(b64, 'base64').length < 16) return 'encodes a key shorter than 16 bytes';
  return undefined;
}

/** The HMAC key of a `whsec_…` secret; throws if the secret is malformed. */
export function decodeSigningSecret(secret: string): Buffer {
  const problem = signingSecretProblem(secret);
  if (problem !== undefined) throw new TypeError(`signing secret ${problem}`);
  return Buffer.from(secret.slice(SIGNING_SECRET_PREFIX.length), 'base64');
}

export interface SignatureHeaders {
  readonly id: string | undefined;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
}

export type SignatureFailure = 'headers-missing' | 'timestamp-invalid' | 'timestamp-stale' | 'signature-mismatch';

export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly failure: SignatureFailure };

function hmac(key: Buffer, id: string, timestamp: string, body: Buffer): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

/** The `webhook-signature` value a sender computes with one key. */
export function signStandardWebhook(key: Buffer, id: string, timestamp: string, body: Buffer): string {
  return `v1,${hmac(key, id, timestamp, body).toString('base64')}`;
}

/** A new `whsec_` secret: 32 random bytes, the size GitLab makes. */
export function generateSigningSecret(): string {
  return `${SIGNING_SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/**
 * The three headers a Standard Webhooks sender adds: `id` is the message id
 * (the same for every retry of one message), the timestamp the time of this
 * attempt, and one `v1,` signature per key, space-separated, so a receiver
 * holding either the old or the new secret accepts the message during a
 * rotation.
 */
export function standardWebhookHeaders(
  keys: readonly Buffer[],
  id: string,
  nowMs: number,
  body: Buffer,
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return {
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': keys.map((key) => signStandardWebhook(key, id, timestamp, body)).join(' '),
  };
}

/**
 * Verifies Standard Webhooks headers over the raw body with any of `keys`.
 * The timestamp is part of the signed content, so a captured delivery cannot
 * be replayed outside the tolerance window; inside it, the idempotency key
 * (`webhook-id`) makes a replay a no-op. Every (key, signature) pair is
 * compared, in constant time, without an early exit.
 */
export function verifyStandardWebhook(
  body: Buffer,
  headers: SignatureHeaders,
  keys: readonly Buffer[],
  nowMs: number,
  toleranceSeconds: number = DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
): SignatureCheck {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return { ok: false, failure: 'headers-missing' };
  // Unix seconds as decimal digits; anything else (a sign, a fraction, ms) is not the spec's form.
  if (!/^[0-9]{1,12}$/.test(timestamp)) return { ok: false, failure: 'timestamp-invalid' };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSeconds) return { ok: false, failure: 'timestamp-stale' };
  const presented: Buffer[] = [];
  for (const part of signature.split(' ')) {
    const comma = part.indexOf(',');
    // Only version v1 (HMAC-SHA256) exists; other versions (v1a: Ed25519) are skipped.
    if (comma < 0 || part.slice(0, comma) !== 'v1') continue;
    const sig = Buffer.from(part.slice(comma + 1), 'base64');
    if (sig.length === 32) presented.push(sig);
  }
  let found = 0;
  for (const key of keys) {
    const expected = hmac(key, id, timestamp, body);
    for (const sig of presented) found |= timingSafeEqual(expected, sig) ? 1 : 0;
  }
  return found === 1 ? { ok: true } : { ok: false, failure: 'signature-mismatch' };
}
