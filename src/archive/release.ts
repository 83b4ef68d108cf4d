// A suite of a Debian mirror, read the way apt reads it
// (https://wiki.debian.org/DebianRepository/Format): dists/SUITE/InRelease
// verified by gpgv against the archive keyring (at least one GOODSIG and no
// BADSIG; only the signed text is used, gpgv --output), the signed Release
// naming the suite and within its Valid-Until, and each index file
// (Sources.xz, Packages.xz) matching the Release's SHA256 line before it is
// decompressed. gpgv and xz parse bytes from the network, so they run in the
// sandbox (src/sandbox/launcher.ts, the host's /usr read-only, no network).
import { createHash } from 'node:crypto';
import { parseChecksumList, type ChecksumEntry } from '../deb822/checksum-list.js';
import type { Deb822Paragraph } from '../deb822/paragraph.js';
import { parseDeb822Paragraph } from '../deb822/parse.js';
import { runSandboxed } from '../sandbox/launcher.js';
import { isFormatError } from '../report/format-error.js';

/**
 * Why a suite or one of its files cannot be used: `network` (the mirror did
 * not answer), `verification` (signature, suite, expiry or checksum),
 * `format` (not what a mirror serves), `too-large` (over a size cap).
 */
export class ArchiveError extends Error {
  override readonly name = 'ArchiveError';
  constructor(
    readonly kind: 'network' | 'verification' | 'format' | 'too-large',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** GET of a mirror file into memory, at most `maxBytes`; throws ArchiveError (`network`, `too-large`). */
export type MirrorGet = (url: string, maxBytes: number) => Promise<Uint8Array>;

export interface Release {
  readonly paragraph: Deb822Paragraph;
  /** The SHA256 list: path → entry. */
  readonly sha256: ReadonlyMap<string, ChecksumEntry>;
  /** The Date and Valid-Until fields, as written. */
  readonly date?: string;
  readonly validUntil?: string;
  readonly warnings: readonly string[];
}

export interface ReleaseCheck {
  readonly mirror: string;
  readonly suite: string;
  readonly now: Date;
  /** Accept a Release past its Valid-Until, with a warning (apt's Acquire::Check-Valid-Until=false). */
  readonly allowExpired: boolean;
  /** What an expired Release would replay, and which switch accepts one (for the message). */
  readonly expiredHint: { readonly replays: string; readonly option: string };
}

const SANDBOX_KEYRING = '/keyring/archive.gpg';
const GPGV_TIMEOUT_MS = 60_000;

/** gpgv over a clearsigned InRelease, in the sandbox: the signed text (gpgv --output -), or ArchiveError(`verification`). */
export async function verifyInRelease(inRelease: Uint8Array, archiveKeyring: string, signal?: AbortSignal): Promise<string> {
  const r = await runSandboxed({
    argv: ['gpgv', '--status-fd', '2', '--keyring', SANDBOX_KEYRING, '--output', '-'],
    rootfs: { kind: 'host' },
    readOnly: [{ host: archiveKeyring, inside: SANDBOX_KEYRING }],
    env: { LC_ALL: 'C' },
    stdin: inRelease,
    timeoutMs: GPGV_TIMEOUT_MS,
    limits: { maxOutputBytes: 2 * inRelease.length + 65536 },
    ...(signal !== undefined && { signal }),
  });
  const stderr = r.stderr.toString('latin1');
  const status = stderr
    .split('\n')
    .filter((l) => l.startsWith('[GNUPG:] '))
    .map((l) => l.slice(9));
  const good = status.filter((l) => l.startsWith('GOODSIG '));
  const bad = status.filter((l) => l.startsWith('BADSIG '));
  if (r.exitCode !== 0 || r.outputTruncated || good.length === 0 || bad.length > 0) {
    const why = stderr
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('[GNUPG:]'))
      .slice(-3)
      .join('; ');
    const how = r.timedOut ? `gpgv did not finish within ${GPGV_TIMEOUT_MS} ms` : why || status.join('; ') || `gpgv exited ${r.exitCode}`;
    throw new ArchiveError('verification', `InRelease does not verify against ${archiveKeyring}: ${how}`);
  }
  return r.stdout.toString('latin1');
}

/** The signed Release text of a suite, checked: it names the suite and has not expired. */
export function checkRelease(text: string, check: ReleaseCheck): Release {
  const { suite, now } = check;
  let paragraph: Deb822Paragraph;
  try {
    paragraph = parseDeb822Paragraph(text);
  } catch (e) {
    if (isFormatError(e, 'deb822'))
      throw new ArchiveError('format', `the signed Release of ${suite} is not a control file: ${e.message}`, { cause: e });
    throw e;
  }
  // Another suite's Release, or an expired one, would let a mirror replay old files.
  if (paragraph.get('Suite') !== suite && paragraph.get('Codename') !== suite) {
    throw new ArchiveError(
      'verification',
      `InRelease is for suite ${paragraph.get('Suite') ?? '?'} (${paragraph.get('Codename') ?? '?'}), not ${suite}`,
    );
  }
  const warnings: string[] = [];
  const validUntil = paragraph.get('Valid-Until');
  // An unreadable Valid-Until is an expired one.
  if (validUntil !== undefined && !(Date.parse(validUntil) >= now.getTime())) {
    const msg = `InRelease of ${suite} at ${check.mirror} expired at ${validUntil} (now ${now.toISOString()})`;
    if (!check.allowExpired) {
      throw new ArchiveError(
        'verification',
        `${msg}: refused, as a mirror replaying an old Release would ${check.expiredHint.replays}; if the mirror is a known snapshot, pass --allow-expired-release (${check.expiredHint.option})`,
      );
    }
    warnings.push(`${msg}; accepted because expired Release files are allowed.`);
  }
  let sha256: Map<string, ChecksumEntry>;
  try {
    sha256 = new Map(parseChecksumList(paragraph.get('SHA256') ?? '', 'sha256', 'SHA256').map((e) => [e.name, e]));
  } catch (e) {
    if (isFormatError(e, 'checksum-list')) throw new ArchiveError('format', `the Release of ${suite}: ${e.message}`, { cause: e });
    throw e;
  }
  const date = paragraph.get('Date');
  return { paragraph, sha256, ...(date !== undefined && { date }), ...(validUntil !== undefined && { validUntil }), warnings };
}

const sha256Of = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A file of the suite (under dists/SUITE/) the Release lists, checked against its SHA256 line. */
export async function fetchReleaseFile(
  get: MirrorGet,
  base: string,
  release: Release,
  path: string,
  maxBytes: number,
): Promise<Uint8Array> {
  const want = release.sha256.get(path);
  if (!want) throw new ArchiveError('format', `the Release does not list ${path}`);
  if (want.size > maxBytes) throw new ArchiveError('too-large', `${path} is ${want.size} bytes, over the limit of ${maxBytes}`);
  let data: Uint8Array;
  try {
    data = await get(`${base}/${path}`, want.size);
  } catch (e) {
    // A file longer than the Release says cannot match it.
    if (e instanceof ArchiveError && e.kind === 'too-large')
      throw new ArchiveError('verification', `${path} is larger than the ${want.size} bytes the Release lists`, { cause: e });
    throw e;
  }
  if (data.length !== want.size || sha256Of(data) !== want.hash)
    throw new ArchiveError('verification', `${path} does not match the SHA256 line of the Release`);
  return data;
}

/** A pool file checked against the size and SHA-256 an index gives for it. */
export async function fetchPoolFile(
  get: MirrorGet,
  mirror: string,
  path: string,
  want: { readonly size: number; readonly sha256: string },
  what: string,
): Promise<Uint8Array> {
  if (!/^pool\/[A-Za-z0-9._+~/-]+$/.test(path) || path.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new ArchiveError('format', `${what}: ${JSON.stringify(path.slice(0, 120))} is not a pool path`);
  }
  const data = await get(`${mirror}/${path}`, want.size);
  if (data.length !== want.size || sha256Of(data) !== want.sha256)
    throw new ArchiveError('verification', `${path} does not match the SHA256 in ${what}`);
  return data;
}

const XZ_TIMEOUT_MS = 120_000;

/** `xz -dc` in the sandbox; more than `maxBytes` of output is ArchiveError(`too-large`), a corrupt stream `format`. */
export async function unxz(data: Uint8Array, maxBytes: number, what: string, signal?: AbortSignal): Promise<Buffer> {
  const r = await runSandboxed({
    argv: ['xz', '--decompress', '--stdout'],
    rootfs: { kind: 'host' },
    stdin: data,
    timeoutMs: XZ_TIMEOUT_MS,
    limits: { maxOutputBytes: maxBytes + 65536 },
    ...(signal !== undefined && { signal }),
  });
  if (r.outputTruncated || r.stdout.length > maxBytes)
    throw new ArchiveError('too-large', `${what} decompresses to more than ${maxBytes} bytes`);
  if (r.exitCode !== 0) {
    const why = r.timedOut ? `xz did not finish within ${XZ_TIMEOUT_MS} ms` : r.stderr.toString().trim() || `xz exited ${r.exitCode}`;
    throw new ArchiveError('format', `cannot decompress ${what}: ${why}`);
  }
  return r.stdout;
}
