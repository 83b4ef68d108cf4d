// The report of `verify` (docs/architecture.md §4, src/report/report.ts) as a
// zod schema: the one description of its shape that the service's OpenAPI
// document carries (converted to JSON Schema), and that real reports are
// checked against in test/server/openapi.test.ts (with zod, and with a JSON
// Schema validator against the document). Strict: a field the report gains
// must be added here, or that test fails. The types in
// report.ts stay the source the pipeline is written against; this schema is
// bound to them below, so the two cannot drift apart without a type error.
import { z } from 'zod';
import { REASONS, type Layer, type ReasonCode } from './reasons.js';
import { REPORT_SCHEMA, VERIFY_VERDICTS, type VerifyReport, type VerifyVerdict } from './report.js';

const LAYERS = [...new Set(Object.values(REASONS).map((r) => r.layer))] as [Layer, ...Layer[]];

export const reasonSchema = z
  .object({
    code: z.enum(Object.keys(REASONS) as [ReasonCode, ...ReasonCode[]]).describe('A stable reason code (docs/reason-codes.md).'),
    layer: z.enum(LAYERS),
    subject: z
      .enum(['tag', 'upload'])
      .optional()
      .describe("Set on the OpenPGP codes: whose signature the reason is about, the tag's or the upload's .dsc's."),
    message: z.string(),
  })
  .strict();

const layerResult = z.object({ status: z.enum(['pass', 'fail', 'skipped']), detail: z.string().optional() }).strict();

const tagFacts = z
  .object({
    name: z.string(),
    object: z.string().optional(),
    commit: z.string().optional(),
    tagger: z.string().optional(),
    taggerBytes: z.string().optional().describe("The tagger identity's bytes in hex, when they are not UTF-8."),
    taggerDate: z.string().optional(),
    signerFingerprint: z
      .string()
      .optional()
      .describe('The key that made the signature (often a subkey), lower case, as in Git-Tag-Info fp=.'),
    primaryFingerprint: z.string().optional(),
    keyring: z.string().optional(),
    digestAlgorithm: z.string().optional(),
    signatureCreated: z.string().optional(),
  })
  .strict();

const sourceFacts = z
  .object({
    package: z.string().optional(),
    version: z.string().optional(),
    quiltMode: z.string().optional(),
    distros: z.array(z.string()).optional(),
    upstreamCommit: z.string().optional(),
    upstreamTag: z.string().optional(),
    upstreamTree: z.string().optional(),
  })
  .strict();

const uploadFacts = z
  .object({
    origin: z.string(),
    dsc: z.string(),
    sha256: z.string(),
    source: z.string().optional(),
    version: z.string().optional(),
    signer: z.string().optional(),
    signed: z.string().optional(),
    gitTagInfo: z.string().optional(),
    gitTagTagger: z.string().optional(),
    dgit: z.string().optional(),
  })
  .strict();

const gitEntry = z.object({ mode: z.string(), oid: z.string() }).strict();

const contentFacts = z
  .object({
    checked: z.array(z.string()),
    differences: z.array(
      z
        .object({
          scope: z.enum(['tree', 'orig']),
          path: z.string(),
          change: z.enum(['added', 'removed', 'changed', 'mode']),
          expected: gitEntry.optional(),
          got: gitEntry.optional(),
        })
        .strict(),
    ),
    truncated: z.number().int().optional(),
  })
  .strict();

const fileSide = z.object({ size: z.number().int(), sha256: z.string() }).strict();

const tarMember = z
  .object({
    size: z.number().int(),
    mode: z.string(),
    sha256: z.string(),
    mtime: z.number().optional(),
    type: z.string().optional(),
    link: z.string().optional(),
    owner: z.string().optional(),
  })
  .strict();

const tarballDiff = z
  .object({
    file: z.string(),
    members: z.array(
      z
        .object({
          path: z.string(),
          change: z.enum(['added', 'removed', 'changed']),
          expected: tarMember.optional(),
          got: tarMember.optional(),
          aspects: z.array(z.string()).optional(),
          diff: z.string().optional(),
        })
        .strict(),
    ),
    truncated: z.number().int().optional(),
    error: z.string().optional(),
  })
  .strict();

const reconstructionFacts = z
  .object({
    profile: z.string().optional(),
    profileHint: z.string().optional(),
    attempts: z.array(
      z
        .object({
          profile: z.string(),
          outcome: z.string(),
          differences: z.number().int().optional(),
          durationMs: z.number(),
          stepsMs: z.record(z.number()).optional(),
        })
        .strict(),
    ),
    skipped: z.array(z.object({ profile: z.string(), why: z.string() }).strict()).optional(),
    toolchains: z.array(
      z
        .object({
          name: z.enum(['dgit', 'typescript']),
          status: z.enum(['agrees', 'differs', 'not-run', 'failed']),
          detail: z.string().optional(),
        })
        .strict(),
    ),
    files: z.array(
      z
        .object({
          name: z.string(),
          expected: fileSide.optional(),
          got: fileSide.optional(),
          match: z.boolean(),
          origin: z.enum(['rebuilt', 'given']),
        })
        .strict(),
    ),
    fields: z.array(z.object({ field: z.string(), expected: z.string().optional(), got: z.string().optional() }).strict()),
    dscIdentical: z.boolean(),
    tarballs: z.array(tarballDiff).optional(),
  })
  .strict();

export const verifyReportSchema = z
  .object({
    schema: z.literal(REPORT_SCHEMA),
    kind: z.literal('verify'),
    verdict: z.enum(VERIFY_VERDICTS as [VerifyVerdict, ...VerifyVerdict[]]),
    reasons: z.array(reasonSchema).describe('What made the verdict.'),
    notes: z.array(reasonSchema).describe('Reported without changing the verdict.'),
    layers: z
      .object({ authenticity: layerResult, metadata: layerResult, binding: layerResult, content: layerResult, bits: layerResult })
      .strict(),
    repo: z.string(),
    tag: tagFacts,
    source: sourceFacts,
    upload: uploadFacts.optional(),
    content: contentFacts.optional(),
    reconstruction: reconstructionFacts.optional(),
    timings: z.record(z.number()).describe('Milliseconds per stage.'),
  })
  .strict();

const alarm = z
  .object({
    code: z.enum(['TAG_REPLAYED', 'TAG_MOVED', 'UPSTREAM_TREE_CHANGED']),
    message: z.string(),
    previous: z
      .object({
        repo: z.string().optional(),
        tagName: z.string().optional(),
        tagObject: z.string().optional(),
        upstreamCommit: z.string().optional(),
        upstreamTree: z.string().optional(),
        firstSeen: z.string().datetime({ offset: true }),
      })
      .strict(),
  })
  .strict();

/** The report as the service stores it: the pipeline's, with the ledger's alarms in full. */
export const storedReportSchema = verifyReportSchema
  .extend({ alarms: z.array(alarm).optional().describe("The ledger's alarms in full (also among the notes or reasons).") })
  .describe(`The verify report (schema ${REPORT_SCHEMA}, docs/architecture.md §4).`);

// The schema and the report's types describe the same object: each must be assignable to the other.
type Parsed = z.infer<typeof verifyReportSchema>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Mutable<T> = T extends readonly (infer U)[] ? Mutable<U>[] : T extends object ? { -readonly [K in keyof T]: Mutable<T[K]> } : T;
export const REPORT_SCHEMA_MATCHES_TYPES: Same<Mutable<Parsed>, Mutable<VerifyReport>> = true;
