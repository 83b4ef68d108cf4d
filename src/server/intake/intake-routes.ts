// The intake: POST /hooks/gitlab (GitLab's Tag Push Hook, or a system hook's
// tag_push) and
// POST /api/v1/verifications (sponsors and scripts) turn an authenticated
// request into a persisted job, and answer fast.
//
// Order of work, as @octokit/webhooks does it: headers authenticated first
// (X-Gitlab-Token, bearer token) before the body is even read; the body kept
// as raw bytes (a content-type parser that does not parse), the signature
// checked over those bytes, and only then JSON.parse. GitLab gives a webhook
// 10 s and disables hooks that keep failing, so the answer waits only for the
// job to be persisted. A store failure is a 503: GitLab does not redeliver it
// by itself (an operator resends it, idempotently, and the archive watcher
// finds the upload regardless), but a 2xx would claim a job that does not exist.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { checkEndpointUrl, checkRepositoryUrl, type UrlPolicy } from '../../net/url-policy.js';
import { dscNameOfUrl } from '../../upload/index.js';
import { decodeTagName } from '../../interpret/index.js';
import { isVerificationError, VerificationError } from '../../report/verification-error.js';
import { interpretGitlabHook } from './gitlab-payload.js';
import type { IntakeConfig } from './intake-config.js';
import { decodeSigningSecret, TokenSet, verifyStandardWebhook } from './webhook-auth.js';
import { schemasDocumentOnly, acceptedSchema, errorAnswer, INVALID, UNAUTHORIZED } from '../api/api-schemas.js';
import type { JobIntake } from '../../store/store.js';

const UNAVAILABLE = errorAnswer('The job could not be stored in time (with Retry-After); resend it: the retry is idempotent.');

/** The headers the hook reads (the credentials are in the security schemes). */
const hookHeadersSchema = z.object({
  'x-gitlab-event': z.string().optional().describe('e.g. "Tag Push Hook" or "System Hook"'),
  'idempotency-key': z.string().max(200).optional(),
  'x-gitlab-event-uuid': z.string().max(200).optional(),
  'webhook-id': z.string().optional(),
  'webhook-timestamp': z.string().optional(),
});

/** What the intake asks the store to persist. */
export interface IntakeRequest {
  /** Where the job came from (the store's and the API's `source`). */
  readonly intake: Extract<JobIntake, 'webhook' | 'api'>;
  /**
   * The sender's delivery id (Idempotency-Key, else X-Gitlab-Event-UUID),
   * namespaced by the sender (`gitlab:`, `api:`); without one, the work key. A redelivery carries
   * the same id.
   */
  readonly idempotencyKey: string;
  /**
   * A digest of (repo, tag, tagObject, upload): the same work under another
   * delivery id (a second hook on the same project, a re-pushed tag). The
   * store creates no job when either key is already known.
   */
  readonly workKey: string;
  readonly repo: string;
  readonly tag: string;
  /** The tag object GitLab reported (`after`); absent for API requests. */
  readonly tagObject?: string;
  /** The upload (.dsc URL) to compare with, for API requests that name one. */
  readonly upload?: string;
  /** When the request was accepted (ISO 8601). */
  readonly receivedAt: string;
  readonly gitlab?: {
    readonly project: string;
    readonly commit?: string;
    readonly pusher: { readonly id?: number; readonly name?: string; readonly username?: string; readonly email?: string };
  };
}

/** Persists a job (or finds the existing one for either key) and resolves only once it is durable. */
export type Enqueue = (request: IntakeRequest) => Promise<{ id: string; created: boolean }>;

export interface IntakeRoutesOptions {
  /** Validated settings (parseIntakeConfig, or the service's configuration). */
  readonly config: Readonly<IntakeConfig>;
  /** The rule repository and upload URLs must meet (the service's `fetch` settings); absent: https to public hosts. */
  readonly urlPolicy?: UrlPolicy;
  readonly enqueue: Enqueue;
  /** The clock, in ms since the epoch (tests move it). */
  readonly now?: () => number;
}

const DELIVERY_ID_RE = /^[\x21-\x7e]{1,200}$/;

const apiBodySchema = z
  .object({
    repo: z.string().min(1).max(2048).describe('The https:// URL of the repository.'),
    tag: z.string().min(1).max(1024).describe('e.g. debian/1.2-1'),
    upload: z.string().min(1).max(2048).optional().describe('The .dsc to compare with; absent: the archive mirror.'),
  })
  .strict();

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return typeof v === 'string' ? v : undefined;
}

function workKey(parts: readonly (string | undefined)[]): string {
  return createHash('sha256')
    .update(JSON.stringify(parts.map((p) => p ?? null)))
    .digest('hex');
}

function unauthorized(reply: FastifyReply, scheme?: string): FastifyReply {
  if (scheme !== undefined) void reply.header('www-authenticate', scheme);
  // The same answer whatever failed: which check failed is for our log only.
  return reply.code(401).send({ error: 'unauthorized' });
}

function invalid(reply: FastifyReply, reason: string, path?: string): FastifyReply {
  return reply.code(400).send({ error: 'invalid', reason, ...(path !== undefined && { path }) });
}

/** The raw body as parsed JSON, or a reason it is not. */
function parseJson(body: unknown): { ok: true; value: unknown } | { ok: false; reason: string } {
  if (!Buffer.isBuffer(body) || body.length === 0) return { ok: false, reason: 'empty body' };
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch (err) {
    return { ok: false, reason: `body is not valid JSON: ${(err as Error).message}` };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new VerificationError('STORE_FAILED', `not persisted within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Registers the intake routes; register it in its own encapsulated context (its body parser is local). */
export const intakeRoutes: FastifyPluginCallback<IntakeRoutesOptions> = (app, options, done) => {
  schemasDocumentOnly(app);
  const { config } = options;
  const policy: UrlPolicy = options.urlPolicy ?? { allowHttpLoopback: false };
  const now = options.now ?? Date.now;
  const gitlabTokens = new TokenSet(config.gitlab.tokens);
  const signingKeys = config.gitlab.signingSecrets.map(decodeSigningSecret);
  const apiTokens = new TokenSet(config.apiTokens);

  // Keep bodies as bytes: the signature is over the bytes GitLab sent, and
  // nothing is parsed before the sender is authenticated. Only JSON is
  // accepted (415 otherwise); larger than bodyLimit is 413.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: config.bodyLimit }, (_req, body, done) => {
    done(null, body);
  });

  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      request.log.info({ code: err.code, status }, 'request refused');
      return reply.code(status).send({ error: err.code ?? 'bad request', reason: err.message });
    }
    request.log.error({ err }, 'intake failure');
    return reply.code(500).send({ error: 'internal' });
  });

  async function accept(request: FastifyRequest, reply: FastifyReply, job: IntakeRequest): Promise<FastifyReply> {
    let result: { id: string; created: boolean };
    try {
      result = await withTimeout(options.enqueue(job), config.enqueueTimeoutMs);
    } catch (err) {
      // Not a 2xx: the job may not exist. A redelivery (resent by hand) finds the job if it was persisted after all.
      request.log.error({ err, intake: job.intake, repo: job.repo, tag: job.tag }, 'could not persist job');
      return reply.code(503).header('retry-after', '30').send({ error: 'unavailable', reason: 'the job could not be stored; retry later' });
    }
    request.log.info(
      { intake: job.intake, repo: job.repo, tag: job.tag, tagObject: job.tagObject, job: result.id, created: result.created },
      'verification queued',
    );
    return reply.code(202).send({ id: result.id, created: result.created });
  }

  function deliveryId(request: FastifyRequest, sender: 'gitlab' | 'api', names: readonly string[]): string | undefined | false {
    for (const name of names) {
      const v = header(request, name);
      if (v === undefined) continue;
      return DELIVERY_ID_RE.test(v) ? `${sender}:${v}` : false;
    }
    return undefined;
  }

  app.post('/hooks/gitlab', {
    schema: {
      summary: "GitLab's Tag Push Hook, from a project hook or a system hook",
      description:
        'Only `refs/tags/debian/…` tags that git and tag2upload accept start a verification; other events, refs and tag deletions are acknowledged with 200 and ignored. ' +
        'Idempotency-Key or X-Gitlab-Event-UUID deduplicates redeliveries.',
      operationId: 'gitlabWebhook',
      security: [{ gitlabToken: [] }, { webhookSignature: [] }, { gitlabToken: [], webhookSignature: [] }],
      headers: hookHeadersSchema,
      body: {
        type: 'object',
        description: 'GitLab\'s "Tag Push Hook" body: https://docs.gitlab.com/user/project/integrations/webhook_events/#tag-events',
      },
      response: {
        200: z.object({ ignored: z.string() }).describe('Not a tag2upload tag push: ignored.'),
        202: acceptedSchema,
        400: INVALID,
        401: errorAnswer('X-Gitlab-Token or the webhook signature missing or wrong (the same answer whatever failed).'),
        413: errorAnswer('Body larger than bodyLimit.'),
        415: errorAnswer('Not application/json.'),
        503: UNAVAILABLE,
      },
    },
    // Headers only: a wrong token is refused before the body is read.
    onRequest: async (request, reply) => {
      if (gitlabTokens.size > 0 && !gitlabTokens.matches(header(request, 'x-gitlab-token'))) {
        request.log.warn('webhook refused: X-Gitlab-Token missing or wrong');
        return unauthorized(reply);
      }
      if (signingKeys.length > 0 && header(request, 'webhook-signature') === undefined) {
        request.log.warn('webhook refused: webhook-signature missing');
        return unauthorized(reply);
      }
    },
    handler: async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      if (signingKeys.length > 0) {
        const check = verifyStandardWebhook(
          raw,
          {
            id: header(request, 'webhook-id'),
            timestamp: header(request, 'webhook-timestamp'),
            signature: header(request, 'webhook-signature'),
          },
          signingKeys,
          now(),
          config.gitlab.signatureToleranceSeconds,
        );
        if (!check.ok) {
          request.log.warn({ failure: check.failure }, 'webhook refused: signature');
          return unauthorized(reply);
        }
      }
      const json = parseJson(request.body);
      if (!json.ok) return invalid(reply, json.reason);
      const result = interpretGitlabHook(header(request, 'x-gitlab-event'), json.value, { policy });
      if (result.kind === 'ignored') {
        request.log.info({ reason: result.reason }, 'webhook ignored');
        return reply.code(200).send({ ignored: result.reason });
      }
      if (result.kind === 'invalid') return invalid(reply, result.reason, result.path);
      const id = deliveryId(request, 'gitlab', ['idempotency-key', 'x-gitlab-event-uuid']);
      if (id === false) return invalid(reply, 'Idempotency-Key / X-Gitlab-Event-UUID must be 1-200 printable ASCII characters');
      const e = result.event;
      const work = workKey([e.repo, e.tag, e.tagObject, undefined]);
      return accept(request, reply, {
        intake: 'webhook',
        idempotencyKey: id ?? `work:${work}`,
        workKey: work,
        repo: e.repo,
        tag: e.tag,
        tagObject: e.tagObject,
        receivedAt: new Date(now()).toISOString(),
        gitlab: { project: e.project, ...(e.commit !== undefined && { commit: e.commit }), pusher: e.pusher },
      });
    },
  });

  app.post('/api/v1/verifications', {
    schema: {
      summary: 'Ask for a verification of a tag',
      operationId: 'requestVerification',
      security: [{ bearer: [] }],
      headers: z.object({ 'idempotency-key': z.string().max(200).optional() }),
      body: apiBodySchema,
      response: { 202: acceptedSchema, 400: INVALID, 401: UNAUTHORIZED, 503: UNAVAILABLE },
    },
    onRequest: async (request, reply) => {
      const m = /^Bearer ([\x21-\x7e]+)$/i.exec(header(request, 'authorization') ?? '');
      if (!apiTokens.matches(m?.[1])) {
        request.log.warn('API request refused: bearer token missing or wrong');
        return unauthorized(reply, 'Bearer');
      }
    },
    handler: async (request, reply) => {
      const json = parseJson(request.body);
      if (!json.ok) return invalid(reply, json.reason);
      const body = apiBodySchema.safeParse(json.value);
      if (!body.success) {
        const issue = body.error.issues[0]!;
        const path = issue.path.join('.');
        return invalid(reply, `${path || '(top level)'}: ${issue.message}`, path);
      }
      let repo: string;
      let upload: string | undefined;
      try {
        repo = checkRepositoryUrl(body.data.repo, policy).href;
      } catch (err) {
        if (!isVerificationError(err)) throw err;
        return invalid(reply, `repo: ${err.message} (${err.code})`, 'repo');
      }
      if (body.data.upload !== undefined) {
        try {
          const url = checkEndpointUrl(new URL(body.data.upload), policy);
          dscNameOfUrl(url);
          upload = url.href;
        } catch (err) {
          const message = isVerificationError(err) ? `${err.message} (${err.code})` : 'not a URL';
          return invalid(reply, `upload: ${message}`, 'upload');
        }
      }
      const tag = body.data.tag.startsWith('refs/tags/') ? body.data.tag.slice('refs/tags/'.length) : body.data.tag;
      const name = decodeTagName(tag);
      if (!name.ok) return invalid(reply, `tag: ${name.reasons.map((r) => r.message).join('; ')} (TAG_NAME_INVALID)`, 'tag');
      const id = deliveryId(request, 'api', ['idempotency-key']);
      if (id === false) return invalid(reply, 'Idempotency-Key must be 1-200 printable ASCII characters');
      const work = workKey([repo, tag, undefined, upload]);
      return accept(request, reply, {
        intake: 'api',
        idempotencyKey: id ?? `work:${work}`,
        workKey: work,
        repo,
        tag,
        ...(upload !== undefined && { upload }),
        receivedAt: new Date(now()).toISOString(),
      });
    },
  });
  done();
};

/** Registers the intake in its own encapsulated context (so its raw-body parser stays local). */
export async function registerIntake(app: FastifyInstance, options: IntakeRoutesOptions): Promise<void> {
  await app.register(intakeRoutes, options);
}
