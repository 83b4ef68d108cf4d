// The configuration: one zod schema, defaults documented beside each field,
// parsed once at start-up and then frozen (fastify's initial-config-validation).
import { z } from 'zod';
import { DEFAULT_ARCHIVE_KEYRING, DEFAULT_MIRROR } from './defaults.js';

const MiB = 1024 * 1024;

/** The limit of one sandboxed build or unpacking unless configured (build.timeoutMs); the library's default too. */
export const DEFAULT_BUILD_TIMEOUT_MS = 10 * 60_000;

export { DEFAULT_ARCHIVE_KEYRING, DEFAULT_MIRROR } from './defaults.js';

/** A limit: a positive whole number (bytes, milliseconds), `byDefault` when absent. */
export const limit = (byDefault: number) => z.number().int().positive().default(byDefault);

export const keyringRole = z.enum(['uploader', 'dm', 'nonupload']);
const keyringSchema = z.object({ path: z.string().min(1), role: keyringRole.default('uploader') }).strict();

export const configSchema = z
  .object({
    /**
     * Uploader keyrings, in order. Absent: Debian's real keyrings (debian-keyring as
     * `uploader`, debian-maintainers as `dm`, debian-nonupload as `nonupload`),
     * obtained from Debian's `debian-keyring` package into the cache.
     */
    keyrings: z.array(keyringSchema).optional(),
    /**
     * Keyrings added to `keyrings` (to Debian's when `keyrings` is absent), as
     * dscverify's --keyring adds to Debian's keyrings. `--keyring FILE` fills
     * this list; `--no-default-keyrings` sets `keyrings` to the empty list.
     */
    extraKeyrings: z.array(keyringSchema).default([]),
    /** ftp-master's dm.txt, which says which packages each Debian Maintainer may upload. */
    dmTxt: z.string().min(1).optional(),
    /** Where Debian's keyrings come from when `keyrings` (and, for debian-tag2upload-keyring, `uploadKeyring`) is absent. */
    debianKeyrings: z
      .object({
        mirror: z.string().url().default(DEFAULT_MIRROR),
        suite: z.string().min(1).default('sid'),
        /** Re-download when the cached copy is older than this. */
        maxAgeHours: z.number().positive().default(24),
        /**
         * Accept a Release file past its Valid-Until, with a warning (apt's
         * Acquire::Check-Valid-Until=false). Off: an expired Release is how a
         * mirror would replay keyrings from which keys have since been removed.
         */
        allowExpiredRelease: z.boolean().default(false),
      })
      .strict()
      .default({}),
    /** docs/architecture.md §5: rejecting SHA-1-weak inputs. */
    policy: z
      .object({
        /** Data-signature digests that reject a signature (WEAK_DIGEST). */
        rejectDigests: z
          .array(z.enum(['md5', 'sha1', 'ripemd160', 'sha224', 'sha256', 'sha384', 'sha512', 'sha3-256', 'sha3-512']))
          .default(['md5', 'sha1', 'ripemd160']),
        /** RSA keys below this size are weak (WEAK_KEY). */
        minRsaBits: z.number().int().min(1024).default(2048),
        rejectDsa: z.boolean().default(true),
        rejectElgamal: z.boolean().default(true),
        /**
         * SHA-1 self-signatures and subkey bindings: `report` (a note) or `reject`.
         * Rejecting them drops 13% of valid keys in the 2022 debian-keyring, so the
         * default is `report` until Debian itself rejects them.
         */
        sha1KeyBindings: z.enum(['reject', 'report']).default('report'),
      })
      .strict()
      .default({}),
    fetch: z
      .object({
        /** Wall-clock limit for fetching one tag (discovery, packs, indexing), in ms. */
        timeoutMs: limit(10 * 60_000),
        /** Maximum pack data per repository, in bytes. */
        maxPackBytes: limit(2048 * MiB),
        /** Maximum size of one git object read back (e.g. a large upstream blob). */
        maxObjectBytes: limit(1024 * MiB),
        /** Maximum size of the server's ref advertisement. */
        maxRefsBytes: limit(64 * MiB),
        /** Allow http:// repositories on loopback addresses (tests only). */
        allowHttpLoopback: z.boolean().default(false),
        /**
         * The hosts repositories and uploads may come from (names, lower
         * case). Absent: any host with a public address (the CLI; the
         * service's default is Salsa, dgit-repos and its mirror). Addresses
         * that are not public are refused whatever this says.
         */
        allowedHosts: z.array(z.string().regex(/^[a-z0-9.-]+$/, 'must be a lower-case host name')).optional(),
      })
      .strict()
      .default({}),
    /**
     * The tag2upload service keyring that must have signed every upload's .dsc
     * (debian-tag2upload-keyring 1.2 or later). Absent: the installed
     * package's keyring when present, else the package obtained like
     * debian-keyring (debianKeyrings' mirror and suite), else the binding
     * cannot pass.
     */
    uploadKeyring: z.string().min(1).optional(),
    /** Where and how uploads are obtained (verify). */
    upload: z
      .object({
        /** The mirror whose Sources index names the upload, when no .dsc is given. */
        mirror: z.string().url().default(DEFAULT_MIRROR),
        suite: z.string().min(1).default('sid'),
        /** Verifies the mirror's InRelease. */
        archiveKeyring: z.string().min(1).default(DEFAULT_ARCHIVE_KEYRING),
        /** Accept an InRelease past its Valid-Until, with a warning. */
        allowExpiredRelease: z.boolean().default(false),
        /** The whole upload (index, .dsc and files), in ms. */
        timeoutMs: limit(10 * 60_000),
        /** Per file named by the .dsc, in bytes. */
        maxFileBytes: limit(2048 * MiB),
        /** All files together, in bytes. */
        maxTotalBytes: limit(4096 * MiB),
      })
      .strict()
      .default({}),
    /** Sandboxed rebuilds and unpacking (verify, reproduce). */
    build: z
      .object({
        /** Per sandboxed build or unpacking, in ms. */
        timeoutMs: limit(DEFAULT_BUILD_TIMEOUT_MS),
      })
      .strict()
      .default({}),
    /**
     * dgit-repos, where the Dgit field's pseudo-merges over archive history
     * are read (`<url>/<source>`, tag archive/debian/<version>).
     */
    dgitReposUrl: z.string().url().default('https://git.dgit.debian.org'),
    /** Cache directory (Debian keyrings, sandbox root filesystems). */
    cacheDir: z.string().min(1).optional(),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type KeyringRole = z.infer<typeof keyringRole>;
