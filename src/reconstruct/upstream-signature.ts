// What an upstream signature in an upload (SRC_UVER.orig[-COMP].tar.*.asc)
// says about its orig, judged as tag2upload's builder judges it, and then
// told exactly.
//
// The builder's dpkg-source -b (1.22 and 1.23:
// Dpkg::Source::Package::check_original_tarball_signature) verifies each .asc
// against the tree's debian/upstream/signing-key.asc with Dpkg::OpenPGP's
// first backend that has a verifier (sop, then Sequoia's sqv, then gpgv:
// apt itself depends on sqv, so gpgv is never the one), and reports a failure
// through `report_verify`, which is `warning` unless --require-valid-signature
// was given; dgit never gives it. So the builder uploads whatever the .asc
// says, and sqv's policy refuses much that is honest: a key copy whose
// self-signature has expired, SHA-1 self-signatures (most long-lived upstream
// keys), an .asc whose other signatures are by keys the tree lacks.
//
// So dpkg-source's warning is no finding, and the verifier reads the .asc
// itself with gpgv (gpg where a rootfs has no gpgv), in the sandbox, against
// the same key file, signature by signature:
// - made by a key of the file and valid over the orig (gpgv's VALIDSIG, the
//   key's expiry or revocation aside): a note naming the key;
// - by no key of the file: a note (neither the builder nor anyone can tell
//   from the tree whether the orig is upstream's);
// - BADSIG, a signature by a key of the file that does not verify over the
//   orig: the orig or the .asc was changed after signing (a mismatch); an
//   .asc that holds no signature gpgv can read is no upstream signature and
//   is a mismatch too.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reason, type Reason } from '../report/reasons.js';
import type { Sandbox } from '../sandbox/index.js';
import { isVerificationError } from '../report/verification-error.js';

/** One signature packet of an .asc, as gpgv's status lines tell it. */
export interface UpstreamSignature {
  readonly status: 'good' | 'expired-key' | 'expired-signature' | 'revoked-key' | 'bad' | 'no-key' | 'error';
  /** The issuer's 64-bit key id (upper-case hex, as gpgv prints it). */
  readonly keyId: string;
  /** The signing key's fingerprint (VALIDSIG, or ERRSIG's issuer fingerprint when the signature carries one). */
  readonly fingerprint?: string;
  /** Signature creation, seconds since the epoch. */
  readonly created?: number;
}

export interface UpstreamSignatureVerdict {
  readonly asc: string;
  readonly signatures: readonly UpstreamSignature[];
}

/**
 * Lists every orig signature in `pgDir`/bpd with gpgv against
 * `pgDir`/work/debian/upstream/signing-key.asc, in the sandbox (the key file
 * and the .asc are the upload's and the tree's: hostile bytes). Undefined
 * when the tree has no key file (dpkg-source then checks nothing either).
 */
async function listSignatures(input: {
  sandbox: Sandbox;
  pgDir: string;
  ascs: readonly string[];
  timeoutMs: number;
  tmpDir?: string;
  signal?: AbortSignal;
}): Promise<{ ok: true; verdicts?: UpstreamSignatureVerdict[] } | { ok: false; reason: Reason }> {
  const work = await mkdtemp(join(input.tmpDir ?? tmpdir(), 't2u-upstream-sig-'));
  try {
    const r = await input.sandbox.run({
      argv: ['sh', '-c', CHECK_SCRIPT, 'check', ...input.ascs],
      workDir: work,
      readOnly: [{ host: input.pgDir, inside: '/pg' }],
      timeoutMs: input.timeoutMs,
      limits: { maxOutputBytes: 4 * 1024 ** 2 },
      ...(input.signal ? { signal: input.signal } : {}),
    });
    if (r.timedOut || r.exitCode !== 0) {
      return {
        ok: false,
        reason: reason(
          'BUILD_FAILED',
          `gpgv over the upstream signature${input.ascs.length > 1 ? 's' : ''} ${r.timedOut ? 'timed out' : `failed (status ${r.exitCode ?? r.signal}): ${r.stderr.toString('utf8').trim().split('\n').slice(-3).join(' | ')}`}`,
        ),
      };
    }
    return { ok: true, ...parseCheckOutput(r.stdout.toString('utf8')) };
  } catch (e) {
    if (isVerificationError(e)) return { ok: false, reason: reason(e.code, e.message) };
    throw e;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The key file dearmored whole (gpg --dearmor reads every concatenated
 * armor block; a binary file is taken as it is), then gpgv --status-fd per
 * .asc over its orig. Markers around each .asc's status lines.
 */
const CHECK_SCRIPT = String.raw`set -u
key=/pg/work/debian/upstream/signing-key.asc
[ -f "$key" ] || { echo "T2U-NOKEY"; exit 0; }
mkdir -m 700 /tmp/g
gpg --homedir /tmp/g --batch --no-autostart --dearmor < "$key" > /tmp/k.gpg 2>/dev/null && [ -s /tmp/k.gpg ] || cat "$key" > /tmp/k.gpg
for n in "$@"; do
  echo "T2U-ASC $n"
  o=$(printf '%s' "$n" | sed 's/[.]asc$//')
  if command -v gpgv >/dev/null; then
    gpgv --homedir /tmp/g --status-fd 1 --keyring /tmp/k.gpg "/pg/bpd/$n" "/pg/bpd/$o" 2>/dev/null
  else
    gpg --homedir /tmp/g --batch --no-autostart --no-default-keyring --keyring /tmp/k.gpg --trust-model always --status-fd 1 --verify "/pg/bpd/$n" "/pg/bpd/$o" 2>/dev/null
  fi
  echo "T2U-END"
done
`;

const HEX = /^[0-9A-F]{1,40}$/;
const num = (s: string | undefined): number | undefined => (s !== undefined && /^\d{1,12}$/.test(s) ? Number(s) : undefined);

/** gpgv's status lines (doc/DETAILS), one signature per NEWSIG. */
export function parseCheckOutput(text: string): { verdicts?: UpstreamSignatureVerdict[] } {
  const verdicts: UpstreamSignatureVerdict[] = [];
  let current: { asc: string; signatures: UpstreamSignature[] } | undefined;
  let sig: { -readonly [K in keyof UpstreamSignature]: UpstreamSignature[K] } | undefined;
  const flush = (): void => {
    if (current && sig && sig.keyId) current.signatures.push({ ...sig });
    sig = undefined;
  };
  for (const line of text.split('\n')) {
    if (line === 'T2U-NOKEY') return {};
    if (line.startsWith('T2U-ASC ')) {
      current = { asc: line.slice(8), signatures: [] };
      continue;
    }
    if (line === 'T2U-END') {
      flush();
      if (current) verdicts.push(current);
      current = undefined;
      continue;
    }
    if (!current || !line.startsWith('[GNUPG:] ')) continue;
    const [kw, ...args] = line.slice(9).split(' ');
    switch (kw) {
      case 'NEWSIG':
        flush();
        sig = { status: 'error', keyId: '' };
        break;
      case 'GOODSIG':
      case 'EXPSIG':
      case 'EXPKEYSIG':
      case 'REVKEYSIG':
      case 'BADSIG': {
        sig ??= { status: 'error', keyId: '' };
        const status = (
          { GOODSIG: 'good', EXPSIG: 'expired-signature', EXPKEYSIG: 'expired-key', REVKEYSIG: 'revoked-key', BADSIG: 'bad' } as const
        )[kw];
        sig.status = status;
        if (HEX.test(args[0] ?? '')) sig.keyId = args[0]!;
        break;
      }
      case 'ERRSIG': {
        sig ??= { status: 'error', keyId: '' };
        if (HEX.test(args[0] ?? '')) sig.keyId = args[0]!;
        // ERRSIG <keyid> <pkalgo> <hashalgo> <sig_class> <time> <rc> <fpr>; rc 9 is "no public key".
        sig.status = args[5] === '9' ? 'no-key' : 'error';
        const created = num(args[4]);
        if (created !== undefined) sig.created = created;
        if (HEX.test(args[6] ?? '') && args[6]!.length === 40) sig.fingerprint = args[6]!;
        break;
      }
      case 'VALIDSIG': {
        if (!sig) break;
        // VALIDSIG <fpr> <date> <timestamp> ... <primary-fpr> (the last field).
        const primary = args.at(-1);
        if (primary && HEX.test(primary)) sig.fingerprint = primary;
        const created = num(args[2]);
        if (created !== undefined) sig.created = created;
        break;
      }
      default:
        break;
    }
  }
  return { verdicts };
}

const DESCRIBE: Record<UpstreamSignature['status'], string> = {
  good: 'good',
  'expired-key': 'good, by a key whose copy in the tree has expired',
  'expired-signature': 'good, but the signature itself has expired',
  'revoked-key': "good, by a key the tree's copy marks revoked",
  bad: 'BAD: does not verify over the orig',
  'no-key': 'by a key not in debian/upstream/signing-key.asc',
  error: 'unreadable or of an unsupported algorithm',
};

const describe = (s: UpstreamSignature): string => {
  const when = s.created !== undefined ? `, made ${new Date(s.created * 1000).toISOString().slice(0, 10)}` : '';
  return `${s.fingerprint ?? s.keyId}${when}: ${DESCRIBE[s.status]}`;
};

const VALID: ReadonlySet<UpstreamSignature['status']> = new Set(['good', 'expired-key', 'expired-signature', 'revoked-key']);

/** The reasons one .asc makes: a note unless it shows the orig or the .asc changed after signing. */
export function judgeUpstreamSignature(v: UpstreamSignatureVerdict, builderWarning?: string): Reason {
  const orig = v.asc.replace(/\.asc$/, '');
  const listed = v.signatures.map(describe).join('; ');
  const builder = builderWarning
    ? ` dpkg-source -b's own check (its sqv or sop backend, stricter than gpgv) did not accept it: "${builderWarning}"; it only warns, so tag2upload's builder uploads it.`
    : '';
  if (v.signatures.length === 0) {
    return reason(
      'UPSTREAM_SIGNATURE_INVALID',
      `${v.asc} holds no OpenPGP signature gpgv can read: it is not upstream's signature of ${orig}`,
    );
  }
  const bad = v.signatures.filter((s) => s.status === 'bad');
  if (bad.length > 0) {
    return reason(
      'UPSTREAM_SIGNATURE_INVALID',
      `${v.asc}: a signature by a key of the tree's debian/upstream/signing-key.asc does not verify over ${orig}, so the orig or the .asc was changed after signing (${listed})`,
    );
  }
  const valid = v.signatures.filter((s) => VALID.has(s.status));
  if (valid.length > 0) {
    return reason(
      'UPSTREAM_SIGNATURE_GOOD',
      `${v.asc} verifies over ${orig} with debian/upstream/signing-key.asc (gpgv): ${listed}.${builder}`,
    );
  }
  return reason(
    'UPSTREAM_SIGNATURE_UNVERIFIED',
    `${v.asc}: no signature in it is by a key of the tree's debian/upstream/signing-key.asc (${listed}); whether ${orig} is upstream's cannot be told from the tree.${builder}`,
  );
}

/**
 * Judges each upstream signature the build used: reasons (a mismatch) and
 * notes. `builderWarnings` maps an orig's name to what dpkg-source -b said
 * of its signature.
 */
export async function checkUpstreamSignatures(input: {
  sandbox: Sandbox;
  pgDir: string;
  ascs: readonly string[];
  builderWarnings: ReadonlyMap<string, string>;
  timeoutMs: number;
  tmpDir?: string;
  signal?: AbortSignal;
}): Promise<{ reasons: Reason[]; notes: Reason[] }> {
  if (input.ascs.length === 0) return { reasons: [], notes: [] };
  const listed = await listSignatures(input);
  if (!listed.ok) return { reasons: [listed.reason], notes: [] };
  if (!listed.verdicts) return { reasons: [], notes: [] };
  const reasons: Reason[] = [];
  const notes: Reason[] = [];
  for (const v of listed.verdicts) {
    const r = judgeUpstreamSignature(v, input.builderWarnings.get(v.asc.replace(/\.asc$/, '')));
    (r.code === 'UPSTREAM_SIGNATURE_INVALID' ? reasons : notes).push(r);
  }
  return { reasons, notes };
}
