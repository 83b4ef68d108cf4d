// Human text for a TarballDiff (the CLI's non-JSON output): one line per
// member that differs, with sizes, modes and hashes abbreviated, then each
// unified diff indented under its member. Member names and file contents
// come from the tarballs, so control characters (newlines, terminal escape
// sequences) and bidirectional overrides are shown escaped: a name cannot
// forge another line of the report or rewrite the terminal.
import type { TarballDiff, TarMemberFacts } from '../report/report.js';

type Member = TarballDiff['members'][number];

const SIGN: Record<Member['change'], string> = { added: '+', removed: '-', changed: '~' };

export function renderTarballDiff(d: TarballDiff, indent = ''): string {
  const lines: string[] = [];
  const file = escapeText(d.file);
  if (d.error !== undefined) {
    lines.push(`${indent}${file}: members could not be listed: ${escapeText(d.error)}`);
    return lines.map((l) => `${l}\n`).join('');
  }
  const count = d.members.length + (d.truncated ?? 0);
  lines.push(
    `${indent}${file}: ${count === 0 ? 'no member differs' : `${count} member${count === 1 ? '' : 's'} differ${count === 1 ? 's' : ''}`}`,
  );
  for (const m of d.members) {
    lines.push(`${indent}  ${SIGN[m.change]} ${escapeText(m.path)}  ${summary(m)}`);
    if (m.diff) {
      for (const l of m.diff.replace(/\n$/, '').split('\n')) lines.push(`${indent}      ${escapeText(l, true)}`);
    }
  }
  if (d.truncated) lines.push(`${indent}  … and ${d.truncated} more member${d.truncated === 1 ? '' : 's'} not listed`);
  return lines.map((l) => `${l}\n`).join('');
}

function summary(m: Member): string {
  if (m.change !== 'changed') return side((m.got ?? m.expected)!);
  const e = m.expected!;
  const g = m.got!;
  return (m.aspects ?? [])
    .map((a) => {
      switch (a) {
        case 'content':
          return `content ${size(e.size)} ${hash(e.sha256)} → ${size(g.size)} ${hash(g.sha256)}`;
        case 'type':
          return `type ${e.type ?? '?'} → ${g.type ?? '?'}`;
        case 'mode':
          return `mode ${e.mode} → ${g.mode}`;
        case 'link':
          return `link ${quote(e.link ?? '')} → ${quote(g.link ?? '')}`;
        case 'owner':
          return `owner ${escapeText(e.owner ?? '?')} → ${escapeText(g.owner ?? '?')}`;
        case 'mtime':
          return `mtime ${time(e.mtime)} → ${time(g.mtime)}`;
        default:
          return a;
      }
    })
    .join('; ');
}

function side(f: TarMemberFacts): string {
  const parts = [f.type ?? 'file', f.mode, size(f.size), hash(f.sha256)];
  if (f.link !== undefined) parts.push(`→ ${quote(f.link)}`);
  if (f.owner !== undefined) parts.push(escapeText(f.owner));
  parts.push(time(f.mtime));
  return parts.join(' ');
}

function size(n: number): string {
  return `${n} B`;
}

/** 12 hex digits: enough to tell two versions apart at a glance; the JSON report has the full hash. */
function hash(sha256: string): string {
  return `sha256:${sha256.slice(0, 12)}`;
}

function time(t: number | undefined): string {
  if (t === undefined) return '?';
  const d = new Date(t * 1000);
  return Number.isNaN(d.getTime())
    ? String(t)
    : d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.000Z$/, 'Z');
}

function quote(s: string): string {
  return `"${escapeText(s)}"`;
}

/**
 * Escapes C0 and C1 controls, DEL, and the Unicode bidirectional controls
 * (the "Trojan Source" characters); a tab is kept in diff lines.
 */
export function escapeText(s: string, keepTab = false): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    if (keepTab && c === '\t') return c;
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
