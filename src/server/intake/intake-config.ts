// The intake's settings: which secrets authenticate GitLab and API callers,
// and limits. One zod schema, defaults beside each field; the service
// validates it once, as part of its own configuration (service-config.ts).
import { z } from 'zod';
import { parseWith } from '../../config/load.js';
import { limit } from '../../config/schema.js';
import { DEFAULT_SIGNATURE_TOLERANCE_SECONDS, signingSecretProblem } from './webhook-auth.js';

const MiB = 1024 * 1024;

/** A shared secret; short ones are guessable over many requests. */
const secret = z.string().min(16, 'must be at least 16 characters');

/** A Standard Webhooks secret, `whsec_<base64 key>` (GitLab's signing token; the alerts' signing secret). */
export const signingSecretSchema = z.string().superRefine((s, ctx) => {
  const problem = signingSecretProblem(s);
  if (problem !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `signing secret ${problem}` });
});

export const intakeConfigSchema = z
  .object({
    gitlab: z
      .object({
        /**
         * Accepted X-Gitlab-Token values (the webhook's "Secret token"). Several
         * during a rotation. When set, every webhook must carry one of them.
         */
        tokens: z.array(secret).default([]),
        /**
         * Accepted signing tokens (`whsec_<base64 key>`, the webhook's "Signing
         * token"). When set, every webhook must carry a valid `webhook-signature`
         * from one of them; with `tokens` also set, both are required.
         */
        signingSecrets: z.array(signingSecretSchema).default([]),
        /** How far `webhook-timestamp` may be from our clock, in seconds. */
        signatureToleranceSeconds: limit(DEFAULT_SIGNATURE_TOLERANCE_SECONDS),
      })
      .strict()
      .default({})
      .refine((g) => g.tokens.length > 0 || g.signingSecrets.length > 0, {
        message: 'set gitlab.tokens or gitlab.signingSecrets: an unauthenticated webhook would let anyone queue work',
      }),
    /** Bearer tokens for the API (POST /api/v1/verifications, and the reads unless `publicReads`). Empty: the API answers 401 to everyone. */
    apiTokens: z.array(secret).default([]),
    /**
     * The API's reads (GET /api/v1/verifications and what is under it) need
     * no token. Off by default: reports name maintainers, keys and
     * repositories. The dashboard shows the same data without a token, so an
     * instance whose dashboard is public loses nothing by turning this on.
     * Writes always need a token.
     */
    publicReads: z.boolean().default(false),
    /** Largest request body accepted, in bytes (413 beyond). GitLab's tag push bodies are a few KiB. */
    bodyLimit: z
      .number()
      .int()
      .positive()
      .max(64 * MiB)
      .default(1 * MiB),
    /**
     * Longest wait for the job to be persisted before answering 503. GitLab
     * gives a webhook 10 s; it does not redeliver a failed one by itself, and
     * counts every failure toward disabling the hook (docs/service.md, "When
     * the store is down"). A manual redelivery is idempotent.
     */
    enqueueTimeoutMs: limit(5_000),
  })
  .strict();

export type IntakeConfigInput = z.input<typeof intakeConfigSchema>;
export type IntakeConfig = z.infer<typeof intakeConfigSchema>;

/** Validates and freezes the intake's settings on their own (the service validates them with the rest of its file). */
export function parseIntakeConfig(input: IntakeConfigInput, file = 'intake configuration'): Readonly<IntakeConfig> {
  return parseWith(intakeConfigSchema, input, file);
}
