// The two toolchains' rule (docs/architecture.md §2, layer 5 twice over):
// dgit's build in the sandbox and the verifier's own TypeScript toolchain
// each make the package from the tag; their answers must agree. A
// disagreement is reported (TOOLCHAINS_DISAGREE), never resolved in favour
// of either. A tarball whose member mtimes leaked from the builder's
// checkout (CHECKOUT_MTIME_LEAK, explained by dgit's comparison) cannot be
// made from git objects alone, as the TypeScript toolchain clamps every
// mtime: its other files and .dsc fields must still agree.
import type { ReproduceResult } from '../reconstruct/index.js';
import type { SecondToolchainResult } from '../reconstruct/index.js';
import { reason, type Reason } from '../report/reasons.js';
import type { ToolchainResult } from '../report/report.js';

/** What the second toolchain gave: its result, or why it did not run or failed. */
export type SecondToolchainOutcome =
  | { readonly ran: true; readonly result: SecondToolchainResult }
  | { readonly ran: false; readonly status: 'not-run' | 'failed'; readonly detail: string };

export interface ToolchainJudgement {
  readonly toolchain: ToolchainResult;
  readonly reasons: readonly Reason[];
}

/** The TypeScript toolchain's line in the report, and TOOLCHAINS_DISAGREE when it and dgit's build (`dgit`, under `profile`) disagree. */
export function judgeToolchains(dgit: ReproduceResult, profile: string, second: SecondToolchainOutcome): ToolchainJudgement {
  if (!second.ran) return { toolchain: { name: 'typescript', status: second.status, detail: second.detail }, reasons: [] };
  const result = second.result;
  if (!result.supported) return { toolchain: { name: 'typescript', status: 'not-run', detail: result.why }, reasons: [] };
  const leaked = new Set(dgit.files.filter((f) => f.explainedBy === 'CHECKOUT_MTIME_LEAK').map((f) => f.name));
  const files = result.files.filter((f) => f.status === 'differs' && !leaked.has(f.name));
  const fields = (result.dscBody.fields ?? []).filter(
    (f) => !(leaked.size > 0 && /^(files|checksums-sha1|checksums-sha256)$/i.test(f.field)),
  );
  const bodyDiffers = result.dscBody.status === 'differs' && (fields.length > 0 || leaked.size === 0);
  const differing = [
    ...files.map((f) => `${f.name}${f.detail ? ` (${f.detail})` : ''}`),
    ...(bodyDiffers ? [`.dsc body${fields.length ? ` (${fields.map((f) => f.field).join(', ')})` : ''}`] : []),
  ];
  const agrees = result.agrees || (leaked.size > 0 && differing.length === 0);
  const recompressed = result.files.filter((f) => f.status === 'same-tar-different-compression').map((f) => f.name);
  const toolchain: ToolchainResult = {
    name: 'typescript',
    status: agrees ? 'agrees' : 'differs',
    detail: agrees
      ? `the verifier's own tar, git archive and .dsc writers${recompressed.length ? `; same tar stream, other compression: ${recompressed.join(', ')}` : ''}${leaked.size ? `; checkout mtimes not modelled: ${[...leaked].join(', ')}` : ''}`
      : `differs from the upload: ${differing.join('; ')}`,
  };
  // An undecided dgit comparison (say, a Dgit commit dgit-repos could not show) is no disagreement.
  const dgitAgrees = dgit.verdict === 'reproduced' || dgit.verdict === 'equivalent';
  const reasons: Reason[] = [];
  if ((dgitAgrees && !agrees) || (dgit.verdict === 'mismatch' && agrees)) {
    reasons.push(
      reason(
        'TOOLCHAINS_DISAGREE',
        dgitAgrees
          ? `dgit's build reproduced the upload under ${profile}, the TypeScript toolchain did not: ${differing.join('; ')}`
          : `the TypeScript toolchain reproduced the upload under ${profile}, dgit's build did not`,
      ),
    );
  }
  return { toolchain, reasons };
}
