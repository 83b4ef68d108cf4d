// The defused .git/info/attributes a build copies instead of starting dgit:
// made by each rootfs's own `dgit setup-gitattributes` (dgit 12.16 in
// trixie; dgit 17 in forky also defuses export-ignore and export-subst, which
// change what git deborig puts in an orig), once per rootfs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defusedGitattributes } from '../../src/reconstruct/gitattributes.js';
import { builderSandboxFor } from '../helpers/builder-rootfs.js';
import { hostSandbox } from '../helpers/host-sandbox.js';

describe('defusedGitattributes', () => {
  it("is the rootfs's dgit's text, made once per rootfs", async () => {
    const trixie = await builderSandboxFor('trixie');
    const a = await defusedGitattributes(trixie);
    expect(a?.toString('utf8')).toMatch(
      /^\*\tdgit-defuse-attrs\n\[attr\]dgit-defuse-attrs\t-text -eol -crlf -ident -filter -working-tree-encoding\n/,
    );
    expect(a?.toString('utf8')).toContain('# ^ see GITATTRIBUTES in dgit(7)');
    expect(await defusedGitattributes(trixie)).toBe(a);
    // Kept beside the cached rootfs, for the next process.
    expect(readFileSync(join(trixie.stateDir!, 'dgit-gitattributes'))).toEqual(a);
    const forky = await defusedGitattributes(await builderSandboxFor('forky'));
    expect(forky?.toString('utf8')).toMatch(/^\[attr\]dgit-defuse-attrs\t.*-export-ignore -export-subst/m);
  }, 120_000);

  it('is undefined where dgit cannot make it (the build then runs dgit itself)', async () => {
    // The host has no dgit.
    expect(await defusedGitattributes(hostSandbox)).toBeUndefined();
  }, 60_000);
});
