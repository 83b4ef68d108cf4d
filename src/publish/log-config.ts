// The `log` section of the service configuration (docs/transparency.md):
// the log's origin and keys, the witnesses asked to cosign its checkpoints,
// and the logs this instance witnesses.
import { hostname } from 'node:os';
import { z } from 'zod';

const keyName = z.string().regex(/^[^\s+]+$/, 'must be a key name: no spaces and no "+"');
const vkey = z.string().regex(/^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+={0,2}$/, 'must be a vkey: name+hash+base64');

export const logConfigSchema = z
  .object({
    /** False: no attestations, no log (the /log/ routes answer 404). */
    enabled: z.boolean().default(true),
    /** The checkpoint origin: the log's URL prefix without the scheme, e.g. `verifier.example.org/log`. Default: `<hostname>/t2u-verify/log`. */
    origin: keyName.optional(),
    /** Ed25519 private key (PKCS#8 PEM) signing checkpoints, and attestations unless `attestationKeyFile` is set. Default: `<dataDir>/log-key.pem`, made on first start at mode 0600. */
    keyFile: z.string().min(1).optional(),
    /** A separate Ed25519 key for attestations; its vkey is served at /attestations/key. */
    attestationKeyFile: z.string().min(1).optional(),
    /** The name in the attestation key's vkey and keyid. Default: `<origin>/attestations` with a separate key, else the origin. */
    attestationKeyName: keyName.optional(),
    /** Witnesses asked to cosign each new checkpoint (c2sp.org/tlog-witness add-checkpoint). */
    witnesses: z.array(z.object({ url: z.string().url(), vkey }).strict()).default([]),
    /** This instance as a witness: its cosigner name and the logs it cosigns, by origin and vkey. */
    witness: z
      .object({
        /** The cosigner name. Default: `<origin>/witness`. */
        name: keyName.optional(),
        /** Ed25519 key of the witness. Default: the log key. */
        keyFile: z.string().min(1).optional(),
        logs: z.array(z.object({ origin: keyName, vkey }).strict()).default([]),
      })
      .strict()
      .optional(),
  })
  .strict()
  .default({});

export type LogConfig = z.infer<typeof logConfigSchema>;

export function defaultOrigin(): string {
  return `${hostname().replace(/[\s+]/g, '-') || 'localhost'}/t2u-verify/log`;
}
