// The service's settings (`t2u-verify serve` and `t2u-verify worker`): one zod
// schema, a superset of the verifier's own configuration (src/config/schema.ts)
// so that the same file configures keyrings and policy for the verifications
// the service runs. Loaded from `--config FILE` (JSON), flags on top, parsed
// once at start-up and frozen; a bad file or flag fails with the field path
// and the reason.
import { z } from 'zod';
import { isRecord, parseWith, readConfigFile } from '../config/load.js';
import { configSchema } from '../config/schema.js';
import { STORE_DEFAULTS } from '../store/store.js';
import { intakeConfigSchema, signingSecretSchema, type IntakeConfig } from './intake/intake-config.js';
import type { UrlPolicy } from '../net/url-policy.js';
import { logConfigSchema } from '../publish/log-config.js';

/** `HOST:PORT`, `[IPv6]:PORT`; port 0 picks a free port (tests). */
const listenSchema = z.string().transform((s, ctx) => {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(s);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port > 65535) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `must be HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080), not ${JSON.stringify(s)}`,
    });
    return z.NEVER;
  }
  return { host: m[1] ?? m[2]!, port };
});

const alertUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL');

const serviceFields = {
  /** Where the HTTP server listens. The default is loopback: put a TLS proxy in front. */
  listen: listenSchema.default('127.0.0.1:8080'),
  /** The SQLite database (when `database` is absent) lives here. */
  dataDir: z.string().min(1).default('/var/lib/t2u-verify'),
  /** A `postgres://` URL: the shared queue of several worker processes. Absent: SQLite in `dataDir`. */
  database: z
    .string()
    .regex(/^postgres(?:ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  /**
   * Verifications run at once by this process. A small upload's job keeps
   * about half a core busy (short sandboxed processes one after another):
   * two per core pays; a large upload's compressions take whole cores
   * (docs/service.md, bench/backfill.bench.ts).
   */
  workers: z.number().int().min(0).max(64).default(1),
  /**
   * A job's lease: a worker that stops renewing it (it died) loses the job to
   * another after this long. Renewed every `leaseMs / 3` while the job runs.
   */
  leaseMs: z.number().int().min(1_000).default(STORE_DEFAULTS.leaseMs),
  /** Attempts before a job fails for good with `unverifiable` (a crashed attempt counts). */
  maxAttempts: z.number().int().min(1).max(100).default(STORE_DEFAULTS.maxAttempts),
  /** First retry delay; doubles with each attempt, with jitter, up to `backoffMaxMs`. */
  backoffBaseMs: z.number().int().min(0).default(STORE_DEFAULTS.backoffBaseMs),
  backoffMaxMs: z.number().int().min(0).default(STORE_DEFAULTS.backoffMaxMs),
  /** How often an idle worker asks the store for work (a job queued by this process wakes it at once). */
  pollMs: z.number().int().min(10).default(1_000),
  /** On SIGTERM: how long running verifications may take to finish before they are aborted and released. */
  shutdownGraceMs: z.number().int().min(0).default(30_000),
  /** Wall-clock limit of one verification; beyond it the job is aborted and retried. */
  jobTimeoutMs: z
    .number()
    .int()
    .min(1_000)
    .default(60 * 60_000),
  /**
   * Limits of the process each verification runs in (src/server/queue/job-process.ts):
   * the fetched bytes are parsed and judged there, never on the service's event
   * loop. A job past a limit is killed and ends `unverifiable` with
   * JOB_TIME_LIMIT or JOB_MEMORY_LIMIT.
   */
  jobLimits: z
    .object({
      /** V8 heap of the job's process (--max-old-space-size). Debian's keyrings and sid's Sources index take about 500 MiB. */
      heapMb: z.number().int().min(64).default(2048),
      /** Resident memory of the job's process (heap, buffers and code), checked every 250 ms. */
      rssMb: z.number().int().min(128).default(3072),
      /** Wall-clock limit; absent: 95% of jobTimeoutMs, so that the job's own verdict comes before the worker's backstop. */
      timeMs: z.number().int().min(100).optional(),
    })
    .strict()
    .default({}),
  /** The Debian mirror uploads are obtained from (its signed Release and Sources index). */
  mirror: z.string().url().optional(),
  /** The tag2upload service's key, which must sign the upload's .dsc. Absent: installed, else debian-tag2upload-keyring from the mirror (resolveUploadKeyring). */
  uploadKeyring: z.string().min(1).optional(),
  alerts: z
    .object({
      /** Every URL receives a POST of the report JSON on `mismatch`, `rejected` and ledger alarms. */
      urls: z.array(alertUrl).default([]),
      /** Retries after the first failed delivery, with exponential backoff from `backoffMs`. */
      retries: z.number().int().min(0).max(20).default(5),
      backoffMs: z.number().int().min(0).default(1_000),
      /** Limit on one delivery attempt. */
      timeoutMs: z.number().int().min(100).default(10_000),
      /**
       * `whsec_<base64 key>` secrets every delivery is signed with (Standard
       * Webhooks; several during a rotation, each adding a signature). Empty:
       * one generated into `dataDir` (`alert-signing-secret`, mode 0600) when
       * there are `urls`.
       */
      signingSecrets: z.array(signingSecretSchema).default([]),
    })
    .strict()
    .default({}),
  /** Attestations and the transparency log (docs/transparency.md). */
  log: logConfigSchema,
  /**
   * The archive watcher inside `serve` (src/server/archive-watch/): polls
   * `mirror` for tag2upload uploads and queues each, as `t2u-verify watch`
   * does. Absent `mirror`: no watcher in this process.
   */
  watch: z
    .object({
      /** The mirror polled, e.g. https://deb.debian.org/debian. Its host is added to the default fetch.allowedHosts (the jobs fetch their .dsc there). */
      mirror: z.string().url().optional(),
      suites: z
        .array(z.string().regex(/^[a-z0-9][a-z0-9.+-]*$/, 'must be a suite name such as unstable'))
        .min(1)
        .default(['unstable']),
      component: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.+-]*$/, 'must be a component name such as main')
        .default('main'),
      /** Time between polls; after a failed poll the watcher backs off (min(60 s, interval) doubling, up to max(interval, 1 h)). */
      intervalSeconds: z.number().positive().default(900),
      /** The keyring that signs InRelease. Absent: /usr/share/keyrings/debian-archive-keyring.gpg. */
      archiveKeyring: z.string().min(1).optional(),
      /** Where tags are read instead of the URL the archive names (see docs/service.md, repoUrlMap). */
      repoUrlMap: z.array(z.object({ from: z.string().url(), to: z.string().url() }).strict()).default([]),
      /** Read the tag from dgit-repos and Vcs-Git before queueing. */
      checkTagCopies: z.boolean().default(true),
      /** Reconciliation lists an upload whose job is not done after this long. */
      pendingBoundHours: z.number().positive().default(24),
    })
    .strict()
    .default({}),
};

/** `serve`: intake, API and workers; a webhook secret is required (intakeConfigSchema). */
export const serviceConfigSchema = configSchema.extend(intakeConfigSchema.shape).extend(serviceFields).strict();

/**
 * `worker`: the same file is accepted, but the intake's settings are not used
 * (a worker answers no webhook), so no webhook secret is required; it listens
 * (for /healthz and /metrics) only when `listen` is given, so that workers
 * beside a `serve` on the same machine never contend for its port.
 */
export const workerConfigSchema = serviceConfigSchema.extend({ gitlab: z.unknown().optional(), listen: listenSchema.optional() }).strict();

export type ServiceConfig = z.infer<typeof serviceConfigSchema>;
export type ServiceConfigInput = z.input<typeof serviceConfigSchema>;

/** The flags of `serve` and `worker`, as commander gives them. */
export interface ServiceFlags {
  readonly config?: string;
  readonly listen?: string;
  readonly dataDir?: string;
  readonly webhookSecret?: readonly string[];
  readonly apiToken?: readonly string[];
  readonly keyring?: readonly string[];
  /** false with --no-default-keyrings. */
  readonly defaultKeyrings?: boolean;
  readonly dmTxt?: string;
  readonly uploadKeyring?: string;
  readonly mirror?: string;
  readonly allowHttp?: boolean;
  readonly workers?: string;
  readonly database?: string;
  readonly alertUrl?: readonly string[];
  readonly watchMirror?: string;
  readonly watchSuite?: readonly string[];
  readonly watchInterval?: string;
  /** The alert signing secrets, from --alert-signing-secret-file, the environment or credentials (src/cli/secret-sources.ts). */
  readonly alertSigningSecret?: readonly string[];
}

const nonEmpty = (a: readonly string[] | undefined): a is readonly string[] => a !== undefined && a.length > 0;

/**
 * Applies flags over the file's object. A repeatable flag replaces the file's
 * list, except `--keyring`, which adds to the keyrings (`extraKeyrings`), as
 * dscverify's does; `--no-default-keyrings` empties `keyrings`. `--webhook-secret` values that
 * start with `whsec_` are GitLab signing tokens, the others X-Gitlab-Token
 * values. `--workers` stays a string here so that "two" fails in the schema,
 * with its field name, like a bad file value.
 */
export function applyFlags(raw: Record<string, unknown>, flags: ServiceFlags): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  if (flags.listen !== undefined) out['listen'] = flags.listen;
  if (flags.dataDir !== undefined) out['dataDir'] = flags.dataDir;
  if (flags.database !== undefined) out['database'] = flags.database;
  if (flags.mirror !== undefined) out['mirror'] = flags.mirror;
  if (flags.uploadKeyring !== undefined) out['uploadKeyring'] = flags.uploadKeyring;
  if (flags.dmTxt !== undefined) out['dmTxt'] = flags.dmTxt;
  if (flags.workers !== undefined) out['workers'] = /^[0-9]+$/.test(flags.workers) ? Number(flags.workers) : flags.workers;
  if (nonEmpty(flags.apiToken)) out['apiTokens'] = [...flags.apiToken];
  if (flags.defaultKeyrings === false) out['keyrings'] = [];
  if (nonEmpty(flags.keyring)) out['extraKeyrings'] = flags.keyring.map((path) => ({ path, role: 'uploader' }));
  if (nonEmpty(flags.webhookSecret)) {
    const gitlab = isRecord(out['gitlab']) ? { ...out['gitlab'] } : {};
    gitlab['tokens'] = flags.webhookSecret.filter((s) => !s.startsWith('whsec_'));
    gitlab['signingSecrets'] = flags.webhookSecret.filter((s) => s.startsWith('whsec_'));
    out['gitlab'] = gitlab;
  }
  if (nonEmpty(flags.alertUrl)) out['alerts'] = { ...(isRecord(out['alerts']) ? out['alerts'] : {}), urls: [...flags.alertUrl] };
  if (nonEmpty(flags.alertSigningSecret))
    out['alerts'] = { ...(isRecord(out['alerts']) ? out['alerts'] : {}), signingSecrets: [...flags.alertSigningSecret] };
  if (flags.watchMirror !== undefined || nonEmpty(flags.watchSuite) || flags.watchInterval !== undefined) {
    const watch = isRecord(out['watch']) ? { ...out['watch'] } : {};
    if (flags.watchMirror !== undefined) watch['mirror'] = flags.watchMirror;
    if (nonEmpty(flags.watchSuite)) watch['suites'] = [...flags.watchSuite];
    if (flags.watchInterval !== undefined)
      watch['intervalSeconds'] = /^[0-9]+(?:\.[0-9]+)?$/.test(flags.watchInterval) ? Number(flags.watchInterval) : flags.watchInterval;
    out['watch'] = watch;
  }
  if (flags.allowHttp === true) {
    // One switch for both doors: the intake's repository URLs and the fetcher.
    out['fetch'] = { ...(isRecord(out['fetch']) ? out['fetch'] : {}), allowHttpLoopback: true };
  }
  return out;
}

/** Validates `raw` (the file's object with flags applied) for `mode`, and freezes it. */
export function parseServiceConfig(raw: unknown, file: string, mode: 'serve' | 'worker' = 'serve'): Readonly<ServiceConfig> {
  const schema = mode === 'serve' ? serviceConfigSchema : workerConfigSchema;
  return parseWith(schema, raw, file, (c) => withDefaultHosts(c as ServiceConfig)) as Readonly<ServiceConfig>;
}

/**
 * Salsa (where maintainers push and webhooks come from) and dgit-repos (where
 * tag2upload pushes every tag it builds: the Dgit field of an archive upload).
 */
export const DEFAULT_ALLOWED_HOSTS = ['salsa.debian.org', 'git.dgit.debian.org'] as const;

/**
 * The service fetches repositories and uploads that others name, so it
 * contacts only known hosts: `fetch.allowedHosts` when set, else Salsa,
 * dgit-repos and the configured mirrors (the watched one, whose jobs fetch
 * their .dsc there; the uploads'; the keyring packages').
 */
function withDefaultHosts(config: ServiceConfig): ServiceConfig {
  if (config.fetch.allowedHosts !== undefined) return config;
  const mirrors = [config.mirror, config.upload.mirror, config.watch.mirror, config.debianKeyrings.mirror]
    .filter((m): m is string => m !== undefined)
    .map((m) => new URL(m).hostname.toLowerCase());
  return { ...config, fetch: { ...config.fetch, allowedHosts: [...new Set([...DEFAULT_ALLOWED_HOSTS, ...mirrors])] } };
}

/** Reads `--config FILE` (if any), applies the flags, validates. */
export async function loadServiceConfig(flags: ServiceFlags, mode: 'serve' | 'worker' = 'serve'): Promise<Readonly<ServiceConfig>> {
  const raw = flags.config !== undefined ? await readConfigFile(flags.config) : {};
  return parseServiceConfig(applyFlags(raw, flags), flags.config ?? 'flags', mode);
}

/** The intake's part of the service configuration, already validated with it. */
export function intakeSettings(config: Readonly<ServiceConfig>): IntakeConfig {
  return {
    gitlab: config.gitlab,
    apiTokens: config.apiTokens,
    publicReads: config.publicReads,
    bodyLimit: config.bodyLimit,
    enqueueTimeoutMs: config.enqueueTimeoutMs,
  };
}

/** The rule every repository and upload URL named from outside meets: at intake and when fetched. */
export function urlPolicy(config: Readonly<ServiceConfig>): UrlPolicy {
  const { allowHttpLoopback, allowedHosts } = config.fetch;
  return { allowHttpLoopback, ...(allowedHosts !== undefined && { allowedHosts }) };
}
