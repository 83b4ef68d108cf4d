// Reports as the store and the log keep them, read by a later version: the
// codes of the .dsc signature check that earlier versions named apart
// (UPLOAD_SIGNATURE_INVALID, …) are read as the OpenPGP family's codes with
// subject `upload` (RENAMED_CODES in src/report/reasons.ts), so that the
// dashboard, the API and the retry rule see one set of codes. The message and
// layer are kept as written; anything else is left as it is.
import { RENAMED_CODES } from './reasons.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One stored reason, with a renamed code read as today's. */
export function upgradeStoredReason(r: unknown): unknown {
  if (!isObj(r) || typeof r['code'] !== 'string' || !Object.hasOwn(RENAMED_CODES, r['code'])) return r;
  const renamed = RENAMED_CODES[r['code']]!;
  return { ...r, code: renamed.code, subject: renamed.subject };
}

/** A stored report (any shape) with the reasons and notes of earlier versions read as today's. */
export function upgradeStoredReport(report: unknown): unknown {
  if (!isObj(report)) return report;
  let out: Obj | undefined;
  for (const key of ['reasons', 'notes'] as const) {
    const list = report[key];
    if (!Array.isArray(list) || !list.some((r) => isObj(r) && typeof r['code'] === 'string' && Object.hasOwn(RENAMED_CODES, r['code'])))
      continue;
    out ??= { ...report };
    out[key] = list.map(upgradeStoredReason);
  }
  return out ?? report;
}
