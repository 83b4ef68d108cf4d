// A Debian mirror tree for loopback tests: Sources stanzas as dak writes them
// for an upload's .dsc, a Sources.xz per suite, and an InRelease clearsigned
// by a test archive key made with gpg.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Deb822Paragraph } from '../../src/deb822/paragraph.js';
import { formatDeb822 } from '../../src/deb822/write.js';
import { readDsc } from '../../src/deb822/dsc.js';
import type { Gpg } from '../authenticate/gpg-harness.js';

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export function writeTreeFile(tree: string, path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(join(tree, path)), { recursive: true });
  writeFileSync(join(tree, path), data);
}

/** A Sources stanza for a .dsc as dak writes one: Package, Version, Directory, the .dsc among the files, the tag2upload fields copied. */
export function sourcesStanza(dscBytes: Uint8Array, directory: string, dscName: string): Deb822Paragraph {
  const { dsc } = readDsc(dscBytes);
  const files = [{ name: dscName, size: dscBytes.length, hash: sha256(dscBytes) }, ...dsc.files];
  const fields: [string, string][] = [
    ['Package', dsc.source],
    ['Version', dsc.version],
    ['Format', dsc.format],
    ['Checksums-Sha256', ['', ...files.map((f) => `${f.hash} ${f.size} ${f.name}`)].join('\n')],
  ];
  for (const name of ['Dgit', 'Git-Tag-Info', 'Vcs-Git']) {
    const v = dsc.paragraph.get(name);
    if (v !== undefined) fields.push([name, v]);
  }
  fields.push(['Directory', directory]);
  return new Deb822Paragraph(fields);
}

/** A Release file for `suite` listing `files` (path → bytes) in its SHA256 field, valid for a week unless `validUntil`. */
export function releaseText(suite: string, files: Readonly<Record<string, Uint8Array>>, validUntil?: Date): string {
  return [
    `Suite: ${suite}`,
    `Codename: ${suite}`,
    `Date: ${new Date().toUTCString()}`,
    `Valid-Until: ${(validUntil ?? new Date(Date.now() + 7 * 86400_000)).toUTCString()}`,
    'SHA256:',
    ...Object.entries(files).map(([path, data]) => ` ${sha256(data)} ${data.length} ${path}`),
    '',
  ].join('\n');
}

export interface PublishOptions {
  readonly signer: Gpg;
  /** The signing key's user id. */
  readonly uid: string;
  readonly validUntil?: Date;
  /** Appends a byte to Sources.xz after the Release was computed. */
  readonly tamper?: boolean;
}

/** Publishes dists/SUITE under `tree`: main/source/Sources.xz from `stanzas`, and an InRelease over it. */
export function publishSuite(tree: string, suite: string, stanzas: readonly Deb822Paragraph[], opts: PublishOptions): void {
  const xz = spawnSync('xz', ['-z', '-c'], { input: formatDeb822([...stanzas]) }).stdout;
  writeTreeFile(tree, `dists/${suite}/main/source/Sources.xz`, opts.tamper ? Buffer.concat([xz, Buffer.from('x')]) : xz);
  const release = releaseText(suite, { 'main/source/Sources.xz': xz }, opts.validUntil);
  writeTreeFile(tree, `dists/${suite}/InRelease`, opts.signer.must(['--clearsign', '-u', opts.uid, '-o', '-'], { input: release }));
}
