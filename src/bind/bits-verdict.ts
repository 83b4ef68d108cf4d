// The bits layer's findings set against the other layers': the rebuild must
// be of the judged tag object, and an upload Debian's dpkg-source -x refuses
// to unpack (UPLOAD_UNPACK_REFUSED, so the content layer compared nothing)
// is settled by the bits layer when the rebuild from the tag gave every file
// of the upload byte for byte.
import type { ReproduceResult } from '../reconstruct/index.js';
import { reason, type Reason } from '../report/reasons.js';
import type { TagFacts } from '../report/report.js';

/** The build fetched the tag again: a reason when it was not the object check-tag judged. */
export function builtTagProblem(r: ReproduceResult, tag: TagFacts): Reason | undefined {
  const built = r.build?.tag?.object;
  if (built === undefined || built === tag.object) return undefined;
  return reason('BUILD_FAILED', `the repository's tag changed during verification: ${built}, not ${tag.object ?? '?'}`);
}

export interface SettledRefusal {
  readonly reasons: Reason[];
  readonly notes: Reason[];
  /** Why the content layer compared nothing, when the refusal was settled. */
  readonly contentSkipped?: string;
}

/**
 * An UPLOAD_UNPACK_REFUSED among `reasons` becomes a note when the bits
 * layer reproduced the upload (`reproduced` or `equivalent`): every file is
 * what the tag makes. Otherwise it stays (beside the bits layer's own
 * mismatch, or as an unverifiable verdict).
 */
export function settleUnpackRefusal(reasons: readonly Reason[], notes: readonly Reason[], r: ReproduceResult): SettledRefusal {
  const i = reasons.findIndex((x) => x.code === 'UPLOAD_UNPACK_REFUSED');
  if (i < 0 || (r.verdict !== 'reproduced' && r.verdict !== 'equivalent')) return { reasons: [...reasons], notes: [...notes] };
  const refusal = reasons[i]!;
  return {
    reasons: reasons.filter((_, j) => j !== i),
    notes: [
      ...notes,
      reason(
        'UPLOAD_UNPACK_REFUSED',
        `${refusal.message}; the rebuild from the tag gave every file of the upload byte for byte (profile ${r.profile ?? '?'}), so the upload is what the tag says, although Debian's own dpkg-source -x will not unpack it`,
      ),
    ],
    contentSkipped:
      'dpkg-source -x refuses the upload (a debian/ symlink points outside the tree); the bits layer rebuilt every file from the tag',
  };
}
