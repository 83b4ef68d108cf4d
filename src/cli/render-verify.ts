// The human rendering of a verify report: the verdict line first, then the
// facts, then each failing layer with what differs (paths of the content
// layer, files and .dsc fields of the bits layer, tarball members with
// bounded diffs), then every reason with its code. Strings from the tag or
// the upload are shown escaped: a tagger name must not move the cursor.
import { unifiedDiff } from '../compare/index.js';
import type { ContentDifference, TarballDiff, VerifyReport } from '../report/report.js';

/** Control characters (and the C1 range) as JSON escapes; everything else as it is. */
export function safe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const short = (hex: string | undefined): string => (hex ? hex.slice(0, 12) : '-');

/** The report's repository when none was found to hold the tag (`verify SOURCE VERSION`). */
export const NOT_LOCATED = '(not located)';

const LAYERS = ['authenticity', 'metadata', 'binding', 'content', 'bits'] as const;

/** Each layer's status, neighbours with the same status (and reason for a skip) said once: "binding, content, bits skipped (why)". */
function layersLine(l: VerifyReport['layers']): string {
  const groups: { names: string[]; status: string }[] = [];
  for (const k of LAYERS) {
    const status = l[k].status === 'skipped' && l[k].detail ? `skipped (${safe(l[k].detail)})` : l[k].status;
    const last = groups.at(-1);
    if (last?.status === status) last.names.push(k);
    else groups.push({ names: [k], status });
  }
  return groups.map((g) => `${g.names.join(', ')} ${g.status}`).join('; ');
}

export function renderVerify(r: VerifyReport): string {
  const out: string[] = [];
  const s = r.source;
  const where = r.repo === NOT_LOCATED ? ' (no repository located)' : ` in ${safe(r.repo)}`;
  out.push(`${r.verdict.toUpperCase()}: ${safe(r.tag.name)}${where}${s.package ? ` (${s.package} ${s.version ?? '?'})` : ''}`);
  const t = r.tag;
  if (t.object) out.push(`  tag          ${t.object}${t.commit ? ` -> commit ${t.commit}` : ''}`);
  if (t.tagger) out.push(`  tagger       ${safe(t.tagger)}`);
  if (t.signerFingerprint) out.push(`  signed by    ${t.signerFingerprint}${t.signatureCreated ? ` at ${t.signatureCreated}` : ''}`);
  if (s.quiltMode !== undefined)
    out.push(
      `  quilt mode   ${s.quiltMode || '(native)'}${s.upstreamTag ? `, upstream ${safe(s.upstreamTag)} = ${s.upstreamCommit ?? '?'}` : ''}`,
    );
  const u = r.upload;
  if (u) {
    out.push(`  upload       ${safe(u.origin)}`);
    out.push(
      `               ${safe(u.dsc)} sha256 ${u.sha256}${u.signer ? `, signed by ${u.signer}` : ''}${u.signed ? ` at ${u.signed}` : ''}`,
    );
  }
  const rec = r.reconstruction;
  if (rec?.profile) {
    const others = rec.attempts.filter((a) => a.profile !== rec.profile);
    out.push(
      `  profile      ${rec.profile}${others.length ? ` (also tried: ${others.map((a) => `${a.profile} ${a.outcome}`).join(', ')})` : ''}`,
    );
  }
  for (const [why, profiles] of skippedByWhy(rec?.skipped ?? [])) out.push(`  not tried    ${profiles.join(', ')}: ${safe(why)}`);
  if (rec?.toolchains.length) out.push(`  toolchains   ${rec.toolchains.map((x) => `${x.name} ${x.status}`).join(', ')}`);
  const l = r.layers;
  out.push(`  layers       ${layersLine(l)}`);

  if (l.binding.status === 'fail' && u) {
    out.push('', 'binding: the upload does not name this tag');
    if (u.gitTagInfo !== undefined)
      out.push(
        `  Git-Tag-Info   upload ${safe(u.gitTagInfo)}`,
        `                 tag    tag=${t.object ?? '?'} fp=${t.signerFingerprint ?? '?'}`,
      );
    if (u.gitTagTagger !== undefined && u.gitTagTagger !== t.tagger)
      out.push(`  Git-Tag-Tagger upload ${safe(u.gitTagTagger)}`, `                 tag    ${safe(t.tagger ?? '?')}`);
  }
  if (r.content && r.content.differences.length > 0) {
    out.push('', "content: the unpacked upload is not the tag's tree");
    for (const d of r.content.differences) out.push(`  ${contentLine(d)}`);
    if (r.content.truncated) out.push(`  … and ${r.content.truncated} more`);
  }
  if (rec && l.bits.status === 'fail') {
    out.push('', `bits: rebuilt${rec.profile ? ` under ${rec.profile}` : ''} against the upload`);
    for (const f of rec.files) {
      const given = f.origin === 'given' ? " (the archive's orig, used as given)" : '';
      out.push(
        f.match
          ? `  same    ${f.name}${given}`
          : `  DIFFERS ${f.name}: upload ${f.got ? `${f.got.size} bytes ${short(f.got.sha256)}` : 'absent'}, rebuilt ${f.expected ? `${f.expected.size} bytes ${short(f.expected.sha256)}` : 'absent'}`,
      );
    }
    out.push(`  ${rec.dscIdentical ? 'same   ' : 'DIFFERS'} .dsc body`);
    for (const d of rec.fields) {
      // The checksum fields follow the files, which are listed above.
      if (/^(files|checksums-sha1|checksums-sha256)$/i.test(d.field)) continue;
      if (d.expected?.includes('\n') && d.got?.includes('\n')) {
        // A multi-line field as a diff of its lines, rebuilt → upload (as the tarball diffs run from the tag to the upload).
        const diff = unifiedDiff(`${d.expected}\n`, `${d.got}\n`, `rebuilt ${d.field}`, `upload ${d.field}`, { maxLines: 40 });
        out.push(
          `    ${d.field}:`,
          ...diff
            .replace(/\n$/, '')
            .split('\n')
            .slice(2)
            .map((l) => `      ${safe(l)}`),
        );
      } else {
        out.push(`    ${d.field}:`, `      upload  ${fieldValue(d.got)}`, `      rebuilt ${fieldValue(d.expected)}`);
      }
    }
    for (const tb of rec.tarballs ?? []) out.push(...tarballLines(tb));
  }
  if (r.reasons.length) out.push('');
  for (const x of r.reasons) out.push(`  ${x.code} (${x.layer}): ${safe(x.message)}`);
  for (const x of r.notes) out.push(`  note ${x.code} (${x.layer}): ${safe(x.message)}`);
  return `${out.join('\n')}\n`;
}

/** Skipped profiles grouped by their reason, in order. */
export function skippedByWhy(skipped: readonly { readonly profile: string; readonly why: string }[]): Map<string, string[]> {
  const by = new Map<string, string[]>();
  for (const x of skipped) by.set(x.why, [...(by.get(x.why) ?? []), x.profile]);
  return by;
}

function contentLine(d: ContentDifference): string {
  const where = d.scope === 'orig' ? 'orig ' : '';
  switch (d.change) {
    case 'added':
      return `${where}added    ${safe(d.path)} (${d.got?.mode ?? '?'} ${short(d.got?.oid)}): in the upload, not in the tag`;
    case 'removed':
      return `${where}removed  ${safe(d.path)} (${d.expected?.mode ?? '?'} ${short(d.expected?.oid)}): in the tag, not in the upload`;
    case 'changed':
      return `${where}changed  ${safe(d.path)}: tag ${d.expected?.mode ?? '?'} ${short(d.expected?.oid)}, upload ${d.got?.mode ?? '?'} ${short(d.got?.oid)}`;
    case 'mode':
      return `${where}mode     ${safe(d.path)}: tag ${d.expected?.mode ?? '?'}, upload ${d.got?.mode ?? '?'}`;
  }
}

/** A tar mtime (seconds since the epoch) as a UTC date, as diffoscope shows it. */
function date(seconds: number): string {
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime())
    ? String(seconds)
    : d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.000Z$/, ' UTC');
}

function fieldValue(v: string | undefined): string {
  if (v === undefined) return '(absent)';
  const lines = v.split('\n');
  const shown = lines.slice(0, 8).map(safe).join('\n              ');
  return lines.length > 8 ? `${shown}\n              … ${lines.length - 8} more lines` : shown;
}

function tarballLines(tb: TarballDiff): string[] {
  const out = [`  ${tb.file}, member by member (rebuilt from the tag → upload):`];
  if (tb.error) out.push(`    (members not listed: ${safe(tb.error)})`);
  for (const m of tb.members) {
    const side = (x: typeof m.expected): string =>
      x ? `${x.mode} ${x.size} bytes ${short(x.sha256)}${x.mtime !== undefined ? ` mtime ${date(x.mtime)}` : ''}` : 'absent';
    out.push(`    ${m.change.padEnd(7)} ${safe(m.path)}: ${side(m.expected)} → ${side(m.got)}`);
    if (m.diff) out.push(...m.diff.split('\n').map((x) => `      ${safe(x)}`));
  }
  if (tb.truncated) out.push(`    … and ${tb.truncated} more members`);
  return out;
}
