import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { intakeRoutes, type Enqueue } from '../../src/server/intake/intake-routes.js';
import { parseIntakeConfig } from '../../src/server/intake/intake-config.js';
import { signStandardWebhook } from '../../src/server/intake/webhook-auth.js';
import {
  API_TOKEN,
  buildApp,
  MemoryQueue,
  OLD_TOKEN,
  PUSH_FIXTURE,
  SYSTEM_PROJECT_CREATE_FIXTURE,
  SYSTEM_PUSH_FIXTURE,
  SYSTEM_TAG_PUSH_FIXTURE,
  TAG_PUSH_FIXTURE,
  tagPushBody,
  TOKEN,
} from './intake-helpers.js';

type App = Awaited<ReturnType<typeof buildApp>>;
const apps: App[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});
async function app(...args: Parameters<typeof buildApp>): Promise<App> {
  const a = await buildApp(...args);
  apps.push(a);
  return a;
}

const hook = (payload: string, headers: Record<string, string> = {}) => ({
  method: 'POST' as const,
  url: '/hooks/gitlab',
  headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-token': TOKEN, ...headers } as Record<
    string,
    string
  >,
  payload,
});

describe('POST /hooks/gitlab: X-Gitlab-Token', () => {
  it('queues a DEP-14 tag push and answers 202 {id, created}', async () => {
    const queue = new MemoryQueue();
    const a = await app({}, queue.enqueue);
    const res = await a.inject(hook(tagPushBody(), { 'idempotency-key': 'd1' }));
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ id: 'job-1', created: true });
    expect(queue.jobs).toHaveLength(1);
    expect(queue.jobs[0]).toMatchObject({
      intake: 'webhook',
      idempotencyKey: 'gitlab:d1',
      repo: 'https://salsa.debian.org/jsmith/example.git',
      tag: 'debian/1.0-1',
      tagObject: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7',
      gitlab: { project: 'jsmith/example', commit: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7', pusher: { id: 1, name: 'John Smith' } },
    });
  });

  it('accepts any of several tokens (rotation)', async () => {
    const a = await app();
    expect((await a.inject(hook(tagPushBody(), { 'x-gitlab-token': OLD_TOKEN }))).statusCode).toBe(202);
  });

  it('answers 401, with no detail, to a wrong or missing token, and queues nothing', async () => {
    const queue = new MemoryQueue();
    const a = await app({}, queue.enqueue);
    const wrong = await a.inject(hook(tagPushBody(), { 'x-gitlab-token': `${TOKEN}x` }));
    const { 'x-gitlab-token': _, ...noToken } = hook(tagPushBody()).headers;
    const missing = await a.inject({ ...hook(tagPushBody()), headers: noToken });
    for (const res of [wrong, missing]) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: 'unauthorized' });
    }
    expect(queue.seen).toHaveLength(0);
  });

  it('checks the token before the body: a malformed, oversized or mistyped body with a wrong token is 401', async () => {
    const a = await app({ bodyLimit: 1024 });
    const bad = { 'x-gitlab-token': 'wrong-token-wrong-token' };
    expect((await a.inject(hook('{"object_kind": ', bad))).statusCode).toBe(401);
    expect((await a.inject(hook('x'.repeat(4096), bad))).statusCode).toBe(401);
    expect((await a.inject(hook('a=b', { ...bad, 'content-type': 'application/x-www-form-urlencoded' }))).statusCode).toBe(401);
  });

  it('answers 400 with a reason to bad bodies from an authenticated sender', async () => {
    const a = await app();
    const malformed = await a.inject(hook('{"object_kind": '));
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: 'invalid', reason: expect.stringMatching(/not valid JSON/) as string });
    const empty = await a.inject(hook(''));
    expect(empty.statusCode).toBe(400);
    const shape = await a.inject(hook(JSON.stringify({ object_kind: 'tag_push', ref: 'refs/tags/debian/1-1' })));
    expect(shape.statusCode).toBe(400);
    expect(shape.json()).toMatchObject({ path: 'before' });
    const http = await a.inject(hook(tagPushBody({ url: 'http://example.com/jsmith/example.git' })));
    expect(http.statusCode).toBe(400);
    expect(http.json()).toMatchObject({ path: 'project.git_http_url' });
    const badKey = await a.inject(hook(tagPushBody(), { 'idempotency-key': 'has space' }));
    expect(badKey.statusCode).toBe(400);
  });

  it('answers 415 to a body that is not JSON and 413 to one larger than bodyLimit', async () => {
    const a = await app({ bodyLimit: 1024 });
    const form = await a.inject(hook('a=b', { 'content-type': 'application/x-www-form-urlencoded' }));
    expect(form.statusCode).toBe(415);
    const big = await a.inject(hook(JSON.stringify({ pad: 'x'.repeat(2048) })));
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ error: 'FST_ERR_CTP_BODY_TOO_LARGE' });
  });

  it('acknowledges and ignores other events, deletions and non-debian tags', async () => {
    const queue = new MemoryQueue();
    const a = await app({}, queue.enqueue);
    const push = await a.inject(hook(PUSH_FIXTURE, { 'x-gitlab-event': 'Push Hook' }));
    const documented = await a.inject(hook(TAG_PUSH_FIXTURE));
    const deletion = await a.inject(hook(tagPushBody({ after: '0'.repeat(40) })));
    const badName = await a.inject(hook(tagPushBody({ ref: 'refs/tags/debian/1.0..1' })));
    for (const res of [push, documented, deletion, badName]) {
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ ignored: expect.any(String) as string });
    }
    expect(deletion.json()).toEqual({ ignored: 'tag deletion of refs/tags/debian/1.0-1' });
    expect(queue.seen).toHaveLength(0);
  });

  it('is idempotent: a redelivery, or the same tag object under another delivery id, creates no second job', async () => {
    const queue = new MemoryQueue();
    const a = await app({}, queue.enqueue);
    const first = await a.inject(hook(tagPushBody(), { 'idempotency-key': 'k1', 'x-gitlab-event-uuid': 'u1' }));
    const again = await a.inject(hook(tagPushBody(), { 'idempotency-key': 'k1', 'x-gitlab-event-uuid': 'u1' }));
    const otherHook = await a.inject(hook(tagPushBody(), { 'x-gitlab-event-uuid': 'u2' }));
    const noIds = await a.inject(hook(tagPushBody()));
    expect(first.json()).toEqual({ id: 'job-1', created: true });
    for (const res of [again, otherHook, noIds]) expect(res.json()).toEqual({ id: 'job-1', created: false });
    expect(queue.seen.map((r) => r.idempotencyKey)).toEqual(['gitlab:k1', 'gitlab:k1', 'gitlab:u2', `work:${queue.seen[0]!.workKey}`]);
    expect(new Set(queue.seen.map((r) => r.workKey)).size).toBe(1);
    // A moved tag (another object under the same name) is new work.
    const moved = await a.inject(hook(tagPushBody({ after: 'a'.repeat(40) }), { 'x-gitlab-event-uuid': 'u3' }));
    expect(moved.json()).toEqual({ id: 'job-2', created: true });
  });

  it('answers 503 (not a 2xx: the job may not exist) when the job cannot be persisted, and stays up', async () => {
    const failing: Enqueue = () => Promise.reject(new Error('database is locked'));
    const a = await app({}, failing);
    const res = await a.inject(hook(tagPushBody()));
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('30');
    expect(res.body).not.toMatch(/database/);
    const hanging: Enqueue = () => new Promise(() => {});
    const b = await app({ enqueueTimeoutMs: 50 }, hanging);
    const slow = await b.inject(hook(tagPushBody()));
    expect(slow.statusCode).toBe(503);
    const throwing: Enqueue = () => {
      throw new Error('synchronous failure');
    };
    const c = await app({}, throwing);
    expect((await c.inject(hook(tagPushBody()))).statusCode).toBe(503);
  });

  it('never writes a secret to the log', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const a = Fastify({ logger: { level: 'trace', stream } });
    apps.push(a);
    await a.register(intakeRoutes, {
      config: parseIntakeConfig({ gitlab: { tokens: [TOKEN] }, apiTokens: [API_TOKEN] }),
      enqueue: new MemoryQueue().enqueue,
    });
    await a.inject(hook(tagPushBody()));
    await a.inject(hook(tagPushBody(), { 'x-gitlab-token': 'presented-wrong-secret-1234' }));
    await a.inject({
      method: 'POST',
      url: '/api/v1/verifications',
      headers: { authorization: `Bearer ${API_TOKEN}` },
      payload: { repo: 'https://x.org/r.git', tag: 'debian/1-1' },
    });
    const log = lines.join('');
    expect(log).toMatch(/verification queued/);
    expect(log).toMatch(/webhook refused/);
    for (const secret of [TOKEN, API_TOKEN, 'presented-wrong-secret-1234']) expect(log).not.toContain(secret);
  });

  it('refuses settings without any webhook secret, or with a malformed signing secret', () => {
    expect(() => parseIntakeConfig({})).toThrow(/gitlab.tokens or gitlab.signingSecrets/);
    expect(() => parseIntakeConfig({ gitlab: { signingSecrets: ['secret'] } })).toThrow(/whsec_/);
    expect(() => parseIntakeConfig({ gitlab: { tokens: ['short'] } })).toThrow(/16 characters/);
  });
});

describe('POST /hooks/gitlab: signing token (Standard Webhooks)', () => {
  const key = randomBytes(32);
  const secret = `whsec_${key.toString('base64')}`;
  const now = 1_750_000_000_000;
  const signed = (payload: string, opts: { id?: string; ts?: number; k?: Buffer } = {}) => {
    const id = opts.id ?? 'b2eecd3a-3ac9-489b-81d6-462ec4881ea5';
    const ts = String(Math.floor((opts.ts ?? now) / 1000));
    return hook(payload, {
      'x-gitlab-token': '',
      'idempotency-key': id,
      'webhook-id': id,
      'webhook-timestamp': ts,
      'webhook-signature': signStandardWebhook(opts.k ?? key, id, ts, Buffer.from(payload)),
    });
  };
  const signingApp = (queue = new MemoryQueue(), tokens: string[] = []) =>
    app({ gitlab: { tokens, signingSecrets: [`whsec_${randomBytes(32).toString('base64')}`, secret] } }, queue.enqueue, () => now);

  it('accepts a signature from one of the signing secrets', async () => {
    const queue = new MemoryQueue();
    const a = await signingApp(queue);
    const res = await a.inject(signed(tagPushBody()));
    expect(res.statusCode).toBe(202);
    expect(queue.jobs[0]!.idempotencyKey).toBe('gitlab:b2eecd3a-3ac9-489b-81d6-462ec4881ea5');
  });

  it('refuses a wrong key, a changed body, a stale timestamp or no signature with 401', async () => {
    const queue = new MemoryQueue();
    const a = await signingApp(queue);
    const wrongKey = await a.inject(signed(tagPushBody(), { k: randomBytes(32) }));
    const tampered = signed(tagPushBody());
    tampered.payload = tagPushBody({ url: 'https://evil.example/x.git' });
    const changed = await a.inject(tampered);
    const stale = await a.inject(signed(tagPushBody(), { ts: now - 10 * 60_000 }));
    const { 'webhook-signature': _, ...unsignedHeaders } = signed(tagPushBody()).headers;
    const unsigned = await a.inject({ ...hook(tagPushBody()), headers: unsignedHeaders });
    for (const res of [wrongKey, changed, stale, unsigned]) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: 'unauthorized' });
    }
    expect(queue.seen).toHaveLength(0);
  });

  it('verifies the signature before parsing: a malformed body with a bad signature is 401', async () => {
    const a = await signingApp();
    const res = await a.inject(signed('{"object_kind": ', { k: randomBytes(32) }));
    expect(res.statusCode).toBe(401);
    expect((await a.inject(signed('{"object_kind": '))).statusCode).toBe(400);
  });

  it('requires both when both a token and a signing secret are configured', async () => {
    const a = await signingApp(new MemoryQueue(), [TOKEN]);
    expect((await a.inject(signed(tagPushBody()))).statusCode).toBe(401);
    const both = signed(tagPushBody());
    both.headers['x-gitlab-token'] = TOKEN;
    expect((await a.inject(both)).statusCode).toBe(202);
  });
});

// An instance administrator's system hook (https://docs.gitlab.com/administration/system_hooks/, "Tag events"
// and "Hooks request example"): the same path, the same secrets, X-Gitlab-Event: System Hook for every event.
describe('POST /hooks/gitlab: system hook', () => {
  const system = (payload: string, headers: Record<string, string> = {}) => hook(payload, { 'x-gitlab-event': 'System Hook', ...headers });

  it('queues a DEP-14 tag_push from a system hook, authenticated like a project hook', async () => {
    const queue = new MemoryQueue();
    const a = await app({}, queue.enqueue);
    const res = await a.inject(system(tagPushBody({}, SYSTEM_TAG_PUSH_FIXTURE), { 'idempotency-key': 's1' }));
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ id: 'job-1', created: true });
    expect(queue.jobs[0]).toMatchObject({
      intake: 'webhook',
      idempotencyKey: 'gitlab:s1',
      repo: 'https://salsa.debian.org/jsmith/example.git',
      tag: 'debian/1.0-1',
      tagObject: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7',
      gitlab: { project: 'jsmith/example', commit: '5937ac0a7beb003549fc5fd26fc247adbce4a52e' },
    });
    const wrong = await a.inject(system(tagPushBody({}, SYSTEM_TAG_PUSH_FIXTURE), { 'x-gitlab-token': 'wrong-token-wrong-token' }));
    expect(wrong.statusCode).toBe(401);
    expect(queue.seen).toHaveLength(1);
  });

  it('acknowledges the other system hook events with 200 {ignored} naming the event, and queues nothing', async () => {
    const queue = new MemoryQueue();
    const a = await app({}, queue.enqueue);
    const push = await a.inject(system(SYSTEM_PUSH_FIXTURE));
    const created = await a.inject(system(SYSTEM_PROJECT_CREATE_FIXTURE));
    const documented = await a.inject(system(SYSTEM_TAG_PUSH_FIXTURE));
    expect(push.statusCode).toBe(200);
    expect(push.json()).toEqual({ ignored: 'system hook event "push" is not a tag_push' });
    expect(created.statusCode).toBe(200);
    expect(created.json()).toEqual({ ignored: 'system hook event "project_create" is not a tag_push' });
    expect(documented.statusCode).toBe(200);
    expect(documented.json()).toEqual({ ignored: expect.stringContaining('refs/tags/v1.0.0') as string });
    expect(queue.seen).toHaveLength(0);
  });

  it('answers 400 to a system hook tag_push without the documented shape', async () => {
    const a = await app();
    const res = await a.inject(system(JSON.stringify({ event_name: 'tag_push', ref: 'refs/tags/debian/1-1' })));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ path: 'before' });
  });

  it('one push seen by a system hook and a project hook is one job (same repository, tag and object)', async () => {
    const queue = new MemoryQueue();
    const a = await app({}, queue.enqueue);
    const project = await a.inject(hook(tagPushBody(), { 'x-gitlab-event-uuid': 'p1' }));
    const instance = await a.inject(system(tagPushBody({}, SYSTEM_TAG_PUSH_FIXTURE), { 'x-gitlab-event-uuid': 's1' }));
    expect(project.json()).toEqual({ id: 'job-1', created: true });
    expect(instance.json()).toEqual({ id: 'job-1', created: false });
    expect(queue.jobs).toHaveLength(1);
  });
});

describe('POST /api/v1/verifications', () => {
  const api = (payload: unknown, headers: Record<string, string> = {}) => ({
    method: 'POST' as const,
    url: '/api/v1/verifications',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}`, ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });

  it('queues {repo, tag, upload} and answers 202 {id}', async () => {
    const queue = new MemoryQueue();
    const a = await app({}, queue.enqueue);
    const upload = 'https://deb.debian.org/debian/pool/main/h/hello/hello_2.10-3.dsc';
    const res = await a.inject(api({ repo: 'https://salsa.debian.org/debian/hello.git', tag: 'debian/2.10-3', upload }));
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ id: 'job-1', created: true });
    expect(queue.jobs[0]).toMatchObject({ intake: 'api', repo: 'https://salsa.debian.org/debian/hello.git', tag: 'debian/2.10-3', upload });
    expect(queue.jobs[0]!.tagObject).toBeUndefined();
    const again = await a.inject(api({ repo: 'https://salsa.debian.org/debian/hello.git', tag: 'refs/tags/debian/2.10-3', upload }));
    expect(again.json()).toEqual({ id: 'job-1', created: false });
  });

  it('answers 401 with WWW-Authenticate to a wrong or missing bearer token, before parsing', async () => {
    const a = await app();
    for (const authorization of ['Bearer wrong-wrong-wrong-wrong', `Basic ${API_TOKEN}`, '', `Bearer ${TOKEN}`]) {
      const res = await a.inject(api('{not json', { authorization }));
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it('answers 400 to bad requests, naming the field', async () => {
    const a = await app();
    const cases: [unknown, string][] = [
      [{ repo: 'https://salsa.debian.org/x.git' }, 'tag'],
      [{ repo: 'https://salsa.debian.org/x.git', tag: 'v1.0' }, 'tag'],
      [{ repo: 'http://salsa.debian.org/x.git', tag: 'debian/1-1' }, 'repo'],
      [{ repo: '/srv/git/x.git', tag: 'debian/1-1' }, 'repo'],
      [{ repo: 'https://salsa.debian.org/x.git', tag: 'debian/1-1', upload: 'ftp://x/y.dsc' }, 'upload'],
      [{ repo: 'https://salsa.debian.org/x.git', tag: 'debian/1-1', extra: 1 }, ''],
    ];
    for (const [body, path] of cases) {
      const res = await a.inject(api(body));
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid', path });
    }
    expect((await a.inject(api('{"repo": '))).statusCode).toBe(400);
  });

  it('answers 400 to a repository or upload on a host the service may not contact, naming the field', async () => {
    const queue = new MemoryQueue();
    const a = await app({ allowedHosts: ['salsa.debian.org', 'deb.debian.org'] }, queue.enqueue);
    const upload = 'https://deb.debian.org/debian/pool/main/h/hello/hello_2.10-3.dsc';
    const outside = await a.inject(api({ repo: 'https://git.example.org/hello.git', tag: 'debian/2.10-3', upload }));
    expect(outside.statusCode).toBe(400);
    expect(outside.json()).toMatchObject({ error: 'invalid', path: 'repo' });
    expect(outside.json<{ reason: string }>().reason).toMatch(/git\.example\.org is not one of the hosts/);
    const badUpload = await a.inject(
      api({
        repo: 'https://salsa.debian.org/debian/hello.git',
        tag: 'debian/2.10-3',
        upload: 'https://mirror.example.org/hello_2.10-3.dsc',
      }),
    );
    expect(badUpload.statusCode).toBe(400);
    expect(badUpload.json()).toMatchObject({ error: 'invalid', path: 'upload' });
    expect(queue.jobs).toHaveLength(0);
    const inside = await a.inject(api({ repo: 'https://salsa.debian.org/debian/hello.git', tag: 'debian/2.10-3', upload }));
    expect(inside.statusCode).toBe(202);
  });

  it('answers 400 to a tag push hook whose project is on a host the service may not contact, and queues nothing', async () => {
    const queue = new MemoryQueue();
    const a = await app({ allowedHosts: ['salsa.debian.org'] }, queue.enqueue);
    const outside = await a.inject(hook(tagPushBody({ url: 'https://git.example.org/jsmith/example.git' })));
    expect(outside.statusCode).toBe(400);
    expect(outside.json()).toMatchObject({ error: 'invalid', path: 'project.git_http_url' });
    expect(outside.json<{ reason: string }>().reason).toMatch(/git\.example\.org is not one of the hosts/);
    expect(queue.jobs).toHaveLength(0);
    expect((await a.inject(hook(tagPushBody()))).statusCode).toBe(202);
  });

  it('refuses every token when none is configured', async () => {
    const a = await app({ apiTokens: [] });
    expect((await a.inject(api({ repo: 'https://x.org/r.git', tag: 'debian/1-1' }, { authorization: 'Bearer ' }))).statusCode).toBe(401);
  });
});

describe('load', () => {
  it('enqueues each distinct delivery once in a flood of 5,000 requests with duplicates', async () => {
    const queue = new MemoryQueue();
    const a = await app({}, queue.enqueue);
    const distinct = 1000;
    const requests = Array.from({ length: 5000 }, (_, n) => {
      const i = n % distinct;
      const after = i.toString(16).padStart(40, '0').replace(/^0/, 'a');
      // Redeliveries reuse the delivery id; every fifth copy comes from "another hook" with its own UUID.
      const headers: Record<string, string> =
        n % 5 === 4 ? { 'x-gitlab-event-uuid': `other-${n}` } : { 'idempotency-key': `delivery-${i}` };
      return hook(tagPushBody({ ref: `refs/tags/debian/1.${i}-1`, after }), headers);
    });
    const results = [];
    for (let start = 0; start < requests.length; start += 500) {
      results.push(...(await Promise.all(requests.slice(start, start + 500).map((r) => a.inject(r)))));
    }
    expect(results.every((r) => r.statusCode === 202)).toBe(true);
    expect(results.filter((r) => r.json<{ created: boolean }>().created)).toHaveLength(distinct);
    expect(queue.jobs).toHaveLength(distinct);
    expect(new Set(queue.jobs.map((j) => j.tag)).size).toBe(distinct);
    expect(queue.seen).toHaveLength(5000);
  });
});

describe('a real listening server', () => {
  it('answers over loopback HTTP with node’s fetch', async () => {
    const queue = new MemoryQueue();
    const a = await app({}, queue.enqueue);
    const address = await a.listen({ host: '127.0.0.1', port: 0 });
    const post = (headers: Record<string, string>, body: string) =>
      fetch(`${address}/hooks/gitlab`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Tag Push Hook', ...headers },
        body,
      });
    const ok = await post({ 'x-gitlab-token': TOKEN, 'idempotency-key': 'real-1' }, tagPushBody());
    expect(ok.status).toBe(202);
    expect(await ok.json()).toEqual({ id: 'job-1', created: true });
    const dup = await post({ 'x-gitlab-token': TOKEN, 'idempotency-key': 'real-1' }, tagPushBody());
    expect(await dup.json()).toEqual({ id: 'job-1', created: false });
    const bad = await post({ 'x-gitlab-token': 'nope-nope-nope-nope' }, '{');
    expect(bad.status).toBe(401);
    const big = await post({ 'x-gitlab-token': TOKEN }, JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }));
    expect(big.status).toBe(413);
    const api = await fetch(`${address}/api/v1/verifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` },
      body: JSON.stringify({ repo: 'https://salsa.debian.org/debian/hello.git', tag: 'debian/2.10-3' }),
    });
    expect(api.status).toBe(202);
    expect(queue.jobs).toHaveLength(2);
  });
});
