// `verify --attest`: the attestation of a one-off run, the same envelope the
// service logs (src/publish/statement.ts), written to a file.
import { writeFile } from 'node:fs/promises';
import { signAttestation, type AttestationKey } from '../publish/attestation.js';
import { profileTools, VERIFIER_VERSION } from '../publish/verifier-facts.js';
import { verdictStatement } from '../publish/statement.js';
import type { VerifyReport } from '../report/report.js';
import { UsageError } from '../report/usage-error.js';

export function defaultAttestationPath(report: VerifyReport): string {
  const name = report.upload?.dsc.replace(/\.dsc$/, '') ?? 't2u-verify';
  return `${name.replace(/[^A-Za-z0-9._+~-]/g, '_')}.t2u-verify.intoto.json`;
}

export async function writeAttestation(report: VerifyReport, key: AttestationKey, startedOn: Date, out?: string): Promise<string> {
  const statement = verdictStatement(report, {
    verifierVersion: VERIFIER_VERSION,
    startedOn,
    finishedOn: new Date(),
    tools: profileTools(report.reconstruction?.profile),
  });
  let envelope: Buffer;
  try {
    envelope = signAttestation(statement, key);
  } catch (err) {
    throw new UsageError(`--attest: ${(err as Error).message}`);
  }
  const path = out ?? defaultAttestationPath(report);
  await writeFile(path, Buffer.concat([envelope, Buffer.from('\n')]));
  return path;
}
