// The builder profile table and its ordering rule; and that each profile's
// rootfs really carries the dgit, dpkg-dev and gitattributes regime the
// table says (read from the cached rootfs, built if absent).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROFILES, profileByName, profileOrder } from '../../src/sandbox/builder-profiles.js';
import { locateRootfs } from '../../src/sandbox/rootfs.js';
import { existsSync } from 'node:fs';
import { installedVersions } from '../../src/sandbox/dpkg-status.js';

describe('profile table', () => {
  it('has unique names and looks them up', () => {
    expect(new Set(PROFILES.map((p) => p.name)).size).toBe(PROFILES.length);
    expect(profileByName('trixie')?.umask).toBe('0022');
    expect(profileByName('nope')).toBeUndefined();
  });

  it('without a date: most recent first, table order among equals', () => {
    expect(profileOrder().map((p) => p.name)).toEqual(['forky', 'forky-umask002', 'trixie', 'trixie-umask002', 'trixie-xz-single']);
  });

  it('with a date: the profiles in service then come first', () => {
    expect(profileOrder(new Date('2025-09-01T00:00:00Z')).map((p) => p.name)).toEqual([
      'trixie',
      'trixie-umask002',
      'trixie-xz-single',
      'forky',
      'forky-umask002',
    ]);
    expect(profileOrder(new Date('2024-09-01T00:00:00Z')).map((p) => p.name)).toEqual([
      'trixie-xz-single',
      'forky',
      'forky-umask002',
      'trixie',
      'trixie-umask002',
    ]);
    expect(profileOrder(new Date('2026-06-01T00:00:00Z'))[0]?.name).toBe('forky');
  });
});

describe('profiles match their rootfs', () => {
  for (const rootfs of ['trixie', 'forky'] as const) {
    it(rootfs, async (ctx) => {
      const where = await locateRootfs(rootfs);
      if (!existsSync(join(where.dir, 'manifest.json'))) ctx.skip();
      const versions = await installedVersions(where.root, ['dgit', 'dpkg-dev']);
      for (const p of PROFILES.filter((x) => x.rootfs === rootfs)) {
        expect(versions.dgit?.startsWith(p.packages.dgit)).toBe(true);
        expect(versions['dpkg-dev']?.startsWith(`${p.packages['dpkg-dev']}.`)).toBe(true);
        // dgit ≥ 14 also negates export-ignore and export-subst (Debian::Dgit::Core).
        const core = join(where.root, 'usr/share/perl5/Debian/Dgit/Core.pm');
        const perl = await readFile(existsSync(core) ? core : join(where.root, 'usr/share/perl5/Debian/Dgit.pm'), 'utf8');
        const negated = /our \$negate_harmful_gitattrs =\s*"([^"]*)"/.exec(perl)?.[1] ?? '';
        expect(negated.includes('-export-subst')).toBe(p.gitattributes === 'dgit>=14');
        // The builder's upstream options, as the rootfs's dgit defines them.
        const dgit = await readFile(join(where.root, 'usr/bin/dgit'), 'utf8');
        expect(dgit).toContain(`defvalopt '${p.upstreamOption}-commit',`);
      }
    });
  }
});
