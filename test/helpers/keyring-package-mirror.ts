// A loopback Debian mirror serving debian-tag2upload-keyring packages built
// with dpkg-deb (a test service key in usr/share/keyrings), one suite per
// set of versions: main/binary-all/Packages.xz and an InRelease over it,
// clearsigned by a test archive key made with gpg.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gpg } from '../authenticate/gpg-harness.js';
import { startMirrorServer, type MirrorServer } from '../upload/mirror-server.js';
import { releaseText, sha256, writeTreeFile } from './debian-mirror.js';

const ARCHIVE_UID = 'Test Archive <archive@t2u.test>';
const SERVICE_UID = 'Test tag2upload service <service@t2u.test>';

export interface KeyringPackageMirror {
  readonly url: string;
  readonly server: MirrorServer;
  /** The archive key's keyring (what apt's debian-archive-keyring is to deb.debian.org). */
  readonly archiveKeyring: string;
  /** The bytes of usr/share/keyrings/debian-tag2upload.pgp in every package built. */
  readonly serviceKeyring: Buffer;
  /** Builds the package at each version and publishes them all as `suite`. */
  publish(suite: string, versions: readonly string[]): void;
  close(): Promise<void>;
}

export async function startKeyringPackageMirror(): Promise<KeyringPackageMirror> {
  const dir = mkdtempSync(join(tmpdir(), 't2u-kr-mirror-'));
  const tree = join(dir, 'mirror');
  const archive = Gpg.create();
  archive.must(['--quick-gen-key', ARCHIVE_UID, 'ed25519', 'sign', 'never']);
  const archiveKeyring = join(dir, 'archive-keyring.gpg');
  writeFileSync(archiveKeyring, archive.must(['--export']));
  const service = Gpg.create();
  service.must(['--quick-gen-key', SERVICE_UID, 'ed25519', 'sign', 'never']);
  const serviceKeyring = service.must(['--export']);
  service.close();

  // One .deb per version, shared by every suite that lists it (as a pool is).
  const built = new Map<string, { filename: string; deb: Buffer }>();
  const build = (version: string): { filename: string; deb: Buffer } => {
    const done = built.get(version);
    if (done) return done;
    const root = join(dir, `pkg-${version}`);
    mkdirSync(join(root, 'DEBIAN'), { recursive: true });
    mkdirSync(join(root, 'usr/share/keyrings'), { recursive: true });
    writeFileSync(join(root, 'usr/share/keyrings/debian-tag2upload.pgp'), serviceKeyring);
    writeFileSync(
      join(root, 'DEBIAN/control'),
      [
        'Package: debian-tag2upload-keyring',
        `Version: ${version}`,
        'Architecture: all',
        'Maintainer: Test <test@t2u.test>',
        'Description: OpenPGP key of a test tag2upload service',
        '',
      ].join('\n'),
    );
    const out = join(dir, `debian-tag2upload-keyring_${version}_all.deb`);
    const r = spawnSync('dpkg-deb', ['--root-owner-group', '--build', root, out]);
    if (r.status !== 0) throw new Error(`dpkg-deb --build: ${r.stderr.toString()}`);
    const filename = `pool/main/d/debian-tag2upload-keyring/debian-tag2upload-keyring_${version}_all.deb`;
    const deb = readFileSync(out);
    writeTreeFile(tree, filename, deb);
    built.set(version, { filename, deb });
    return { filename, deb };
  };

  const publish = (suite: string, versions: readonly string[]): void => {
    const packages = versions
      .map((v) => {
        const { filename, deb } = build(v);
        return `Package: debian-tag2upload-keyring\nVersion: ${v}\nArchitecture: all\nFilename: ${filename}\nSize: ${deb.length}\nSHA256: ${sha256(deb)}\n`;
      })
      .join('\n');
    const xz = spawnSync('xz', ['-z', '-c'], { input: packages }).stdout;
    writeTreeFile(tree, `dists/${suite}/main/binary-all/Packages.xz`, xz);
    const release = releaseText(suite, { 'main/binary-all/Packages.xz': xz });
    writeTreeFile(tree, `dists/${suite}/InRelease`, archive.must(['--clearsign', '-u', ARCHIVE_UID, '-o', '-'], { input: release }));
  };

  mkdirSync(tree, { recursive: true });
  const server = await startMirrorServer(tree);
  return {
    url: server.url,
    server,
    archiveKeyring,
    serviceKeyring,
    publish,
    close: async () => {
      await server.close();
      archive.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
