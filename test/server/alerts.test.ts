// Outgoing alerts are signed by the Standard Webhooks rules
// (https://www.standardwebhooks.com/: webhook-id, webhook-timestamp,
// webhook-signature `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
// `whsec_<base64>` secrets) with the very code the intake verifies GitLab's
// signing token with. A real receiver on loopback verifies each delivery as it
// arrives; a body changed after signing, or another key, fails.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertSender } from '../../src/server/alerts.js';
import { GENERATED_ALERT_SECRET_FILE } from '../../src/server/alert-secret.js';
import { decodeSigningSecret, generateSigningSecret, verifyStandardWebhook } from '../../src/server/intake/webhook-auth.js';
import type { ServiceHandle } from '../../src/server/service.js';
import { ConfigError } from '../../src/config/load.js';
import { tagPushBody } from './intake-helpers.js';
import {
  hookHeaders,
  startAlertReceiver,
  startTestService,
  testConfig,
  verifyReport,
  waitFor,
  type ReceivedAlert,
} from './service-helpers.js';

const log = pino({ level: 'silent' });
const settings = { retries: 2, backoffMs: 10, timeoutMs: 2_000 };

function check(r: ReceivedAlert, secrets: readonly string[], body: Buffer = r.raw): ReturnType<typeof verifyStandardWebhook> {
  const header = (name: string): string | undefined => {
    const v = r.headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  return verifyStandardWebhook(
    body,
    { id: header('webhook-id'), timestamp: header('webhook-timestamp'), signature: header('webhook-signature') },
    secrets.map(decodeSigningSecret),
    Date.now(),
  );
}

describe('AlertSender: Standard Webhooks signatures', () => {
  it('signs every delivery, retries included, so that a receiver verifies it over the bytes received', async () => {
    const receiver = await startAlertReceiver([503]);
    const secret = generateSigningSecret();
    try {
      const sender = new AlertSender({ urls: [receiver.url], ...settings, signingSecrets: [secret] });
      sender.send({ jobId: '42', event: 'mismatch', report: { verdict: 'mismatch', tagger: 'Zoë <z@example.org>' } }, log);
      await waitFor(() => (receiver.received.length >= 2 ? true : undefined), 'the delivery and its retry');
      await sender.drain(1_000);
      for (const r of receiver.received) {
        expect(r.headers['webhook-id']).toBe('t2u-verify-job-42-mismatch');
        expect(r.headers['webhook-id']).toBe(r.headers['idempotency-key']);
        expect(r.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
        expect(check(r, [secret])).toEqual({ ok: true });
      }
    } finally {
      await receiver.close();
    }
  });

  it('a body changed after signing, another key, or another id fails verification', async () => {
    const receiver = await startAlertReceiver();
    const secret = generateSigningSecret();
    try {
      const sender = new AlertSender({ urls: [receiver.url], ...settings, signingSecrets: [secret] });
      sender.send({ jobId: '7', event: 'rejected', report: { verdict: 'rejected' } }, log);
      await waitFor(() => (receiver.received.length >= 1 ? true : undefined), 'the delivery');
      await sender.drain(1_000);
      const r = receiver.received[0]!;
      expect(check(r, [secret])).toEqual({ ok: true });
      const tampered = Buffer.from(r.raw.toString('utf8').replace('"rejected"', '"reproduced"'));
      expect(tampered.equals(r.raw)).toBe(false);
      expect(check(r, [secret], tampered)).toEqual({ ok: false, failure: 'signature-mismatch' });
      expect(check(r, [generateSigningSecret()])).toEqual({ ok: false, failure: 'signature-mismatch' });
      expect(check({ ...r, headers: { ...r.headers, 'webhook-id': 't2u-verify-job-8-rejected' } }, [secret])).toEqual({
        ok: false,
        failure: 'signature-mismatch',
      });
    } finally {
      await receiver.close();
    }
  });

  it('a receiver that verifies as it receives: the right secret is taken, another is refused with 401 and not retried', async () => {
    const secret = generateSigningSecret();
    const outcomes: number[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const h = (n: string): string | undefined => (typeof req.headers[n] === 'string' ? req.headers[n] : undefined);
        const ok = verifyStandardWebhook(
          Buffer.concat(chunks),
          { id: h('webhook-id'), timestamp: h('webhook-timestamp'), signature: h('webhook-signature') },
          [decodeSigningSecret(secret)],
          Date.now(),
        ).ok;
        outcomes.push(ok ? 204 : 401);
        res.writeHead(ok ? 204 : 401).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const url = `http://127.0.0.1:${port}/alerts`;
      const good = new AlertSender({ urls: [url], ...settings, signingSecrets: [secret] });
      good.send({ jobId: '3', event: 'mismatch', report: { verdict: 'mismatch' } }, log);
      await good.drain(2_000);
      const bad = new AlertSender({ urls: [url], ...settings, signingSecrets: [generateSigningSecret()] });
      bad.send({ jobId: '4', event: 'mismatch', report: { verdict: 'mismatch' } }, log);
      await bad.drain(2_000);
      // 401 is the receiver refusing: not retried, whatever `retries` says.
      expect(outcomes).toEqual([204, 401]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('signs with every configured secret during a rotation: a receiver with either one accepts', async () => {
    const receiver = await startAlertReceiver();
    const [old, next] = [generateSigningSecret(), generateSigningSecret()];
    try {
      const sender = new AlertSender({ urls: [receiver.url], ...settings, signingSecrets: [old, next] });
      sender.send({ jobId: '1', event: 'alarm', report: {} }, log);
      await waitFor(() => (receiver.received.length >= 1 ? true : undefined), 'the delivery');
      await sender.drain(1_000);
      const r = receiver.received[0]!;
      expect(String(r.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(check(r, [old])).toEqual({ ok: true });
      expect(check(r, [next])).toEqual({ ok: true });
    } finally {
      await receiver.close();
    }
  });

  it('sends no signature headers when no secret is given', async () => {
    const receiver = await startAlertReceiver();
    try {
      const sender = new AlertSender({ urls: [receiver.url], ...settings });
      sender.send({ jobId: '1', event: 'alarm', report: {} }, log);
      await waitFor(() => (receiver.received.length >= 1 ? true : undefined), 'the delivery');
      await sender.drain(1_000);
      expect(receiver.received[0]!.headers['webhook-signature']).toBeUndefined();
    } finally {
      await receiver.close();
    }
  });
});

describe('the service signs its alerts', () => {
  let dir: string;
  const handles: ServiceHandle[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 't2u-alert-sign-'));
  });
  afterEach(async () => {
    await Promise.all(handles.splice(0).map((h) => h.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function mismatchAlert(config: Record<string, unknown>, object = 'c'.repeat(40)): Promise<ReceivedAlert> {
    const receiver = await startAlertReceiver();
    try {
      const h = await startTestService({
        dataDir: dir,
        config: { ...config, alerts: { urls: [receiver.url], retries: 0, backoffMs: 0, ...(config['alerts'] as object | undefined) } },
        verifyJob: (req) => Promise.resolve(verifyReport(req, ['RECONSTRUCTION_MISMATCH'])),
      });
      handles.push(h);
      const res = await fetch(`${h.url}/hooks/gitlab`, { method: 'POST', headers: hookHeaders(), body: tagPushBody({ after: object }) });
      expect(res.status).toBe(202);
      await waitFor(() => (receiver.received.length >= 1 ? true : undefined), 'the alert');
      await h.stop();
      return receiver.received[0]!;
    } finally {
      await receiver.close();
    }
  }

  it('generates a secret into the data directory at mode 0600 on first start, signs with it, and keeps it', async () => {
    const r = await mismatchAlert({});
    const path = join(dir, GENERATED_ALERT_SECRET_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const secret = readFileSync(path, 'utf8').trim();
    expect(secret).toMatch(/^whsec_/);
    expect(check(r, [secret])).toEqual({ ok: true });
    // A second start finds the same secret (another tag object: another job, another alert).
    const again = await mismatchAlert({}, 'd'.repeat(40));
    expect(readFileSync(path, 'utf8').trim()).toBe(secret);
    expect(check(again, [secret])).toEqual({ ok: true });
  });

  it('signs with the configured secret, and generates none', async () => {
    const secret = generateSigningSecret();
    const r = await mismatchAlert({ alerts: { signingSecrets: [secret] } });
    expect(check(r, [secret])).toEqual({ ok: true });
    expect(() => statSync(join(dir, GENERATED_ALERT_SECRET_FILE))).toThrow(/ENOENT/);
  });

  it('refuses a malformed configured secret at start-up, naming the field', () => {
    expect(() => testConfig({ dataDir: dir, config: { alerts: { signingSecrets: ['not-a-whsec'] } } })).toThrow(ConfigError);
    expect(() => testConfig({ dataDir: dir, config: { alerts: { signingSecrets: ['not-a-whsec'] } } })).toThrow(
      /alerts\.signingSecrets\.0: signing secret must start with "whsec_"/,
    );
  });
});
