// What a verdict asks of the person reading it, from the layer of the reason
// that decided it (src/report/reasons.ts), never from a message's text. The
// layers say who is at fault: a tag that fails authenticity or metadata is
// the maintainer's side (or an attacker's tag); an authentic tag whose upload
// differs in binding, content or bits points at the path from the tag to the
// archive (the tag2upload service, its builder, the archive); a verdict the
// verifier could not reach is its own operator's to fix.
import { REASONS, type Effect, type Layer, type ReasonCode } from './reasons.js';

/** Where to look: the tag, the upload path, this verifier, or another verifier's log. */
export type Suspect = 'tag' | 'upload-path' | 'verifier' | 'log';

export interface Advice {
  readonly suspect: Suspect;
  /** The reason that decided the verdict. */
  readonly code: ReasonCode;
  readonly layer: Layer;
  /** One line: what failed, and where to look. */
  readonly headline: string;
  /** What to do. */
  readonly steps: string;
}

/** The verdict's order of effects (src/report/report.ts strongestEffect): the first present decides. */
const DECIDING: readonly Exclude<Effect, 'note'>[] = ['reject', 'mismatch', 'unverifiable'];

/** A reason as stored: any object; only its code is read (the layer comes from the registry). */
export interface StoredReason {
  readonly code?: unknown;
}

/**
 * The advice for a verdict's reasons, or undefined when none changes the
 * verdict (reproduced, equivalent, authentic) or none is known to this
 * version. `tagPassed`: the report says authenticity and metadata passed.
 */
export function adviceFor(reasons: readonly StoredReason[], tagPassed: boolean): Advice | undefined {
  const known = reasons
    .map((r) => (typeof r.code === 'string' && Object.hasOwn(REASONS, r.code) ? (r.code as ReasonCode) : undefined))
    .filter((c): c is ReasonCode => c !== undefined);
  for (const effect of DECIDING) {
    const code = known.find((c) => REASONS[c].effect === effect);
    if (code === undefined) continue;
    const { layer } = REASONS[code];
    return { code, layer, ...words(suspectOf(layer, effect), layer, tagPassed) };
  }
  return undefined;
}

function suspectOf(layer: Layer, effect: Exclude<Effect, 'note'>): Suspect {
  if (effect === 'unverifiable') return 'verifier';
  if (layer === 'transparency') return 'log';
  if (effect === 'reject') return 'tag';
  return 'upload-path';
}

function words(suspect: Suspect, layer: Layer, tagPassed: boolean): { suspect: Suspect; headline: string; steps: string } {
  switch (suspect) {
    case 'tag':
      return {
        suspect,
        headline: `The tag fails ${layer}: it is not a valid, authorised tag2upload instruction, so it should never have been uploaded.`,
        steps:
          'Treat the tag as hostile until its maintainer explains it. If the archive holds an upload made from it, ask the tag2upload service why it accepted the tag.',
      };
    case 'upload-path':
      return {
        suspect,
        headline: `${tagPassed ? 'The tag is authentic and valid, but the' : 'The'} upload differs from what the tag says (${layer}): suspect the upload path — the tag2upload service, its builder, or the archive${tagPassed ? ', not the maintainer' : ''}.`,
        steps:
          "Do not trust the upload. Keep it and this report as evidence, have a second verifier check the same upload, and tell the tag2upload service's operators (and ftp-master for an upload in the archive).",
      };
    case 'verifier':
      return {
        suspect,
        headline: `The verifier could not decide (${layer}): nothing is known yet about the tag or the upload, and this is not an alarm.`,
        steps:
          "For this verifier's operator: the reasons' actions say what to fix (network, sandbox, keyrings, configuration); then verify again.",
      };
    case 'log':
      return {
        suspect,
        headline: "A verifier's transparency log or attestation does not check out.",
        steps: "Keep the checkpoints and attestations as evidence and ask that verifier's operator; do not count its verdicts meanwhile.",
      };
  }
}
