// The shapes the service's HTTP interface answers with, as zod schemas: the
// route schemas that src/server/api/openapi.ts turns into the OpenAPI
// document, and (for requests) what the handlers validate with. One place for
// each shape, so the document cannot say other than the routes do.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { storedReportSchema } from '../../report/report-schema.js';
import { JOB_VERDICTS, type JobVerdict } from '../../store/store.js';

/** What a route's schema says of one answer: a zod schema (JSON), or content types with their schemas (text, bytes). */
export type ResponseSchema =
  z.ZodTypeAny | { readonly description: string; readonly content: Readonly<Record<string, { readonly schema: object }>> };

export const errorSchema = z
  .object({
    error: z.string(),
    reason: z.string().optional(),
    path: z.string().optional().describe('The parameter or body field at fault.'),
  })
  .describe('An error; `path` names the parameter at fault when one is.');

/** An error answer with its own description. */
export const errorAnswer = (description: string) => errorSchema.describe(description);

export const UNAUTHORIZED = errorAnswer('Bearer token missing or wrong (the same answer whatever failed).');
export const INVALID = errorAnswer('A parameter or the body is not valid; `path` names it.');

/** A text answer. */
export const text = (description: string, type = 'text/plain'): ResponseSchema => ({
  description,
  content: { [type]: { schema: { type: 'string' } } },
});

export const acceptedSchema = z
  .object({
    id: z.string().describe('The job id (GET /api/v1/verifications/{id}).'),
    created: z.boolean().describe('False when an existing job for the same delivery or work was returned.'),
  })
  .describe('Persisted (or already known).');

const verdict = z.enum(JOB_VERDICTS as [JobVerdict, ...JobVerdict[]]);
const time = z.string().datetime({ offset: true });

export const jobSchema = z.object({
  id: z.string(),
  status: z.enum(['queued', 'running', 'done']),
  verdict: verdict.nullable(),
  repo: z.string().url(),
  tag: z.string().describe('e.g. debian/1.2-1'),
  tagObject: z.string().nullable(),
  upload: z.string().nullable(),
  source: z.enum(['webhook', 'api', 'archive']).describe('Who asked: a GitLab hook, the API, the archive watcher.'),
  version: z.string().nullable().describe('The Debian version, once known.'),
  package: z.string().nullable().describe('The source package, once a report names it.'),
  attempts: z.number().int().min(0),
  lastError: z.string().nullable().describe('Why the last attempt was handed back or failed.'),
  createdAt: time,
  startedAt: time.nullable(),
  finishedAt: time.nullable(),
});

export const attemptLogEntrySchema = z.object({
  attempt: z.number().int().min(1),
  bytes: z.number().int().min(0),
  truncated: z.boolean().describe('Output was dropped to keep the log within 10 MiB.'),
  createdAt: time,
  url: z.string().describe('GET it for the text.'),
});

export const jobWithReportSchema = jobSchema
  .extend({
    report: storedReportSchema.optional().describe('Present once done.'),
    logs: z.array(attemptLogEntrySchema).describe('The attempts whose log was kept.'),
  })
  .describe('The job.');

export const listSchema = z
  .object({
    verifications: z.array(jobSchema),
    total: z.number().int().min(0).describe('Jobs matching the filters, in all pages.'),
    limit: z.number().int(),
    offset: z.number().int(),
  })
  .describe('A page of jobs (without reports), newest first.');

export const idParams = z.object({ id: z.string().describe('A job id.') });

/**
 * A whole-number query parameter from `min` to `max`: decimal digits only
 * (no sign, exponent, spaces or leading zeros, which `Number()` would take),
 * at most 16 of them, so it is exact as a JavaScript number. The document
 * shows it as the integer it is (query schemas are documented by their
 * output, src/server/api/openapi.ts).
 */
export const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^(?:0|[1-9][0-9]{0,15})$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/**
 * Route schemas here document; they do not validate or serialise. The
 * handlers validate with the same zod schemas and answer a bad request with
 * the service's own error (`{error, reason, path}`); JSON answers are written
 * as they are (a report is never cut down to a schema). Called by each plugin
 * that declares schemas, for its own routes.
 */
export function schemasDocumentOnly(app: FastifyInstance): void {
  app.setValidatorCompiler(() => (value: unknown) => ({ value }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
}
