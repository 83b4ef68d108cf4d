// The manual pages in docs/man are what `npm run docs` makes from the
// commands' --help definitions now (one page per command and subcommand),
// and groff reads them without a warning.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderManPages } from '../../src/cli/man-pages.js';
import { buildProgram } from '../../src/cli/main.js';
import { REPO_ROOT } from '../reconstruct/upload-fixtures.js';

const MAN = join(REPO_ROOT, 'docs', 'man');
const pages = renderManPages();

describe('manual pages', () => {
  it('docs/man is current: regenerate with `npm run docs`', () => {
    expect(readdirSync(MAN).sort()).toEqual([...pages.keys()].sort());
    for (const [name, text] of pages) expect(readFileSync(join(MAN, name), 'utf8'), name).toBe(text);
  });

  it('one page per command, each option of its --help in it', () => {
    const program = buildProgram(() => {});
    const verify = program.commands.find((c) => c.name() === 'verify')!;
    const page = pages.get('t2u-verify-verify.1')!;
    for (const o of verify.options) expect(page, o.flags).toContain(o.long!.replace(/-/g, '\\-'));
    expect(page).toMatch(/^\.SH NOTES$/m);
    expect(pages.get('t2u-verify-sandbox-build.1')).toMatch(/^\.B t2u\\-verify sandbox build$/m);
    expect(pages.get('t2u-verify.1')).toMatch(/^\.BR t2u\\-verify\\-serve \(1\)$/m);
  });

  it.skipIf(spawnSync('groff', ['--version']).status !== 0)('groff reads every page without a warning', () => {
    const r = spawnSync('groff', ['-k', '-man', '-Tutf8', '-ww', '-z', ...[...pages.keys()].map((n) => join(MAN, n))], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
