// Manual pages for t2u-verify and each subcommand, made from the same
// commander definitions that print --help, so the two cannot disagree:
// t2u-verify(1), t2u-verify-verify(1), t2u-verify-sandbox-build(1), ….
// No date in the header: the pages are reproducible and checked in
// (docs/man/, written by `npm run docs`).
import type { Command, Help } from 'commander';
import { buildProgram, VERSION } from './main.js';

/** roff text: backslashes escaped, a line starting with . or ' made literal, hyphens as \-. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}

/** The text addHelpText('after') adds, which commander's helpInformation() leaves out. */
function afterText(cmd: Command): string {
  let out = '';
  const saved = cmd.configureOutput();
  cmd.configureOutput({ ...saved, writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  try {
    cmd.outputHelp();
  } finally {
    cmd.configureOutput(saved);
  }
  const info = cmd.helpInformation();
  const at = out.indexOf(info);
  return at < 0 ? '' : out.slice(at + info.length).trim();
}

function pathOf(cmd: Command): string[] {
  const names: string[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) names.unshift(c.name());
  return names;
}

function page(cmd: Command, help: Help, all: readonly Command[]): string {
  const path = pathOf(cmd);
  const name = path.join('-');
  const out: string[] = [
    '.\\" -*- coding: UTF-8 -*-',
    `.\\" Made from t2u-verify's --help by \`npm run docs\`; do not edit.`,
    `.TH ${roff(name.toUpperCase())} 1 "" "t2u-verify ${VERSION}" "User Commands"`,
    '.SH NAME',
    `${roff(name)} \\- ${roff(cmd.description())}`,
    '.SH SYNOPSIS',
    `.B ${roff(path.join(' '))}`,
    roff(help.commandUsage(cmd).split(' ').slice(path.length).join(' ')),
    '.SH DESCRIPTION',
    roff(cmd.description()),
  ];
  const args = help.visibleArguments(cmd);
  if (args.length > 0) {
    out.push('.SH ARGUMENTS');
    for (const a of args) out.push('.TP', `.I ${roff(help.argumentTerm(a))}`, roff(help.argumentDescription(a)));
  }
  const subs = help.visibleCommands(cmd).filter((c) => c.name() !== 'help');
  if (subs.length > 0) {
    out.push('.SH COMMANDS');
    for (const c of subs) out.push('.TP', `.BR ${roff([...path, c.name()].join('-'))} (1)`, roff(c.description()));
  }
  const options = help.visibleOptions(cmd);
  if (options.length > 0) {
    out.push('.SH OPTIONS');
    for (const o of options) out.push('.TP', `.B ${roff(help.optionTerm(o))}`, roff(help.optionDescription(o)));
  }
  const after = afterText(cmd);
  if (after !== '') out.push('.SH NOTES', '.nf', roff(after), '.fi');
  const see = all
    .filter((c) => c !== cmd && (c === cmd.parent || c.parent === cmd || c.parent === null))
    .map((c) => `${pathOf(c).join('-')}(1)`);
  out.push('.SH SEE ALSO', roff([...new Set(see)].join(', ')));
  return `${out.join('\n')}\n`;
}

/** Every page, by file name (t2u-verify.1, t2u-verify-verify.1, …). */
export function renderManPages(program: Command = buildProgram(() => {})): Map<string, string> {
  const all: Command[] = [];
  const walk = (c: Command): void => {
    all.push(c);
    for (const s of c.commands) walk(s);
  };
  walk(program);
  const help = program.createHelp();
  return new Map(all.map((c) => [`${pathOf(c).join('-')}.1`, page(c, help, all)]));
}
