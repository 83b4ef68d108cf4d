// The secret that signs outgoing alerts (Standard Webhooks, as GitLab signs
// the webhooks the intake receives): the configured ones (alerts.signingSecrets,
// from the configuration file, --alert-signing-secret-file, the environment or
// systemd's credentials), else one generated on first start into the data
// directory at mode 0600, as the transparency log's key is
// (src/publish/log-keys.ts): created exclusively, so two processes starting
// together end with the same secret. The receiver is given the file's content.
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSigningSecret, signingSecretProblem } from './intake/webhook-auth.js';

export const GENERATED_ALERT_SECRET_FILE = 'alert-signing-secret';

/** The data directory's alert signing secret, made if absent; its path is returned for the log. */
export async function loadOrCreateAlertSecret(dataDir: string): Promise<{ secret: string; path: string; created: boolean }> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, GENERATED_ALERT_SECRET_FILE);
  let created = false;
  try {
    const fh = await open(path, 'wx', 0o600);
    try {
      await fh.writeFile(`${generateSigningSecret()}\n`);
      await fh.sync();
      created = true;
    } finally {
      await fh.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  // Bounded: the file holds one secret line.
  const secret = (await readFile(path, 'utf8')).slice(0, 4096).trim();
  const problem = signingSecretProblem(secret);
  if (problem !== undefined) throw new Error(`${path}: the alert signing secret ${problem}; remove the file to have a new one generated`);
  return { secret, path, created };
}
