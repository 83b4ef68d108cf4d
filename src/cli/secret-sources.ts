// The service's secrets without the process list: a secret given as a flag
// is visible in `ps` to every user, so `serve` also reads them from files
// (--webhook-secret-file, --api-token-file: one secret a line, for rotation),
// from the environment (T2U_WEBHOOK_SECRET, T2U_API_TOKEN), and from
// systemd's credentials directory ($CREDENTIALS_DIRECTORY/webhook-secret and
// /api-token, what LoadCredential= provides). The first of these that says
// anything wins: flags and files, then the environment, then credentials.
// The secret that signs outgoing alerts comes the same ways (a file only, no
// plain flag; T2U_ALERT_SIGNING_SECRET; alert-signing-secret), for `serve`
// and `worker` alike, since both send alerts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../report/usage-error.js';

export interface SecretFlags {
  readonly webhookSecret?: readonly string[];
  readonly webhookSecretFile?: readonly string[];
  readonly apiToken?: readonly string[];
  readonly apiTokenFile?: readonly string[];
  readonly alertSigningSecretFile?: readonly string[];
}

/** A secret file: one secret a line, blank lines and surrounding space ignored. Bounded: a secret file is small. */
function readSecretFile(path: string, flag: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag} ${path}: cannot read: ${(err as Error).message}`);
  }
  if (text.length > 64 * 1024) throw new UsageError(`${flag} ${path}: larger than 64 KiB; a secret file holds one secret a line`);
  const secrets = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (secrets.length === 0) throw new UsageError(`${flag} ${path}: empty`);
  return secrets;
}

function optionalFile(path: string): string[] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .slice(0, 64);
  } catch {
    return [];
  }
}

function one(
  given: readonly string[] | undefined,
  files: readonly string[] | undefined,
  flag: string,
  envName: string,
  credential: string,
  env: NodeJS.ProcessEnv,
): string[] {
  const fromFlags = [...(given ?? []), ...(files ?? []).flatMap((f) => readSecretFile(f, flag))];
  if (fromFlags.length > 0) return fromFlags;
  const fromEnv = env[envName]?.trim();
  if (fromEnv) return [fromEnv];
  const dir = env['CREDENTIALS_DIRECTORY'];
  return dir ? optionalFile(join(dir, credential)) : [];
}

/** The webhook secrets and API tokens `serve` runs with, from the first source that has them. */
export function resolveSecrets(flags: SecretFlags, env: NodeJS.ProcessEnv = process.env): { webhookSecret: string[]; apiToken: string[] } {
  return {
    webhookSecret: one(flags.webhookSecret, flags.webhookSecretFile, '--webhook-secret-file', 'T2U_WEBHOOK_SECRET', 'webhook-secret', env),
    apiToken: one(flags.apiToken, flags.apiTokenFile, '--api-token-file', 'T2U_API_TOKEN', 'api-token', env),
  };
}

/** The alert signing secrets (`whsec_…`), from the first source that has them; none: the service generates one. */
export function resolveAlertSigningSecrets(flags: SecretFlags, env: NodeJS.ProcessEnv = process.env): string[] {
  return one(
    undefined,
    flags.alertSigningSecretFile,
    '--alert-signing-secret-file',
    'T2U_ALERT_SIGNING_SECRET',
    'alert-signing-secret',
    env,
  );
}
