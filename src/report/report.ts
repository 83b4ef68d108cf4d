// The report object of DESIGN.md §4 and the rule that turns reasons into a verdict.
import { REASONS, type Layer, type Reason } from './reasons.js';

export const REPORT_SCHEMA = 't2u-verify/report/v1';

export type CheckTagVerdict = 'authentic' | 'rejected' | 'unverifiable';

export type LayerStatus = 'pass' | 'fail' | 'skipped';

export interface LayerResult {
  readonly status: LayerStatus;
  /** Why the layer was skipped or could not run, when it was. */
  readonly detail?: string;
}

export interface TagFacts {
  name: string;
  object?: string;
  commit?: string;
  tagger?: string;
  taggerDate?: string;
  /** Fingerprint of the key that made the signature (often a subkey), lower case, as in `Git-Tag-Info fp=`. */
  signerFingerprint?: string;
  /** Fingerprint of that key's primary key, lower case. */
  primaryFingerprint?: string;
  /** The keyring (file path) whose key verified the signature. */
  keyring?: string;
  /** The data signature's digest algorithm, e.g. "sha512". */
  digestAlgorithm?: string;
  signatureCreated?: string;
}

export interface SourceFacts {
  package?: string;
  version?: string;
  quiltMode?: string;
  distros?: string[];
  upstreamCommit?: string;
  upstreamTag?: string;
}

export interface CheckTagReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly kind: 'check-tag';
  readonly verdict: CheckTagVerdict;
  readonly reasons: Reason[];
  /** Reasons that policy reports without rejecting (e.g. SHA-1 key bindings under `report`). */
  readonly notes: Reason[];
  readonly layers: { authenticity: LayerResult; metadata: LayerResult };
  readonly repo: string;
  readonly tag: TagFacts;
  readonly source: SourceFacts;
  readonly timings: Record<string, number>;
}

/**
 * The verdict of layers 1–2: a definite rejection is never hidden behind an
 * undecidable later step; `note` reasons never change the verdict.
 */
export function checkTagVerdict(reasons: readonly Reason[]): CheckTagVerdict {
  const effects = new Set<string>(reasons.map((r) => REASONS[r.code].effect));
  if (effects.has('reject') || effects.has('mismatch')) return 'rejected';
  if (effects.has('unverifiable')) return 'unverifiable';
  return 'authentic';
}

export function layerResult(layer: Layer, reasons: readonly Reason[], ran: boolean, detail?: string): LayerResult {
  if (reasons.some((r) => r.layer === layer)) return { status: 'fail' };
  if (!ran) return detail === undefined ? { status: 'skipped' } : { status: 'skipped', detail };
  return { status: 'pass' };
}

export const EXIT = { ok: 0, failed: 1, usage: 2, unverifiable: 3 } as const;

export function exitCodeFor(verdict: CheckTagVerdict): number {
  switch (verdict) {
    case 'authentic':
      return EXIT.ok;
    case 'rejected':
      return EXIT.failed;
    case 'unverifiable':
      return EXIT.unverifiable;
  }
}
