// What an upload's own files say about the builder that made it, used only to
// choose which builder profile to try first. Every profile is still tried
// until one reproduces: a wrong or missing hint costs builds, never a verdict.
//
// The umask: dpkg-source's tar records the modes of the checkout it packs
// (git writes 0666/0777 less the umask), so the members of the debian tarball
// (or a native tarball) are group-writable under the builder's umask 0002 and
// not under 0022. Origs are not read: git archive writes its own modes
// (tar.umask), whatever the builder's umask.
//
// dpkg-dev: 1.23 writes Uploaders through Dpkg::Email::AddressList, which
// never ends it with a comma, and adds `profile:v1=` beside `profile=` in
// Package-List; 1.22 copies Uploaders as written and writes `profile=` alone.
// So an Uploaders ending in a comma, or a `profile=` without `profile:v1=`,
// is 1.22's; a `profile:v1=` is 1.23's; anything else tells nothing.
import { basename } from 'node:path';
import { compressionOf, decompress } from '../tarball/decompress.js';
import { readTar } from '../tarball/tar-reader.js';
import type { Deb822Paragraph } from '../deb822/paragraph.js';
import type { BuilderProfile, Sandbox } from '../sandbox/index.js';

export interface UmaskHint {
  readonly umask: BuilderProfile['umask'];
  /** What was read, for the report. */
  readonly evidence: string;
}

export interface UmaskHintInput {
  /** The upload's files: path and name. */
  readonly files: readonly { readonly name: string; readonly path: string }[];
  /** Names of origs (not read). */
  readonly origs: ReadonlySet<string>;
  /** Where the decompressor runs. */
  readonly sandbox: Sandbox;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Members read at most: the modes of a few hundred are as telling as all of them, and a native tarball may be large. */
const MAX_MEMBERS = 512;
const MAX_STREAM_BYTES = 64 * 1024 ** 2;

/**
 * The umask the upload's debian (or native) tarball shows: every regular
 * file and directory group-writable, or none; undefined when there is no
 * such tarball, it cannot be read, or its modes are mixed.
 */
export async function umaskHint(input: UmaskHintInput): Promise<UmaskHint | undefined> {
  const tarball = input.files.find((f) => !input.origs.has(f.name) && compressionOf(f.name) !== undefined);
  if (!tarball) return undefined;
  let writable = 0;
  let other = 0;
  try {
    const stream = decompress(tarball.path, {
      sandbox: input.sandbox,
      timeoutMs: input.timeoutMs ?? 60_000,
      maxOutputBytes: MAX_STREAM_BYTES,
    });
    for await (const m of readTar(stream, { maxTextBytes: 0, maxTotalBytes: MAX_STREAM_BYTES })) {
      if (input.signal?.aborted) return undefined;
      if (m.type !== 'file' && m.type !== 'dir') continue;
      if (m.mode & 0o020) writable++;
      else other++;
      if (writable + other >= MAX_MEMBERS) break;
    }
  } catch {
    // Too large to read to the end within the caps, or unreadable: what was read still counts.
  }
  const name = basename(tarball.name);
  if (writable > 0 && other === 0)
    return { umask: '0002', evidence: `${name}: all ${writable} files and directories read are group-writable` };
  if (other > 0 && writable === 0)
    return { umask: '0022', evidence: `${name}: none of the ${other} files and directories read is group-writable` };
  return undefined;
}

export interface DpkgDevHint {
  readonly dpkgDev: BuilderProfile['packages']['dpkg-dev'];
  readonly evidence: string;
}

/** The dpkg-dev the upload's .dsc fields show, or undefined. */
export function dpkgDevHint(dsc: Deb822Paragraph): DpkgDevHint | undefined {
  const list = dsc.get('Package-List') ?? '';
  if (/ profile:v1=/.test(list)) return { dpkgDev: '1.23', evidence: 'Package-List has profile:v1= (dpkg-dev 1.23)' };
  if (/ profile=/.test(list)) return { dpkgDev: '1.22', evidence: 'Package-List has profile= without profile:v1= (dpkg-dev 1.22)' };
  if (/,\s*$/.test(dsc.get('Uploaders') ?? ''))
    return { dpkgDev: '1.22', evidence: 'Uploaders ends in a comma, which dpkg-dev 1.23 drops' };
  return undefined;
}

export interface ProfileHints {
  readonly umask?: UmaskHint;
  readonly dpkgDev?: DpkgDevHint;
}

/**
 * `order` with the profiles that match more of the hints first (each hint
 * counting once), the date order kept among equals.
 */
export function preferHinted(order: readonly BuilderProfile[], hints: ProfileHints): BuilderProfile[] {
  const score = (p: BuilderProfile): number =>
    (hints.umask && p.umask === hints.umask.umask ? 1 : 0) + (hints.dpkgDev && p.packages['dpkg-dev'] === hints.dpkgDev.dpkgDev ? 1 : 0);
  return order
    .map((p, i) => ({ p, i, s: score(p) }))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .map(({ p }) => p);
}

/** What the hints say, for the report; undefined when there are none. */
export function describeHints(hints: ProfileHints): string | undefined {
  const parts = [
    ...(hints.umask ? [`umask ${hints.umask.umask} (${hints.umask.evidence})`] : []),
    ...(hints.dpkgDev ? [`dpkg-dev ${hints.dpkgDev.dpkgDev} (${hints.dpkgDev.evidence})`] : []),
  ];
  return parts.length ? `profiles of ${parts.join(' and ')} first` : undefined;
}
