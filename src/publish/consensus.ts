// k-of-n consensus across independent verifiers about one .dsc
// (docs/transparency.md): each verifier counts only through an attestation
// that is signed by its key, about exactly this .dsc, included in its log,
// whose checkpoint is signed (and cosigned as required) and consistent with
// the checkpoint last seen from that log. Then: `disputed` when any counted
// attestation says mismatch or rejected; `agreed` when at least K distinct
// verifiers attest reproduced or equivalent; `insufficient` otherwise.
import { REASONS, type ReasonCode } from '../report/reasons.js';
import { LogClient, LogProblem, SeenStore, auditLog } from './log-client.js';
import { parseVkey } from './signed-note.js';
import { UsageError } from '../report/usage-error.js';

export interface VerifierEntry {
  readonly name: string;
  readonly baseUrl: string;
  readonly vkey: string;
  readonly witnessVkeys: readonly string[];
}

/** Parses the verifiers file: `NAME BASE_URL VKEY [WITNESS_VKEY…]` a line, `#` starts a comment. */
export function parseVerifiersFile(text: string, file = 'verifiers file'): VerifierEntry[] {
  const out: VerifierEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const hash = raw.indexOf('#');
    const line = (hash < 0 ? raw : raw.slice(0, hash)).trim();
    if (line === '') return;
    const [name, baseUrl, vkey, ...witnessVkeys] = line.split(/\s+/);
    const where = `${file}:${i + 1}`;
    if (name === undefined || baseUrl === undefined || vkey === undefined)
      throw new UsageError(`${where}: expected NAME BASE_URL VKEY [WITNESS_VKEY…]`);
    if (!/^https?:\/\/\S+$/.test(baseUrl)) throw new UsageError(`${where}: ${baseUrl} is not an http(s) URL`);
    for (const [k, expected] of [[vkey, 1], ...witnessVkeys.map((w) => [w, 4] as const)] as const) {
      let type: number;
      try {
        type = parseVkey(k).type;
      } catch (e) {
        throw new UsageError(`${where}: ${k}: ${(e as Error).message}`);
      }
      if (type !== expected)
        throw new UsageError(
          `${where}: ${k}: ${expected === 1 ? 'a log key has type 0x01 (Ed25519)' : 'a witness key has type 0x04 (cosignature/v1)'}`,
        );
    }
    out.push({ name, baseUrl, vkey, witnessVkeys });
  });
  if (out.length === 0) throw new UsageError(`${file}: no verifiers`);
  return out;
}

export type ConsensusResult = 'agreed' | 'disputed' | 'insufficient';

export interface VerifierOutcome {
  readonly name: string;
  /** `agrees`: a counted reproduced/equivalent; `disputes`: a counted mismatch/rejected; `not-counted`: why says why. */
  readonly status: 'agrees' | 'disputes' | 'not-counted';
  readonly verdict?: string;
  readonly code?: ReasonCode;
  readonly why: string;
  readonly leaf?: number;
  readonly checkpointSize?: number;
  readonly evidence?: { readonly previous: string; readonly current: string };
}

export interface ConsensusReport {
  readonly schema: 't2u-verify/consensus/v1';
  readonly result: ConsensusResult;
  readonly dscSha256: string;
  readonly threshold: number;
  readonly agreeing: number;
  readonly verifiers: readonly VerifierOutcome[];
}

/** The verifier's attestation keys: /attestations/key lists the current one first, then those it retired, one a line. */
async function attestationKeys(client: LogClient): Promise<string[]> {
  try {
    const res = await fetch(`${client.base}/attestations/key`, { signal: AbortSignal.timeout(10_000), redirect: 'error' });
    const text = res.status === 200 ? await res.text() : '';
    if (text.length < 16_000) {
      const keys = text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '');
      if (keys.length > 0 && keys.every((k) => parseVkey(k).type === 1)) return keys;
    }
  } catch {
    // The log key then.
  }
  return [client.vkey];
}

async function askOne(v: VerifierEntry, dscSha256: string, state: SeenStore | undefined): Promise<VerifierOutcome> {
  const client = new LogClient(v.baseUrl, v.vkey, v.witnessVkeys);
  try {
    const { current } = await auditLog(client, state);
    const { found, rejected } = await client.attestations(dscSha256, current, await attestationKeys(client));
    const size = current.checkpoint.size;
    const bad = found.filter((a) => a.statement.predicate.verdict === 'mismatch' || a.statement.predicate.verdict === 'rejected');
    const good = found.filter((a) => a.statement.predicate.verdict === 'reproduced' || a.statement.predicate.verdict === 'equivalent');
    const pick = bad.at(-1) ?? good.at(-1);
    if (pick !== undefined) {
      const p = pick.statement.predicate;
      const codes = p.reasons.map((r) => r.code).join(', ');
      return {
        name: v.name,
        status: bad.length > 0 ? 'disputes' : 'agrees',
        verdict: p.verdict,
        why: `${p.verdict}${codes === '' ? '' : ` (${codes})`}, leaf ${pick.index} of ${size}${p.builder === undefined ? '' : `, profile ${p.builder.profile}`}`,
        leaf: pick.index,
        checkpointSize: size,
      };
    }
    if (found.length > 0) {
      const verdict = found.at(-1)?.statement.predicate.verdict ?? 'unverifiable';
      return { name: v.name, status: 'not-counted', verdict, why: `attests only ${verdict}`, checkpointSize: size };
    }
    const first = rejected[0];
    if (first !== undefined) return { name: v.name, status: 'not-counted', code: first.code, why: first.why, checkpointSize: size };
    return {
      name: v.name,
      status: 'not-counted',
      code: 'ATTESTATION_MISSING',
      why: 'no attestation of this .dsc in its log',
      checkpointSize: size,
    };
  } catch (e) {
    if (!(e instanceof LogProblem)) throw e;
    return { name: v.name, status: 'not-counted', code: e.code, why: e.message, ...(e.evidence !== undefined && { evidence: e.evidence }) };
  }
}

export async function consensus(
  dscSha256: string,
  verifiers: readonly VerifierEntry[],
  threshold: number,
  stateDir?: string,
): Promise<ConsensusReport> {
  const state = stateDir === undefined ? undefined : new SeenStore(stateDir);
  const outcomes = await Promise.all(verifiers.map((v) => askOne(v, dscSha256, state)));
  // Distinct verifiers: one key counts once, whatever its names.
  const agreeingKeys = new Set(verifiers.filter((_, i) => outcomes[i]?.status === 'agrees').map((v) => v.vkey));
  const result: ConsensusResult = outcomes.some((o) => o.status === 'disputes')
    ? 'disputed'
    : agreeingKeys.size >= threshold
      ? 'agreed'
      : 'insufficient';
  return { schema: 't2u-verify/consensus/v1', result, dscSha256, threshold, agreeing: agreeingKeys.size, verifiers: outcomes };
}

export function renderConsensus(r: ConsensusReport, dscName: string): string {
  const width = Math.max(...r.verifiers.map((v) => v.name.length), 4);
  const lines = r.verifiers.map((v) => {
    const status = v.status === 'not-counted' ? 'not counted' : v.status;
    const why = v.code === undefined ? v.why : `${v.code}: ${v.why}`;
    return `${v.name.padEnd(width)}  ${status.padEnd(11)}  ${why}`;
  });
  const disputing = r.verifiers.filter((v) => v.status === 'disputes').map((v) => v.name);
  const head =
    r.result === 'agreed'
      ? `AGREED: ${r.agreeing} independent verifiers reproduced ${dscName} (threshold ${r.threshold})`
      : r.result === 'disputed'
        ? `DISPUTED: ${disputing.join(', ')} attest${disputing.length === 1 ? 's' : ''} a mismatch or rejection of ${dscName}`
        : `INSUFFICIENT: ${r.agreeing} of the ${r.threshold} verifiers required reproduced ${dscName}`;
  const evidence = r.verifiers.flatMap((v) =>
    v.evidence === undefined
      ? []
      : [
          '',
          `${v.name}: checkpoint seen before:`,
          v.evidence.previous.trimEnd(),
          `${v.name}: checkpoint served now:`,
          v.evidence.current.trimEnd(),
        ],
  );
  return [head, ...lines, ...evidence].join('\n') + '\n';
}

/** Whether a reason code names a log that misbehaved (rather than one that did not answer). */
export function isAlarm(code: ReasonCode | undefined): boolean {
  return code !== undefined && REASONS[code].effect === 'mismatch';
}
