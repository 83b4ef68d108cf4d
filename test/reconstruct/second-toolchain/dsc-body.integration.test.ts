// The .dsc fields against dpkg-source itself: a native package whose
// debian/control exercises every rule (dependency normal form and
// simplification, union sorting, Uploaders over several lines, XS- fields,
// Build-Profiles, Package-Type, Protected, architecture minimisation,
// Testsuite and Testsuite-Triggers) is built by `dpkg-source -b` in the
// trixie (dpkg-dev 1.22) and forky (1.23) rootfs; the TypeScript body,
// given the checksums of the tarball dpkg-source made, must be the same bytes.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dpkgSourceDsc, dscBody } from '../../../src/reconstruct/second-toolchain/dsc-body.js';
import { compareVersions } from '../../../src/deb822/version-compare.js';
import { normalizeBuildDeps } from '../../../src/reconstruct/second-toolchain/dpkg-deps.js';
import { requireCompleted } from '../../../src/sandbox/index.js';
import { builderSandboxFor } from '../../helpers/builder-rootfs.js';
import { UnsupportedInput } from '../../../src/reconstruct/second-toolchain/unsupported-input.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

const work = scratchDir('t2u-dsc-body-');

const CHANGELOG =
  't2u-fields (1.0) unstable; urgency=medium\n\n  * Test.\n\n -- Jane Doe <jane@example.org>  Fri, 01 Mar 2024 00:01:00 +0000\n';

const RICH = `Source: t2u-fields
Section: devel
Priority: optional
Maintainer: Jane Doe  <jane@example.org>
Uploaders: A One <a@example.org>,
 "Two, B" <b@example.org>,
Homepage: https://example.org/t2u
Standards-Version: 4.7.0
Vcs-Git: https://salsa.debian.org/t2u/fields.git
Vcs-Browser: https://salsa.debian.org/t2u/fields
XS-Go-Import-Path: example.org/t2u
X-Private: not copied
Testsuite: autopkgtest-pkg-python
Rules-Requires-Root: no
Build-Depends: debhelper-compat (= 13), libfoo-dev (>= 1.0) [linux-any] <!nocheck>,
   python3:any,  bar|baz (<< 2~), libfoo-dev (>= 1.0) [linux-any] <!nocheck>,
 quux (>= 2), quux (>= 1), zz (> 1)
Build-Depends-Indep: python3-sphinx <!nodoc> <stage1 cross>
Build-Conflicts: zed, alpha (<< 1), alpha, beta (>= 2), beta (>= 1)

Package: t2u-fields
Architecture: amd64 linux-any i386
Description: x
 y

Package: t2u-fields-doc
Architecture: all
Section: doc
Build-Profiles: <!nodoc> <!stage1 !cross>
Multi-Arch: foreign
XB-Private: binary only
XS-Extra: from a binary paragraph
Description: d
 d

Package: t2u-fields-udeb
Package-Type: udeb
Architecture: any
Protected: yes
Description: u
 u
`;

const ARCHES = `Source: t2u-fields
Maintainer: Jane Doe <jane@example.org>
Build-Depends: debhelper-compat (= 13)

Package: t2u-fields
Architecture: amd64 linux-any i386 hurd-any armhf
Description: x
 y

Package: t2u-fields-bin
Architecture: kfreebsd-any mips64el musl-linux-any
Description: x
 y
`;

const TESTS =
  'Tests: smoke\nDepends: @, python3-foo (>= 1), @builddeps@, t2u-fields, bar | baz [amd64]\n\nTest-Command: true\nDepends: zlib1g <!nocheck>\n\nTests: other\n';

async function dpkgSource(
  rootfsName: 'trixie' | 'forky',
  control: string,
  tests?: string,
): Promise<{ dsc: Buffer; tarball: Buffer; name: string }> {
  const dir = await mkdtemp(join(work.dir, `${rootfsName}-`));
  await mkdir(join(dir, 'work', 'debian', 'source'), { recursive: true });
  await writeFile(join(dir, 'work', 'debian', 'changelog'), CHANGELOG);
  await writeFile(join(dir, 'work', 'debian', 'control'), control);
  await writeFile(join(dir, 'work', 'debian', 'source', 'format'), '3.0 (native)\n');
  if (tests) {
    await mkdir(join(dir, 'work', 'debian', 'tests'));
    await writeFile(join(dir, 'work', 'debian', 'tests', 'control'), tests);
  }
  const sandbox = await builderSandboxFor(rootfsName);
  const r = requireCompleted(
    await sandbox.run({ argv: ['dpkg-source', '-I.git', '-b', 'work'], workDir: dir, keep: ['.'], timeoutMs: 60_000 }),
    'dpkg-source',
  );
  expect(r.exitCode, r.stderr.toString()).toBe(0);
  return {
    dsc: await readFile(join(dir, 't2u-fields_1.0.dsc')),
    tarball: await readFile(join(dir, 't2u-fields_1.0.tar.xz')),
    name: 't2u-fields_1.0.tar.xz',
  };
}

function ours(control: string, dpkgDev: '1.22' | '1.23', tarball: Buffer, name: string, tests?: string): Buffer {
  const h = (alg: string): string => createHash(alg).update(tarball).digest('hex');
  return dpkgSourceDsc({
    format: '3.0 (native)',
    control: Buffer.from(control),
    changelog: { source: 't2u-fields', version: '1.0' },
    dpkgDev,
    ...(tests ? { testsControl: Buffer.from(tests) } : {}),
    files: [{ name, size: tarball.length, md5: h('md5'), sha1: h('sha1'), sha256: h('sha256') }],
  });
}

describe('the .dsc dpkg-source writes', () => {
  for (const [rootfsName, dpkgDev] of [
    ['trixie', '1.22'],
    ['forky', '1.23'],
  ] as const) {
    it(`dpkg-dev ${dpkgDev}: every field rule`, async () => {
      const real = await dpkgSource(rootfsName, RICH, TESTS);
      expect(ours(RICH, dpkgDev, real.tarball, real.name, TESTS).toString('latin1')).toBe(real.dsc.toString('latin1'));
    });

    it(`dpkg-dev ${dpkgDev}: architecture lists minimised by wildcards`, async () => {
      const real = await dpkgSource(rootfsName, ARCHES);
      expect(ours(ARCHES, dpkgDev, real.tarball, real.name).toString('latin1')).toBe(real.dsc.toString('latin1'));
    });
  }

  it('the other dpkg-dev version writes other bytes (the versions are told apart)', async () => {
    const real = await dpkgSource('trixie', RICH, TESTS);
    expect(ours(RICH, '1.23', real.tarball, real.name, TESTS).equals(real.dsc)).toBe(false);
  });
});

describe('pieces', () => {
  it('appends Dgit, Git-Tag-Info and Git-Tag-Tagger (UTF-8) after the dpkg-source fields', () => {
    const input = {
      format: '3.0 (native)',
      control: Buffer.from(ARCHES),
      changelog: { source: 't2u-fields', version: '1.0' },
      dpkgDev: '1.22' as const,
      files: [],
    };
    const body = dscBody({ ...input, appended: { dgit: 'c d', gitTagInfo: 'tag=t fp=f', gitTagTagger: 'Zoë <z@example.org>' } });
    expect(body.toString('utf8')).toBe(
      `${dpkgSourceDsc(input).toString('latin1')}Dgit: c d\nGit-Tag-Info: tag=t fp=f\nGit-Tag-Tagger: Zoë <z@example.org>\n`,
    );
  });

  it('a control file without a source paragraph, or a dependency dpkg cannot parse, is an error', () => {
    const base = { format: '1.0', changelog: { source: 's', version: '1' }, dpkgDev: '1.22' as const, files: [] };
    expect(() => dpkgSourceDsc({ ...base, control: Buffer.from('Package: x\n') })).toThrow(UnsupportedInput);
    expect(() =>
      dpkgSourceDsc({ ...base, control: Buffer.from('Source: s\nBuild-Depends: a b\n\nPackage: s\nArchitecture: any\n') }),
    ).toThrow(UnsupportedInput);
    expect(() => normalizeBuildDeps('a | b', true)).toThrow(/union/);
  });

  it('compares versions as dpkg does', () => {
    expect(compareVersions('1.0~rc1', '1.0')).toBe(-1);
    expect(compareVersions('1:0.1', '2.0')).toBe(1);
    expect(compareVersions('1.0-1', '1.0-1')).toBe(0);
    expect(compareVersions('1.0a', '1.0+')).toBe(-1);
  });
});
