// The report of one verification as it is assembled: reasons and notes in
// the order the layers found them, the per-layer bookkeeping (which layers
// ran, why one compared nothing), timings, and the verdict at the end
// (report/report.ts decides it from the reasons).
import { performance } from 'node:perf_hooks';
import type { Binding } from '../bind/index.js';
import { builtTagProblem, settleUnpackRefusal } from '../bind/index.js';
import type { ContentCheckResult } from '../compare/index.js';
import type { ReproduceResult } from '../reconstruct/index.js';
import { effectOf, type Reason } from '../report/reasons.js';
import {
  layerResult,
  REPORT_SCHEMA,
  verifyVerdict,
  type CheckTagReport,
  type ReconstructionFacts,
  type UploadFacts,
  type VerifyReport,
} from '../report/report.js';

/** Why the reasons so far already make the upload a mismatch (the first alarm's layer and code), or undefined. */
export function refutation(reasons: readonly Reason[]): string | undefined {
  const alarm = reasons.find((r) => effectOf(r) === 'mismatch');
  return alarm ? `the ${alarm.layer} layer already refutes the upload (${alarm.code})` : undefined;
}

export class VerifyRun {
  reasons: Reason[];
  notes: Reason[];
  readonly timings: Record<string, number>;
  readonly report: { upload?: UploadFacts; content?: VerifyReport['content']; reconstruction?: ReconstructionFacts } = {};
  private bindingRan = false;
  private contentRan = false;
  /** Why the content layer compared nothing, when it is known. */
  private contentSkipped: string | undefined;
  private bitsRan = false;
  private explained = false;

  constructor(
    private readonly repo: string,
    readonly check: CheckTagReport,
    private readonly started: number,
  ) {
    this.reasons = [...check.reasons];
    this.notes = [...check.notes];
    this.timings = { ...check.timings };
  }

  async timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.timings[name] = Math.round((performance.now() - t0) * 10) / 10 + (this.timings[name] ?? 0);
    }
  }

  /** Layer 3's findings. */
  takeBinding(b: Binding): void {
    this.bindingRan = true;
    this.report.upload = b.facts;
    this.reasons.push(...b.reasons);
  }

  /** Layer 4's findings, or the reason it could not run. */
  takeContent(c: ContentCheckResult | Reason): void {
    if ('code' in c) {
      this.reasons.push(c);
      return;
    }
    this.reasons.push(...c.reasons);
    this.notes.push(...c.notes);
    if (c.facts) {
      this.contentRan = true;
      this.report.content = c.facts;
    }
  }

  /** Layer 5's findings (dgit's build), set against the tag judged and the content layer's refusal. */
  takeReproduction(r: ReproduceResult): void {
    this.reasons.push(...r.reasons);
    this.notes.push(...r.notes);
    this.bitsRan = r.profile !== undefined;
    this.explained = r.verdict === 'equivalent';
    const changed = builtTagProblem(r, this.check.tag);
    if (changed) this.reasons.push(changed);
    this.report.reconstruction = {
      ...(r.profile ? { profile: r.profile } : {}),
      ...(r.profileHint ? { profileHint: r.profileHint } : {}),
      attempts: r.attempts.map((a) => ({
        profile: a.profile,
        outcome: a.outcome,
        ...(a.differences !== undefined ? { differences: a.differences } : {}),
        durationMs: Math.round(a.durationMs),
        ...(a.steps ? { stepsMs: Object.fromEntries(Object.entries(a.steps).map(([k, v]) => [k, Math.round(v)])) } : {}),
      })),
      ...(r.skipped.length ? { skipped: r.skipped } : {}),
      toolchains: [
        {
          name: 'dgit',
          status: r.profile === undefined ? 'failed' : r.verdict === 'reproduced' || r.verdict === 'equivalent' ? 'agrees' : 'differs',
          ...(r.profile ? { detail: `dgit's builder mode under profile ${r.profile}` } : {}),
        },
      ],
      files: r.files,
      fields: r.fields,
      dscIdentical: r.dscIdentical,
    };
    const settled = settleUnpackRefusal(this.reasons, this.notes, r);
    this.reasons = settled.reasons;
    this.notes = settled.notes;
    if (settled.contentSkipped !== undefined) this.contentSkipped = settled.contentSkipped;
  }

  finish(skipped?: string): VerifyReport {
    const c = this.check;
    this.timings['totalMs'] = Math.round(performance.now() - this.started);
    const reasons = this.reasons;
    // A tag check-tag did not authenticate: rejected or unverifiable as it said, nothing built.
    const verdict = c.verdict === 'rejected' ? 'rejected' : verifyVerdict(reasons, this.explained);
    const later = skipped ?? 'an earlier step failed';
    return {
      schema: REPORT_SCHEMA,
      kind: 'verify',
      verdict,
      reasons,
      notes: this.notes,
      layers: {
        authenticity: c.layers.authenticity,
        metadata: c.layers.metadata,
        binding: layerResult('binding', reasons, this.bindingRan, later),
        content: layerResult('content', reasons, this.contentRan, this.contentSkipped ?? later),
        bits: layerResult('bits', reasons, this.bitsRan, later),
      },
      repo: this.repo,
      tag: c.tag,
      source: c.source,
      ...this.report,
      timings: this.timings,
    };
  }
}
