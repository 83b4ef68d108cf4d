// Renders the reason-code registry as docs/reason-codes.md. The document is
// generated (`npm run docs`) and a test checks it matches the registry.
import { REASONS, RENAMED_CODES, type Effect, type ReasonCode, type ReasonInfo, type SubjectInfo } from './reasons.js';

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
    "The OpenPGP codes name the same failure of the tag's signature and of the upload's `.dsc`",
    'signature; their reasons carry `subject` (`tag` or `upload`), which sets the layer and verdict.',
    'Codes are stable: alerts and scripts may key on them. This page is generated from',
    '`src/report/reasons.ts` by `npm run docs`; a test keeps it in step.',
    '',
    '| code | layer | verdict it leads to | meaning | what to do |',
    '|---|---|---|---|---|',
  ];
  const row = (name: string, info: SubjectInfo): string =>
    `| ${name} | ${info.layer} | ${VERDICT_OF[info.effect]} | ${info.meaning.replace(/\|/g, '\\|')} | ${info.action.replace(/\|/g, '\\|')} |`;
  for (const [code, info] of Object.entries(REASONS) as [ReasonCode, ReasonInfo][]) {
    if (info.upload === undefined) {
      lines.push(row(`\`${code}\``, info));
      continue;
    }
    lines.push(row(`\`${code}\` (subject \`tag\`)`, info), row(`\`${code}\` (subject \`upload\`)`, info.upload));
  }
  lines.push(
    '',
    '## Codes of earlier versions',
    '',
    "Earlier versions named the `.dsc` signature's findings apart. Reports stored by them are read with",
    "these codes as today's, with subject `upload`:",
    '',
    '| earlier code | read as |',
    '|---|---|',
    ...Object.entries(RENAMED_CODES).map(([old, now]) => `| \`${old}\` | \`${now.code}\` (subject \`${now.subject}\`) |`),
  );
  return lines.join('\n') + '\n';
}
