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
//
// The builder itself: the service uploads a SRC_VER_source.buildinfo beside
// the .dsc (docs/architecture.md §1, fact 5), whose Installed-Build-Depends
// lists the builder's own dgit and dpkg-dev, `dgit (= 12.16)`. Where the user
// has it beside the .dsc, the profiles whose rootfs carries that dgit come
// first. It is read unverified (a hint, like the others): its Source and
// Version must be the .dsc's, and it is read under a size cap.
import { basename } from 'node:path';
import { isClearsigned, parseClearsigned } from '../deb822/clearsigned.js';
import { MAX_BUILDINFO_BYTES, type Dsc } from '../deb822/dsc.js';
import { parseDeb822 } from '../deb822/parse.js';
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

export interface BuilderHint {
  /** dgit's version as the buildinfo lists it. */
  readonly dgit: string;
  readonly evidence: string;
}

/** `pkg (= version)` or `pkg:arch (= version)`, one Installed-Build-Depends entry. */
const EXACT_DEPENDENCY = /^([a-z0-9][a-z0-9+.-]*)(?::[a-z0-9-]+)? \(= ([A-Za-z0-9.+~:-]+)\)$/;

/**
 * The dgit that made the upload, as its own `_source.buildinfo` lists it;
 * undefined when the bytes are no buildinfo of this .dsc's source and
 * version, or list no dgit.
 */
export function builderHint(buildinfo: Uint8Array, dsc: Pick<Dsc, 'source' | 'version'>): BuilderHint | undefined {
  if (buildinfo.length > MAX_BUILDINFO_BYTES) return undefined;
  let paragraph;
  try {
    const body = isClearsigned(buildinfo) ? parseClearsigned(buildinfo).body : buildinfo;
    paragraph = parseDeb822(Buffer.from(body).toString('utf8'))[0];
  } catch {
    return undefined;
  }
  if (!paragraph || paragraph.get('Source') !== dsc.source || paragraph.get('Version') !== dsc.version) return undefined;
  for (const entry of (paragraph.get('Installed-Build-Depends') ?? '').split(',')) {
    const m = EXACT_DEPENDENCY.exec(entry.trim());
    if (m?.[1] === 'dgit') return { dgit: m[2]!, evidence: `the upload's buildinfo lists dgit (= ${m[2]!})` };
  }
  return undefined;
}

/** Whether the profile's rootfs carries the dgit `listed` names: its version's components begin with the profile's (17 covers 17.0 and 17.2). */
export function profileHasDgit(profile: BuilderProfile, listed: string): boolean {
  const have = profile.packages.dgit.split('.');
  const got = listed.split(/[.~+-]/);
  return have.every((c, i) => got[i] === c);
}

export interface ProfileHints {
  readonly umask?: UmaskHint;
  readonly dpkgDev?: DpkgDevHint;
  readonly builder?: BuilderHint;
}

/**
 * `order` with the profiles that match more of the hints first, the date
 * order kept among equals. The builder's own dgit counts twice: it names the
 * rootfs, which the .dsc's fields only suggest.
 */
export function preferHinted(order: readonly BuilderProfile[], hints: ProfileHints): BuilderProfile[] {
  const score = (p: BuilderProfile): number =>
    (hints.umask && p.umask === hints.umask.umask ? 1 : 0) +
    (hints.dpkgDev && p.packages['dpkg-dev'] === hints.dpkgDev.dpkgDev ? 1 : 0) +
    (hints.builder && profileHasDgit(p, hints.builder.dgit) ? 2 : 0);
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
    ...(hints.builder ? [`dgit ${hints.builder.dgit} (${hints.builder.evidence})`] : []),
  ];
  return parts.length ? `profiles of ${parts.join(' and ')} first` : undefined;
}
