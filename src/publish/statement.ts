// The attestation of one verification: an in-toto Statement v1
// (github.com/in-toto/attestation, spec/v1/statement.md) whose subjects are
// the upload's .dsc and the files it names, by SHA-256, and whose predicate
// is the verdict (predicate type VERDICT_PREDICATE_TYPE, documented in
// docs/transparency.md). Without an upload the subject is the tag object
// (digest type gitTag of in-toto's DigestSet).
import type { Reason } from '../report/reasons.js';
import type { VerifyReport, VerifyVerdict } from '../report/report.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** The predicate type of a verdict; the version changes when a field's meaning does. */
export const VERDICT_PREDICATE_TYPE = 'urn:t2u-verify:verdict:v1';

/** Reason messages are cut to this many characters, so an envelope fits in one log entry. */
const MAX_MESSAGE = 512;
const MAX_REASONS = 64;

export interface Subject {
  readonly name: string;
  readonly digest: Readonly<Record<string, string>>;
}

export interface VerdictPredicate {
  readonly verdict: VerifyVerdict;
  readonly reasons: readonly { readonly code: string; readonly layer: string; readonly message: string }[];
  readonly tag: {
    readonly repository: string;
    readonly name: string;
    readonly object?: string;
    readonly signerFingerprint?: string;
  };
  readonly upload?: {
    readonly source?: string;
    readonly version?: string;
    readonly dsc: string;
    readonly sha256: string;
    readonly gitTagInfo?: string;
  };
  readonly builder?: {
    readonly profile: string;
    readonly tools: Readonly<Record<string, string>>;
  };
  readonly verifier: { readonly name: 't2u-verify'; readonly version: string };
  readonly startedOn: string;
  readonly finishedOn: string;
}

export interface Statement {
  readonly _type: typeof STATEMENT_TYPE;
  readonly subject: readonly Subject[];
  readonly predicateType: typeof VERDICT_PREDICATE_TYPE;
  readonly predicate: VerdictPredicate;
}

export interface StatementContext {
  readonly verifierVersion: string;
  readonly startedOn: Date;
  readonly finishedOn: Date;
  /** Versions of the tools of the profile that reproduced the upload (e.g. dgit, dpkg-dev). */
  readonly tools?: Readonly<Record<string, string>>;
}

const clip = (r: Reason): VerdictPredicate['reasons'][number] => ({
  code: r.code,
  layer: r.layer,
  message: r.message.length > MAX_MESSAGE ? `${r.message.slice(0, MAX_MESSAGE)}…` : r.message,
});

function subjects(report: VerifyReport): Subject[] {
  const upload = report.upload;
  if (upload === undefined) {
    const object = report.tag.object;
    return [{ name: `${report.repo}#${report.tag.name}`, digest: object === undefined ? {} : { gitTag: object } }];
  }
  const out: Subject[] = [{ name: upload.dsc, digest: { sha256: upload.sha256 } }];
  for (const f of report.reconstruction?.files ?? []) {
    if (f.expected !== undefined) out.push({ name: f.name, digest: { sha256: f.expected.sha256 } });
  }
  return out;
}

export function verdictStatement(report: VerifyReport, ctx: StatementContext): Statement {
  const upload = report.upload;
  const profile = report.reconstruction?.profile;
  const predicate: VerdictPredicate = {
    verdict: report.verdict,
    reasons: report.reasons.slice(0, MAX_REASONS).map(clip),
    tag: {
      repository: report.repo,
      name: report.tag.name,
      ...(report.tag.object === undefined ? {} : { object: report.tag.object }),
      ...(report.tag.signerFingerprint === undefined ? {} : { signerFingerprint: report.tag.signerFingerprint }),
    },
    ...(upload === undefined
      ? {}
      : {
          upload: {
            ...(upload.source === undefined ? {} : { source: upload.source }),
            ...(upload.version === undefined ? {} : { version: upload.version }),
            dsc: upload.dsc,
            sha256: upload.sha256,
            ...(upload.gitTagInfo === undefined ? {} : { gitTagInfo: upload.gitTagInfo }),
          },
        }),
    ...(profile === undefined || (report.verdict !== 'reproduced' && report.verdict !== 'equivalent')
      ? {}
      : { builder: { profile, tools: ctx.tools ?? {} } }),
    verifier: { name: 't2u-verify', version: ctx.verifierVersion },
    startedOn: ctx.startedOn.toISOString(),
    finishedOn: ctx.finishedOn.toISOString(),
  };
  return { _type: STATEMENT_TYPE, subject: subjects(report), predicateType: VERDICT_PREDICATE_TYPE, predicate };
}

const VERDICTS = new Set<string>(['reproduced', 'equivalent', 'mismatch', 'rejected', 'unverifiable']);
const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Reads a statement's JSON, checking the fields a client relies on (type,
 * predicate type, verdict, the .dsc's digest); undefined when it is not a
 * verdict statement.
 */
export function parseVerdictStatement(payload: Buffer | string): Statement | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString());
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const s = value as Partial<Statement>;
  if (s._type !== STATEMENT_TYPE || s.predicateType !== VERDICT_PREDICATE_TYPE || !Array.isArray(s.subject)) return undefined;
  const p = s.predicate;
  if (typeof p !== 'object' || p === null || typeof p.verdict !== 'string' || !VERDICTS.has(p.verdict)) return undefined;
  if (
    p.upload !== undefined &&
    (typeof p.upload !== 'object' || p.upload === null || typeof p.upload.sha256 !== 'string' || !HEX64.test(p.upload.sha256))
  ) {
    return undefined;
  }
  return s as Statement;
}
