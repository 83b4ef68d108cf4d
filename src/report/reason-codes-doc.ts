// Renders the reason-code registry as docs/reason-codes.md. The document is
// generated (`npm run docs`) and a test checks it matches the registry.
import { REASONS, type Effect } from './reasons.js';

const VERDICT_OF: Record<Effect, string> = {
  reject: 'rejected',
  mismatch: 'mismatch',
  unverifiable: 'unverifiable',
  note: '— (reported only)',
};

export function renderReasonCodes(): string {
  const lines = [
    '# Reason codes',
    '',
    'Every failing or noteworthy check adds a reason `{code, layer, message}` to the report.',
    'Codes are stable: alerts and scripts may key on them. This page is generated from',
    '`src/report/reasons.ts` by `npm run docs`; a test keeps it in step.',
    '',
    '| code | layer | verdict it leads to | meaning | what to do |',
    '|---|---|---|---|---|',
  ];
  for (const [code, info] of Object.entries(REASONS)) {
    lines.push(`| \`${code}\` | ${info.layer} | ${VERDICT_OF[info.effect]} | ${info.meaning.replace(/\|/g, '\\|')} | ${info.action.replace(/\|/g, '\\|')} |`);
  }
  return lines.join('\n') + '\n';
}
