// Human-readable rendering of reports: the verdict line first, then the facts
// and every reason with its code.
import type { CheckTagReport } from '../report/report.js';

export function renderCheckTag(r: CheckTagReport): string {
  const out: string[] = [];
  out.push(`${r.verdict}: ${r.tag.name} in ${r.repo}`);
  const t = r.tag;
  if (t.object) out.push(`  tag object   ${t.object}${t.commit ? ` -> commit ${t.commit}` : ''}`);
  if (t.tagger) out.push(`  tagger       ${t.tagger}${t.taggerDate ? ` (${t.taggerDate})` : ''}`);
  if (t.signerFingerprint) {
    const primary = t.primaryFingerprint && t.primaryFingerprint !== t.signerFingerprint ? ` (primary ${t.primaryFingerprint})` : '';
    out.push(`  signed by    ${t.signerFingerprint}${primary}`);
    if (t.keyring) out.push(`  keyring      ${t.keyring}`);
    if (t.digestAlgorithm || t.signatureCreated)
      out.push(`  signature    ${[t.digestAlgorithm, t.signatureCreated].filter(Boolean).join(', ')}`);
  }
  const s = r.source;
  if (s.package) {
    out.push(`  source       ${s.package} ${s.version ?? '?'}, quilt mode ${s.quiltMode ?? '?'}, distro ${(s.distros ?? []).join(' ')}`);
    if (s.upstreamTag) out.push(`  upstream     ${s.upstreamTag} = ${s.upstreamCommit ?? '?'}`);
  }
  out.push(`  layers       authenticity ${fmtLayer(r.layers.authenticity)}, metadata ${fmtLayer(r.layers.metadata)}`);
  for (const x of r.reasons) out.push(`  ${x.code} (${x.layer}): ${x.message}`);
  for (const x of r.notes) out.push(`  note ${x.code} (${x.layer}): ${x.message}`);
  return out.join('\n') + '\n';
}

function fmtLayer(l: { status: string; detail?: string }): string {
  return l.status === 'skipped' && l.detail ? `skipped (${l.detail})` : l.status;
}
