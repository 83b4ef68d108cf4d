// serve's secrets from files, the environment and systemd's credentials
// directory (never needing the process list), and which source wins.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveAlertSigningSecrets, resolveSecrets } from '../../src/cli/secret-sources.js';
import { UsageError } from '../../src/report/usage-error.js';

const dir = mkdtempSync(join(tmpdir(), 't2u-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text, { mode: 0o600 });
  return join(dir, name);
};

describe('resolveSecrets', () => {
  it('files hold one secret a line (rotation); flags and files together come first', () => {
    const hooks = file('hooks', 'old-secret-0123456789\n\n  new-secret-0123456789  \n');
    const r = resolveSecrets(
      { webhookSecret: ['flag-secret-0123456789'], webhookSecretFile: [hooks] },
      { T2U_WEBHOOK_SECRET: 'env-secret-0123456789' },
    );
    expect(r.webhookSecret).toEqual(['flag-secret-0123456789', 'old-secret-0123456789', 'new-secret-0123456789']);
    expect(r.apiToken).toEqual([]);
  });

  it('then the environment, then $CREDENTIALS_DIRECTORY (systemd LoadCredential=)', () => {
    const creds = mkdtempSync(join(dir, 'creds-'));
    writeFileSync(join(creds, 'webhook-secret'), 'cred-secret-0123456789\n');
    writeFileSync(join(creds, 'api-token'), 'cred-token-0123456789\n');
    const env = { CREDENTIALS_DIRECTORY: creds, T2U_API_TOKEN: 'env-token-0123456789' };
    expect(resolveSecrets({}, env)).toEqual({ webhookSecret: ['cred-secret-0123456789'], apiToken: ['env-token-0123456789'] });
    expect(resolveSecrets({ apiTokenFile: [file('tok', 'file-token-0123456789')] }, env).apiToken).toEqual(['file-token-0123456789']);
    expect(resolveSecrets({}, {})).toEqual({ webhookSecret: [], apiToken: [] });
  });

  it('a named file that is missing or empty is a usage error', () => {
    expect(() => resolveSecrets({ webhookSecretFile: [join(dir, 'absent')] }, {})).toThrow(UsageError);
    expect(() => resolveSecrets({ apiTokenFile: [file('empty', '\n \n')] }, {})).toThrow(/--api-token-file .*empty: empty/);
  });

  it('the alert signing secret: --alert-signing-secret-file, then T2U_ALERT_SIGNING_SECRET, then the credential; none: empty (the service generates one)', () => {
    const creds = mkdtempSync(join(dir, 'creds-'));
    writeFileSync(join(creds, 'alert-signing-secret'), 'whsec_Y3JlZGVudGlhbC1rZXktMDEyMzQ1\n');
    const env = { CREDENTIALS_DIRECTORY: creds, T2U_ALERT_SIGNING_SECRET: 'whsec_ZW52aXJvbm1lbnQta2V5LTAxMjM0' };
    const rotation = file('alert', 'whsec_b2xkLWtleS0wMTIzNDU2Nzg5YWI=\nwhsec_bmV3LWtleS0wMTIzNDU2Nzg5YWI=\n');
    expect(resolveAlertSigningSecrets({ alertSigningSecretFile: [rotation] }, env)).toEqual([
      'whsec_b2xkLWtleS0wMTIzNDU2Nzg5YWI=',
      'whsec_bmV3LWtleS0wMTIzNDU2Nzg5YWI=',
    ]);
    expect(resolveAlertSigningSecrets({}, env)).toEqual(['whsec_ZW52aXJvbm1lbnQta2V5LTAxMjM0']);
    expect(resolveAlertSigningSecrets({}, { CREDENTIALS_DIRECTORY: creds })).toEqual(['whsec_Y3JlZGVudGlhbC1rZXktMDEyMzQ1']);
    expect(resolveAlertSigningSecrets({}, {})).toEqual([]);
    expect(() => resolveAlertSigningSecrets({ alertSigningSecretFile: [join(dir, 'absent')] }, {})).toThrow(/--alert-signing-secret-file/);
  });
});
