// Shared by the intake tests and the webhook benchmark: GitLab's documented
// payloads with only the fields a test needs changed (in a parsed copy, so
// everything else stays as GitLab sends it), and an in-memory enqueue that
// deduplicates on either key as the store must.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { intakeRoutes, type Enqueue, type IntakeRequest } from '../../src/server/intake/intake-routes.js';
import { parseIntakeConfig, type IntakeConfigInput } from '../../src/server/intake/intake-config.js';
import type { UrlPolicy } from '../../src/net/url-policy.js';

const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`../../fixtures/gitlab/${name}`, import.meta.url)), 'utf8');

/** GitLab's documented Tag Push Hook body, verbatim. */
export const TAG_PUSH_FIXTURE = fixture('tag-push-hook.json');
/** GitLab's documented Push Hook body, verbatim. */
export const PUSH_FIXTURE = fixture('push-hook.json');
/** GitLab's documented system hook bodies (X-Gitlab-Event: System Hook), verbatim: tag push, push, project created. */
export const SYSTEM_TAG_PUSH_FIXTURE = fixture('system-hook-tag-push.json');
export const SYSTEM_PUSH_FIXTURE = fixture('system-hook-push.json');
export const SYSTEM_PROJECT_CREATE_FIXTURE = fixture('system-hook-project-create.json');

export interface TagPushChanges {
  ref?: string;
  after?: string;
  before?: string;
  url?: string;
}

/**
 * The documented Tag Push body (`fixture`: the project hook's by default, or
 * the system hook's) with `changes` applied; defaults make it a tag2upload tag
 * on https.
 */
export function tagPushBody(changes: TagPushChanges = {}, fixture: string = TAG_PUSH_FIXTURE): string {
  const body = JSON.parse(fixture) as Record<string, unknown> & { project: Record<string, unknown> };
  body['ref'] = changes.ref ?? 'refs/tags/debian/1.0-1';
  if (changes.after !== undefined) body['after'] = changes.after;
  if (changes.before !== undefined) body['before'] = changes.before;
  body.project['git_http_url'] = changes.url ?? 'https://salsa.debian.org/jsmith/example.git';
  return JSON.stringify(body);
}

/** A queue that persists nothing but keeps the store's contract: one job per idempotency or work key. */
export class MemoryQueue {
  readonly jobs: IntakeRequest[] = [];
  readonly seen: IntakeRequest[] = [];
  readonly #byKey = new Map<string, string>();

  readonly enqueue: Enqueue = (request) => {
    this.seen.push(request);
    const existing = this.#byKey.get(request.idempotencyKey) ?? this.#byKey.get(request.workKey);
    if (existing !== undefined) return Promise.resolve({ id: existing, created: false });
    const id = `job-${this.jobs.length + 1}`;
    this.jobs.push(request);
    this.#byKey.set(request.idempotencyKey, id);
    this.#byKey.set(request.workKey, id);
    return Promise.resolve({ id, created: true });
  };
}

export const TOKEN = 'gitlab-secret-token-0123456789';
export const OLD_TOKEN = 'gitlab-old-token-9876543210ab';
export const API_TOKEN = 'api-bearer-token-abcdefghijklmnop';

/** The intake's settings and, beside them, the URL rule the service passes it (`fetch.allowHttpLoopback`, `fetch.allowedHosts`). */
export type TestIntakeSettings = Partial<IntakeConfigInput> & Partial<UrlPolicy>;

export async function buildApp(
  settings: TestIntakeSettings = {},
  enqueue: Enqueue = new MemoryQueue().enqueue,
  now?: () => number,
): Promise<FastifyInstance> {
  const { allowHttpLoopback, allowedHosts, ...config } = settings;
  const app = Fastify({ logger: false });
  await app.register(intakeRoutes, {
    config: parseIntakeConfig({ gitlab: { tokens: [OLD_TOKEN, TOKEN] }, apiTokens: [API_TOKEN], ...config }),
    urlPolicy: { allowHttpLoopback: allowHttpLoopback ?? false, ...(allowedHosts !== undefined && { allowedHosts }) },
    enqueue,
    ...(now !== undefined && { now }),
  });
  await app.ready();
  return app;
}
