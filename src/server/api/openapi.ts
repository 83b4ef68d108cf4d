// The service's HTTP interface as an OpenAPI 3.1 document: served at
// GET /api/v1/openapi.json and kept, identical, in docs/openapi.json
// (`npm run docs` writes it; a test checks both and that every route the
// service registers is described here).
import { DEFAULT_SUMMARY_DAYS, MAX_SUMMARY_DAYS } from '../../store/verdict-summary.js';
import { JOB_VERDICTS, MAX_LIST_LIMIT } from '../../store/store.js';

const error = { $ref: '#/components/schemas/Error' };
const json = (schema: object) => ({ 'application/json': { schema } });
const unauthorized = { description: 'Bearer token missing or wrong (the same answer whatever failed).', content: json(error) };
const invalid = { description: 'A parameter or the body is not valid; `path` names it.', content: json(error) };
const unavailable = { description: 'The job could not be stored in time; retry (the retry is idempotent).', content: json(error) };

const tagPushExample = 'GitLab "Tag Push Hook" body: https://docs.gitlab.com/user/project/integrations/webhook_events/#tag-events';

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 't2u-verify service',
    version: '1',
    summary: "Independent verification of Debian's tag2upload uploads",
    description:
      'Verification requests (GitLab tag push webhooks and API calls) are persisted before they are acknowledged, ' +
      'then verified by workers; verdicts and reports are read back by id or listed. See docs/service.md.',
    license: { name: 'MIT', identifier: 'MIT' },
  },
  servers: [{ url: '/' }],
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: 'One of the configured apiTokens; reads need none when the service sets publicReads.' },
      gitlabToken: { type: 'apiKey', in: 'header', name: 'X-Gitlab-Token', description: "The webhook's secret token (gitlab.tokens)." },
      webhookSignature: {
        type: 'apiKey',
        in: 'header',
        name: 'webhook-signature',
        description:
          'Standard Webhooks signature: `v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">` with a gitlab.signingSecrets key; ' +
          'needs webhook-id and webhook-timestamp (±300 s).',
      },
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'string' }, reason: { type: 'string' }, path: { type: 'string' } },
      },
      Accepted: {
        type: 'object',
        required: ['id', 'created'],
        properties: {
          id: { type: 'string', description: 'The job id (GET /api/v1/verifications/{id}).' },
          created: { type: 'boolean', description: 'False when an existing job for the same delivery or work was returned.' },
        },
      },
      Verdict: { type: 'string', enum: [...JOB_VERDICTS] },
      VerdictCounts: {
        type: 'object',
        description: 'How many verifications finished with each verdict.',
        required: [...JOB_VERDICTS],
        properties: Object.fromEntries(JOB_VERDICTS.map((v) => [v, { type: 'integer', minimum: 0 }])),
        additionalProperties: false,
      },
      Status: { type: 'string', enum: ['queued', 'running', 'done'] },
      Job: {
        type: 'object',
        required: ['id', 'status', 'verdict', 'repo', 'tag', 'tagObject', 'upload', 'source', 'version', 'package', 'attempts', 'lastError', 'createdAt', 'startedAt', 'finishedAt'],
        properties: {
          id: { type: 'string' },
          status: { $ref: '#/components/schemas/Status' },
          verdict: { oneOf: [{ $ref: '#/components/schemas/Verdict' }, { type: 'null' }] },
          repo: { type: 'string', format: 'uri' },
          tag: { type: 'string', examples: ['debian/1.2-1'] },
          tagObject: { type: ['string', 'null'], pattern: '^[0-9a-f]{40}([0-9a-f]{24})?$' },
          upload: { type: ['string', 'null'] },
          source: { type: 'string', enum: ['webhook', 'api', 'archive'] },
          version: { type: ['string', 'null'], description: 'The Debian version, once known.' },
          package: { type: ['string', 'null'], description: 'The source package, once a report names it.' },
          attempts: { type: 'integer', minimum: 0 },
          lastError: { type: ['string', 'null'], description: 'Why the last attempt was handed back or failed.' },
          createdAt: { type: 'string', format: 'date-time' },
          startedAt: { type: ['string', 'null'], format: 'date-time' },
          finishedAt: { type: ['string', 'null'], format: 'date-time' },
        },
      },
      JobWithReport: {
        allOf: [
          { $ref: '#/components/schemas/Job' },
          {
            type: 'object',
            properties: {
              report: {
                type: 'object',
                description:
                  'The verify report (schema t2u-verify/report/v1, see docs/architecture.md §4), present once done; ledger alarms are added as `notes` and `alarms`.',
                required: ['schema', 'verdict', 'reasons'],
                properties: {
                  schema: { const: 't2u-verify/report/v1' },
                  verdict: { $ref: '#/components/schemas/Verdict' },
                  reasons: {
                    type: 'array',
                    items: { type: 'object', required: ['code', 'layer', 'message'], properties: { code: { type: 'string' }, layer: { type: 'string' }, message: { type: 'string' } } },
                  },
                },
              },
            },
          },
        ],
      },
    },
  },
  paths: {
    '/hooks/gitlab': {
      post: {
        operationId: 'gitlabWebhook',
        summary: 'GitLab Tag Push Hook',
        description:
          'Only `refs/tags/debian/…` tags that git and tag2upload accept start a verification; other events, refs and tag deletions are acknowledged with 200 and ignored. ' +
          'Idempotency-Key or X-Gitlab-Event-UUID deduplicates redeliveries.',
        security: [{ gitlabToken: [] }, { webhookSignature: [] }, { gitlabToken: [], webhookSignature: [] }],
        parameters: [
          { name: 'X-Gitlab-Event', in: 'header', required: true, schema: { type: 'string', examples: ['Tag Push Hook'] } },
          { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 200 } },
          { name: 'X-Gitlab-Event-UUID', in: 'header', required: false, schema: { type: 'string', maxLength: 200 } },
        ],
        requestBody: { required: true, description: tagPushExample, content: json({ type: 'object' }) },
        responses: {
          '200': { description: 'Not a tag2upload tag push: ignored.', content: json({ type: 'object', required: ['ignored'], properties: { ignored: { type: 'string' } } }) },
          '202': { description: 'Persisted (or already known).', content: json({ $ref: '#/components/schemas/Accepted' }) },
          '400': invalid,
          '401': unauthorized,
          '413': { description: 'Body larger than bodyLimit.', content: json(error) },
          '415': { description: 'Not application/json.', content: json(error) },
          '503': unavailable,
        },
      },
    },
    '/api/v1/verifications': {
      post: {
        operationId: 'requestVerification',
        summary: 'Ask for a verification of a tag',
        security: [{ bearer: [] }],
        parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 200 } }],
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['repo', 'tag'],
            additionalProperties: false,
            properties: {
              repo: { type: 'string', format: 'uri', description: 'https:// URL of the repository.' },
              tag: { type: 'string', examples: ['debian/1.2-1'] },
              upload: { type: 'string', format: 'uri', description: 'The .dsc to compare with; absent: the archive mirror.' },
            },
          }),
        },
        responses: {
          '202': { description: 'Persisted (or already known).', content: json({ $ref: '#/components/schemas/Accepted' }) },
          '400': invalid,
          '401': unauthorized,
          '503': unavailable,
        },
      },
      get: {
        operationId: 'listVerifications',
        summary: 'List verifications, newest first',
        security: [{ bearer: [] }],
        parameters: [
          { name: 'source', in: 'query', schema: { type: 'string', enum: ['webhook', 'api', 'archive'] } },
          { name: 'version', in: 'query', schema: { type: 'string' } },
          { name: 'package', in: 'query', description: 'The source package.', schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9+.-]{1,199}$' } },
          { name: 'verdict', in: 'query', schema: { $ref: '#/components/schemas/Verdict' } },
          { name: 'status', in: 'query', schema: { $ref: '#/components/schemas/Status' } },
          { name: 'since', in: 'query', description: 'Created at or after.', schema: { type: 'string', format: 'date-time' } },
          { name: 'until', in: 'query', description: 'Created before.', schema: { type: 'string', format: 'date-time' } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: MAX_LIST_LIMIT, default: 100 } },
          { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
        ],
        responses: {
          '200': {
            description: 'A page of jobs (without reports).',
            content: json({
              type: 'object',
              required: ['verifications', 'total', 'limit', 'offset'],
              properties: {
                verifications: { type: 'array', items: { $ref: '#/components/schemas/Job' } },
                total: { type: 'integer', description: 'Jobs matching the filters, in all pages.' },
                limit: { type: 'integer' },
                offset: { type: 'integer' },
              },
            }),
          },
          '400': invalid,
          '401': unauthorized,
        },
      },
    },
    '/api/v1/verifications/{id}': {
      get: {
        operationId: 'getVerification',
        summary: 'One verification, with its report once done',
        security: [{ bearer: [] }],
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'The job.', content: json({ $ref: '#/components/schemas/JobWithReport' }) },
          '401': unauthorized,
          '404': { description: 'No such job.', content: json(error) },
        },
      },
    },
    '/api/v1/verifications/{id}/attempts/{attempt}/log': {
      get: {
        operationId: 'getAttemptLog',
        summary: 'What one attempt printed: its progress, the sandboxed commands and their output, the build log (at most 10 MiB)',
        security: [{ bearer: [] }],
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'attempt', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } },
        ],
        responses: {
          '200': { description: 'The log, as text.', content: { 'text/plain': { schema: { type: 'string' } } } },
          '401': unauthorized,
          '404': { description: 'No log was kept for this attempt.', content: json(error) },
        },
      },
    },
    '/api/v1/summary': {
      get: {
        operationId: 'getSummary',
        summary: 'Verdict counts per UTC day or ISO week over a bounded window, by the time each verification finished',
        security: [{ bearer: [] }],
        parameters: [
          { name: 'period', in: 'query', schema: { type: 'string', enum: ['day', 'week'], default: 'day' }, description: 'UTC days, or ISO weeks from Monday 00:00 UTC.' },
          {
            name: 'days',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: MAX_SUMMARY_DAYS },
            description: `How many days back from now, the current period included, aligned to the period's start (default ${DEFAULT_SUMMARY_DAYS.day} for days, ${DEFAULT_SUMMARY_DAYS.week} for weeks).`,
          },
        ],
        responses: {
          '200': {
            description: 'Every period of the window, oldest first, zeros included.',
            content: json({
              type: 'object',
              required: ['period', 'since', 'until', 'verdicts', 'periods', 'totals', 'total'],
              properties: {
                period: { type: 'string', enum: ['day', 'week'] },
                since: { type: 'string', format: 'date-time', description: "The first period's start (inclusive)." },
                until: { type: 'string', format: 'date-time', description: "The last period's end (exclusive)." },
                verdicts: { type: 'array', items: { $ref: '#/components/schemas/Verdict' } },
                periods: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['start', 'counts', 'total'],
                    properties: {
                      start: { type: 'string', format: 'date-time' },
                      counts: { $ref: '#/components/schemas/VerdictCounts' },
                      total: { type: 'integer' },
                    },
                  },
                },
                totals: { $ref: '#/components/schemas/VerdictCounts' },
                total: { type: 'integer' },
              },
            }),
          },
          '400': invalid,
          '401': unauthorized,
        },
      },
    },
    '/api/v1/attestations': {
      get: {
        operationId: 'getAttestations',
        summary: "Every attestation of one .dsc in this instance's transparency log, with inclusion proofs (docs/transparency.md)",
        security: [],
        parameters: [{ name: 'dsc-sha256', in: 'query', required: true, schema: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' } }],
        responses: {
          '200': {
            description: 'The current checkpoint and the attestations it includes (oldest first, at most 100).',
            content: json({
              type: 'object',
              required: ['checkpoint', 'logKey', 'attestations'],
              properties: {
                checkpoint: { type: 'string', description: 'The signed checkpoint (c2sp.org/tlog-checkpoint) the proofs are against.' },
                logKey: { type: 'string', description: "The log's vkey (c2sp.org/signed-note)." },
                attestations: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['index', 'envelope', 'inclusionProof'],
                    properties: {
                      index: { type: 'integer', description: 'The leaf index.' },
                      envelope: { type: 'string', description: 'The DSSE envelope JSON, exactly the leaf bytes.' },
                      inclusionProof: { type: 'array', items: { type: 'string', description: 'base64 SHA-256 hash' } },
                    },
                  },
                },
              },
            }),
          },
          '400': invalid,
          '404': { description: 'This instance keeps no log.', content: json(error) },
        },
      },
    },
    '/api/v1/log/consistency': {
      get: {
        operationId: 'getConsistencyProof',
        summary: 'An RFC 6962 consistency proof between two sizes of the log',
        security: [],
        parameters: [
          { name: 'from', in: 'query', required: true, schema: { type: 'integer', minimum: 0 } },
          { name: 'to', in: 'query', required: true, schema: { type: 'integer', minimum: 0 }, description: 'At most the current checkpoint size.' },
        ],
        responses: {
          '200': {
            description: 'The proof.',
            content: json({
              type: 'object',
              required: ['from', 'to', 'proof'],
              properties: { from: { type: 'integer' }, to: { type: 'integer' }, proof: { type: 'array', items: { type: 'string', description: 'base64 SHA-256 hash' } } },
            }),
          },
          '400': invalid,
          '404': { description: 'This instance keeps no log.', content: json(error) },
        },
      },
    },
    '/healthz': {
      get: {
        operationId: 'health',
        summary: 'The store answers',
        security: [],
        responses: {
          '200': {
            description: 'Healthy.',
            content: json({
              type: 'object',
              required: ['status', 'queue'],
              properties: {
                status: { const: 'ok' },
                queue: { type: 'object', properties: { ready: { type: 'integer' }, delayed: { type: 'integer' }, running: { type: 'integer' } } },
              },
            }),
          },
          '503': { description: 'The store did not answer.', content: json({ type: 'object', properties: { status: { const: 'unavailable' }, reason: { type: 'string' } } }) },
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        summary: 'Prometheus metrics (text exposition format 0.0.4)',
        security: [],
        responses: { '200': { description: 'Metrics.', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    '/api/v1/openapi.json': {
      get: {
        operationId: 'openApi',
        summary: 'This document',
        security: [],
        responses: { '200': { description: 'The OpenAPI 3.1 document.', content: json({ type: 'object' }) } },
      },
    },
  },
} as const;

/** The document as served and as stored in docs/openapi.json. */
export function renderOpenApi(): string {
  return `${JSON.stringify(openApiDocument, null, 2)}\n`;
}
