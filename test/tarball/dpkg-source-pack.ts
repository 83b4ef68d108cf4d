// Packs a small debian/ tree as dpkg-source packs it, with GNU tar (the
// host's, in the sandbox), for the tests of the mtime-only comparison and the checkout-mtime
// explanation: the same tree checked out at another time, or changed, packs
// to an archive that differs in mtimes only, or in more.
import { chmod, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { hostSandbox } from '../helpers/host-sandbox.js';
import { scratchDir } from '../helpers/scratch-dir.js';

export const CHANGELOG = 1_711_929_780; // 2024-04-01T00:03:00Z
export const LONG = `debian/${'a-long-directory-name/'.repeat(6)}file.txt`;

export interface Packed {
  readonly tar: string;
  readonly xz: string;
  readonly changelog: string;
}

export interface Packer {
  /** Where the archives are made, and read by the code under test. */
  readonly sandbox: Sandbox;
  /** A directory the sandbox can read (set before the tests, removed after them). */
  readonly scratch: string;
  /**
   * `debian/` (with a GNU long name and a symlink) checked out at `checkout`
   * (seconds), then `change` run in it, packed as dpkg-source packs
   * (--format=gnu --sort=name --mtime=@CHANGELOG --clamp-mtime, owner 0) and
   * compressed with xz.
   */
  readonly pack: (name: string, checkout: number, change?: string) => Promise<Packed>;
}

/** The packer for the tests of the enclosing scope (file or describe): its scratch directory is made before them and removed after. */
export function packerForTests(): Packer {
  const sandbox = hostSandbox;
  const work = scratchDir('t2u-dpkg-source-pack-', 0o777);
  return {
    sandbox,
    get scratch() {
      return work.dir;
    },
    pack: async (name, checkout, change = ':') => {
      const script = `set -e; mkdir -p t/debian/source "t/$(dirname "${LONG}")"; cd t
printf 'x (1.0-1) unstable; urgency=medium\\n\\n  * Release.\\n\\n -- T <t@t2u.test>  Mon, 01 Apr 2024 00:03:00 +0000\\n' > debian/changelog
printf 'Source: x\\n' > debian/control; printf '3.0 (quilt)\\n' > debian/source/format; printf 'long\\n' > "${LONG}"
ln -s control debian/link
find . -exec touch -h -d @${checkout} {} +
${change}
tar --format=gnu --sort=name --mtime=@${CHANGELOG} --clamp-mtime --numeric-owner --owner=0 --group=0 -cf ../${name}.tar debian
xz -6 -c ../${name}.tar > ../${name}.tar.xz`;
      const dir = await mkdtemp(join(work.dir, `${name}-`));
      await chmod(dir, 0o777);
      const r = await sandbox.run({ argv: ['sh', '-c', script], workDir: dir, keep: ['.'], timeoutMs: 60_000 });
      expect(r.exitCode, r.stderr.toString()).toBe(0);
      return { tar: join(dir, `${name}.tar`), xz: join(dir, `${name}.tar.xz`), changelog: join(dir, 't', 'debian', 'changelog') };
    },
  };
}
