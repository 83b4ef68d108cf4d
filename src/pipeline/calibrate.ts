// Calibration: does the verifier's builder model still match Debian's
// builder? Picks tag2upload uploads from a suite's verified Sources index
// (the entries with Git-Tag-Info), obtains each from the mirror (a mirror may
// serve only part of the pool: "not found" is counted and skipped), unpacks it
// with `dpkg-source -x` in the sandbox (the upload is untrusted), rebuilds the
// tree as tag2upload would under the builder profiles, and reports the rate
// and every miss with its reasons and what differs. An upload dpkg-source -x
// refuses (a debian/ symlink pointing outside the tree) has no tree to
// rebuild: it is unverifiable with UPLOAD_UNPACK_REFUSED, the reason verify's
// content layer gives it.
//
// The Sources index carries no upload date, so "newest" cannot be read from it
// without fetching every .dsc; selection is a seeded random sample (repeatable),
// the smallest uploads first (cheap runs), or every upload of the suites asked
// (`all`: each source and version once, in index order).
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { unpackRefusal } from '../compare/index.js';
import { reason, type Reason } from '../report/reasons.js';
import { reproduce, type Attempt, type ReproduceResult, type ReproduceVerdict } from '../reconstruct/index.js';
import { builderSandbox, shareReadOnly, type BuilderProfile, type Sandbox } from '../sandbox/index.js';
import { unpackedEstimate } from '../tarball/unpacked-size.js';
import type { UrlPolicy } from '../net/url-policy.js';
import type { HttpSource } from '../upload/index.js';
import { obtainUpload, type ObtainedUpload } from '../upload/index.js';
import { fetchSourcesIndex, tag2uploadEntries, type SourcesEntry, type SourcesIndex } from '../upload/index.js';
import { DEFAULT_MIRROR } from '../config/schema.js';
import { isVerificationError } from '../report/verification-error.js';

export type Selection = { readonly kind: 'random'; readonly seed: number } | { readonly kind: 'smallest' } | { readonly kind: 'all' };

export interface CalibrateOptions {
  /** Default DEFAULT_MIRROR (src/config/schema.ts). */
  readonly mirror?: string;
  /** Default sid. */
  readonly suite?: string;
  /** Several suites: their indexes are read in this order and an upload in more than one is taken once. Overrides `suite`. */
  readonly suites?: readonly string[];
  /** How many downloadable uploads to calibrate on. Default 10; every one with selection `all`. */
  readonly sample?: number;
  readonly selection?: Selection;
  /** Candidates to try at most (most are not on a partial mirror). Default 40 × sample. */
  readonly maxCandidates?: number;
  /** Skip entries whose files add up to more than this (bytes). */
  readonly maxBytes?: number;
  /** The tag2upload service keyring: each .dsc's signature must verify by it. */
  readonly uploadKeyring?: string;
  /** Accept an InRelease past its Valid-Until (reported as a warning). */
  readonly allowExpiredRelease?: boolean;
  /** An index already fetched and verified (otherwise fetched from the mirror). */
  readonly index?: SourcesIndex;
  /** Several, as `suites` (tests). */
  readonly indexes?: readonly SourcesIndex[];
  readonly profiles?: readonly BuilderProfile[];
  /** Per build. Default 10 minutes. */
  readonly buildTimeoutMs?: number;
  /** The sandbox over a profile's root filesystem (default builderSandbox); `trixie`'s also runs dpkg-source -x. */
  readonly sandboxFor?: (name: BuilderProfile['rootfs']) => Promise<Sandbox>;
  readonly tmpDir?: string;
  /** Replaces the HTTP client (tests). */
  readonly http?: HttpSource;
  readonly policy?: UrlPolicy;
  /**
   * Uploads rebuilt at once (default 1): each one's steps run one after
   * another, so on a machine of N cores about N keep it busy (see
   * bench/backfill.bench.ts).
   */
  readonly concurrency?: number;
  /** Called as each upload is settled: the n-th (from 1) of at most `total` candidates. */
  readonly onUpload?: (u: CalibratedUpload, progress: { readonly n: number; readonly total: number }) => void;
}

export interface Miss {
  readonly files: ReadonlyArray<{ name: string; expected?: { size: number; sha256: string }; got?: { size: number; sha256: string } }>;
  readonly fields: ReadonlyArray<{ field: string; expected?: string; got?: string }>;
}

export interface CalibratedUpload {
  readonly source: string;
  readonly version: string;
  /** Bytes of every file of the entry. */
  readonly size: number;
  /** `skipped`: not on the mirror (or not obtainable); `unpack-failed` is an unverifiable verdict. */
  readonly verdict: ReproduceVerdict | 'skipped';
  /** The profile that reproduced, or the closest on a mismatch. */
  readonly profile?: string;
  readonly reasons: readonly Reason[];
  readonly notes: readonly Reason[];
  readonly attempts: ReadonlyArray<Pick<Attempt, 'profile' | 'outcome' | 'differences'> & { codes: string[] }>;
  readonly differs?: Miss;
  readonly signature?: ReproduceResult['signature'];
  /** Why the profiles were tried in their order (the umask and dpkg-dev the upload shows). */
  readonly profileHint?: string;
  /** The suite whose index listed it (the first, when several did). */
  readonly suite?: string;
  readonly durationMs: number;
}

export interface CalibrationReport {
  readonly mirror: string;
  /** The suites, comma-separated. */
  readonly suite: string;
  readonly suites: readonly string[];
  readonly selection: Selection;
  readonly warnings: readonly string[];
  /** tag2upload entries in the index (after the size filter). */
  readonly eligible: number;
  readonly tried: number;
  readonly notOnMirror: number;
  readonly downloadable: number;
  readonly reproduced: number;
  readonly equivalent: number;
  readonly mismatch: number;
  readonly unverifiable: number;
  /** Reproduced or equivalent, over downloadable (null when none). */
  readonly rate: number | null;
  /** Uploads reproduced, per profile. */
  readonly byProfile: Readonly<Record<string, number>>;
  /** Downloadable uploads per verdict and reason code (`-` for none): the table an operator reads first. */
  readonly byVerdictAndReason: ReadonlyArray<{ readonly verdict: string; readonly code: string; readonly count: number }>;
  /** Wall-clock time per downloadable upload (obtain, unpack, builds), ms. */
  readonly timePerUpload: { readonly medianMs: number | null; readonly p90Ms: number | null };
  /** The 1-minute load average as the run began and ended. */
  readonly loadAverage: { readonly start: number; readonly end: number };
  readonly uploads: readonly CalibratedUpload[];
}

/** mulberry32: a small seeded generator, so a sample can be drawn again from the same index. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const entryBytes = (e: SourcesEntry): number => e.files.reduce((n, f) => n + f.size, 0);

/** The tag2upload entries of the index in the order calibration tries them. */
export function orderCandidates(entries: readonly SourcesEntry[], selection: Selection, maxBytes?: number): SourcesEntry[] {
  const pool = entries.filter((e) => e.gitTagInfo !== undefined && (maxBytes === undefined || entryBytes(e) <= maxBytes));
  if (selection.kind === 'all') return pool;
  if (selection.kind === 'smallest') {
    return pool
      .map((e, i) => ({ e, i }))
      .sort((a, b) => entryBytes(a.e) - entryBytes(b.e) || a.i - b.i)
      .map(({ e }) => e);
  }
  // Fisher-Yates over the index order (Sources is sorted by name), seeded.
  const next = generator(selection.seed);
  const out = [...pool];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The q-quantile (0..1) of `values` by the nearest-rank method; null when empty. */
function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Downloadable uploads counted per (verdict, reason code); an upload with several codes counts under each, one with none under `-`. */
export function verdictTable(uploads: readonly CalibratedUpload[]): CalibrationReport['byVerdictAndReason'] {
  const counts = new Map<string, { verdict: string; code: string; count: number }>();
  for (const u of uploads) {
    if (u.verdict === 'skipped') continue;
    const codes = [...new Set(u.reasons.map((r) => r.code))];
    for (const code of codes.length ? codes : ['-']) {
      const key = `${u.verdict}\0${code}`;
      const row = counts.get(key) ?? { verdict: u.verdict, code, count: 0 };
      row.count++;
      counts.set(key, row);
    }
  }
  const order = ['reproduced', 'equivalent', 'mismatch', 'unverifiable'];
  return [...counts.values()].sort(
    (a, b) => order.indexOf(a.verdict) - order.indexOf(b.verdict) || b.count - a.count || a.code.localeCompare(b.code),
  );
}

/** Counts, rate and per-profile tally of settled uploads. */
export function summarise(
  uploads: readonly CalibratedUpload[],
): Pick<
  CalibrationReport,
  | 'tried'
  | 'notOnMirror'
  | 'downloadable'
  | 'reproduced'
  | 'equivalent'
  | 'mismatch'
  | 'unverifiable'
  | 'rate'
  | 'byProfile'
  | 'byVerdictAndReason'
  | 'timePerUpload'
> {
  const count = (v: CalibratedUpload['verdict']): number => uploads.filter((u) => u.verdict === v).length;
  const downloadable = uploads.length - count('skipped');
  const byProfile: Record<string, number> = {};
  for (const u of uploads)
    if ((u.verdict === 'reproduced' || u.verdict === 'equivalent') && u.profile) byProfile[u.profile] = (byProfile[u.profile] ?? 0) + 1;
  const ok = count('reproduced') + count('equivalent');
  return {
    tried: uploads.length,
    notOnMirror: count('skipped'),
    downloadable,
    reproduced: count('reproduced'),
    equivalent: count('equivalent'),
    mismatch: count('mismatch'),
    unverifiable: count('unverifiable'),
    rate: downloadable === 0 ? null : ok / downloadable,
    byProfile,
    byVerdictAndReason: verdictTable(uploads),
    timePerUpload: (() => {
      const times = uploads.filter((u) => u.verdict !== 'skipped').map((u) => u.durationMs);
      return { medianMs: quantile(times, 0.5), p90Ms: quantile(times, 0.9) };
    })(),
  };
}

/** 0 every downloadable upload reproduced (or equivalent); 1 a miss; 3 nothing could be obtained. */
export function calibrationExitCode(r: Pick<CalibrationReport, 'downloadable' | 'reproduced' | 'equivalent'>): 0 | 1 | 3 {
  if (r.downloadable === 0) return 3;
  return r.reproduced + r.equivalent === r.downloadable ? 0 : 1;
}

export async function calibrate(options: CalibrateOptions = {}): Promise<CalibrationReport> {
  const loadStart = loadavg()[0]!;
  const selection = options.selection ?? { kind: 'random', seed: 1 };
  const all = selection.kind === 'all';
  const sample = all ? Infinity : (options.sample ?? 10);
  const indexes = options.indexes ?? (options.index ? [options.index] : await fetchIndexes(options));
  // Each source and version once, from the first suite that lists it.
  const seen = new Set<string>();
  const candidates: Array<{ entry: SourcesEntry; index: SourcesIndex }> = [];
  for (const index of indexes) {
    for (const entry of orderCandidates(tag2uploadEntries(index), selection, options.maxBytes)) {
      const key = `${entry.source}\0${entry.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      candidates.push({ entry, index });
    }
  }
  const maxCandidates = all ? Infinity : (options.maxCandidates ?? 40 * sample);
  const total = Math.min(candidates.length, maxCandidates);
  const sandboxFor = options.sandboxFor ?? ((name: BuilderProfile['rootfs']) => builderSandbox(name));
  // `concurrency` lanes take the next candidate while fewer than `sample` are
  // obtained or under way: never more rebuilt than asked, and a skipped one
  // makes room for the next. The report lists them in the candidates' order.
  const settledAt: Array<{ at: number; u: CalibratedUpload }> = [];
  let obtained = 0;
  let inFlight = 0;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < candidates.length && next < maxCandidates && obtained + inFlight < sample) {
      const at = next++;
      const { entry, index } = candidates[at]!;
      inFlight++;
      let u: CalibratedUpload;
      try {
        u = { ...(await calibrateOne(entry, index, options, sandboxFor)), ...(indexes.length > 1 ? { suite: index.suite } : {}) };
      } finally {
        inFlight--;
      }
      if (u.verdict !== 'skipped') obtained++;
      settledAt.push({ at, u });
      options.onUpload?.(u, { n: settledAt.length, total });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, lane));
  const uploads = settledAt.sort((a, b) => a.at - b.at).map((x) => x.u);
  return {
    mirror: indexes[0]?.mirror ?? options.mirror ?? DEFAULT_MIRROR,
    suite: indexes.map((i) => i.suite).join(','),
    suites: indexes.map((i) => i.suite),
    selection,
    warnings: indexes.flatMap((i) => i.warnings),
    eligible: candidates.length,
    ...summarise(uploads),
    loadAverage: { start: loadStart, end: loadavg()[0]! },
    uploads,
  };
}

/** The verified Sources index of each suite asked, in order. */
async function fetchIndexes(options: CalibrateOptions): Promise<SourcesIndex[]> {
  const out: SourcesIndex[] = [];
  for (const suite of options.suites ?? [options.suite ?? 'sid']) {
    out.push(
      await fetchSourcesIndex({
        ...(options.mirror ? { mirror: options.mirror } : {}),
        suite,
        ...(options.allowExpiredRelease ? { allowExpiredRelease: true } : {}),
        ...(options.http ? { http: options.http } : {}),
        ...(options.policy ? { policy: options.policy } : {}),
      }),
    );
  }
  return out;
}

async function calibrateOne(
  entry: SourcesEntry,
  index: SourcesIndex,
  options: CalibrateOptions,
  sandboxFor: (name: BuilderProfile['rootfs']) => Promise<Sandbox>,
): Promise<CalibratedUpload> {
  const started = performance.now();
  const base = { source: entry.source, version: entry.version, size: entryBytes(entry) };
  const settled = (
    rest: Omit<CalibratedUpload, 'source' | 'version' | 'size' | 'durationMs' | 'notes' | 'attempts'> &
      Partial<Pick<CalibratedUpload, 'notes' | 'attempts'>>,
  ): CalibratedUpload => ({
    ...base,
    notes: [],
    attempts: [],
    ...rest,
    durationMs: Math.round(performance.now() - started),
  });
  const got = await obtainUpload(
    { kind: 'archive', source: entry.source, version: entry.version },
    {
      index,
      ...(options.tmpDir ? { parentDir: options.tmpDir } : {}),
      ...(options.http ? { http: options.http } : {}),
      ...(options.policy ? { policy: options.policy } : {}),
    },
  );
  if (!got.ok) {
    // Not on this mirror: skipped and counted. Anything else (a checksum that
    // does not match the verified index, a malformed .dsc) is a finding.
    if (got.reasons.every((r) => r.code === 'UPLOAD_NOT_FOUND')) return settled({ verdict: 'skipped', reasons: got.reasons });
    return settled({ verdict: 'unverifiable', reasons: got.reasons });
  }
  const upload = got.upload;
  try {
    const unpacked = await unpack(upload, sandboxFor, options.tmpDir);
    if (!unpacked.ok) return settled({ verdict: 'unverifiable', reasons: [unpacked.reason] });
    const r = await reproduce({
      from: { kind: 'tree', dir: unpacked.tree },
      upload,
      ...(options.uploadKeyring ? { uploadKeyring: options.uploadKeyring } : {}),
      ...(options.profiles ? { profiles: options.profiles } : {}),
      ...(options.buildTimeoutMs ? { timeoutMs: options.buildTimeoutMs } : {}),
      sandboxFor,
      ...(options.tmpDir ? { tmpDir: options.tmpDir } : {}),
    }).finally(() => unpacked.dispose());
    const differs: Miss = {
      files: r.files
        .filter((f) => !f.match)
        .map((f) => ({ name: f.name, ...(f.expected ? { expected: f.expected } : {}), ...(f.got ? { got: f.got } : {}) })),
      fields: r.fields.map((f) => ({
        field: f.field,
        ...(f.expected !== undefined ? { expected: f.expected } : {}),
        ...(f.got !== undefined ? { got: f.got } : {}),
      })),
    };
    return settled({
      verdict: r.verdict,
      ...(r.profile ? { profile: r.profile } : {}),
      reasons: r.reasons,
      notes: r.notes,
      attempts: r.attempts.map((a) => ({
        profile: a.profile,
        outcome: a.outcome,
        ...(a.differences !== undefined ? { differences: a.differences } : {}),
        codes: a.reasons.map((x) => x.code),
      })),
      ...(differs.files.length || differs.fields.length ? { differs } : {}),
      ...(r.signature ? { signature: r.signature } : {}),
      ...(r.profileHint ? { profileHint: r.profileHint } : {}),
    });
  } finally {
    await upload.dispose();
  }
}

/**
 * `dpkg-source -x` of the obtained upload, in the sandbox: the upload bound
 * read-only (what is compared afterwards cannot be touched by the unpacking),
 * the tree written into a fresh work directory.
 */
async function unpack(
  upload: ObtainedUpload,
  sandboxFor: (name: BuilderProfile['rootfs']) => Promise<Sandbox>,
  tmpDir?: string,
): Promise<{ ok: true; tree: string; dispose: () => Promise<void> } | { ok: false; reason: Reason }> {
  let sandbox: Sandbox;
  try {
    sandbox = await sandboxFor('trixie');
  } catch (e) {
    return { ok: false, reason: reason('ROOTFS_UNAVAILABLE', `rootfs trixie (for dpkg-source -x): ${(e as Error).message}`) };
  }
  const name = basename(upload.dscPath);
  // The sandbox uid reads the upload through the read-only bind.
  await shareReadOnly(upload.dir, [upload.dscPath, ...upload.files.map((x) => x.path)]);
  const work = await mkdtemp(join(tmpDir ?? tmpdir(), 't2u-calibrate-unpack-'));
  const dispose = (): Promise<void> => rm(work, { recursive: true, force: true });
  try {
    // --no-check: the files were already checked against the .dsc (and the
    // .dsc against the verified index); dpkg-source would look for the
    // uploader's key, which the sandbox has no keyring for.
    const r = await sandbox.run({
      argv: ['dpkg-source', '--no-check', '-x', `/upload/${name}`, '/work/tree'],
      workDir: work,
      keep: ['tree'],
      readOnly: [{ host: upload.dir, inside: '/upload' }],
      timeoutMs: 10 * 60_000,
      // The work directory's limit follows the upload's size (it starts empty); where it lives, what the files say they unpack to.
      limits: {
        inputBytes: upload.files.reduce((n, f) => n + f.size, 0),
        unpackedBytes: await unpackedEstimate(upload.files.map((f) => f.path)),
      },
    });
    if (r.exitCode !== 0 && r.workQuotaExceeded) {
      await dispose();
      return {
        ok: false,
        reason: reason('WORK_QUOTA_EXCEEDED', `dpkg-source -x ${name} filled its work directory (${r.workBytes} bytes)`),
      };
    }
    if (r.timedOut || r.exitCode !== 0) {
      await dispose();
      // A debian/ symlink pointing outside the tree: refused as verify's content layer refuses it.
      // Calibration rebuilds from the unpacked tree alone, so no rebuild can settle it.
      const refusal = r.timedOut ? undefined : unpackRefusal(r.stderr.toString('utf8').trim().split('\n').slice(-8).join(' | '));
      if (refusal) return { ok: false, reason: refusal };
      const why = r.timedOut ? 'timed out' : `exited with status ${r.exitCode ?? r.signal}`;
      return {
        ok: false,
        reason: reason(
          'BUILD_FAILED',
          `dpkg-source -x ${name} ${why}: ${r.stderr.toString('utf8').trim().split('\n').slice(-4).join(' | ')}`,
        ),
      };
    }
  } catch (e) {
    await dispose();
    if (isVerificationError(e)) return { ok: false, reason: reason(e.code, e.message) };
    throw e;
  }
  return { ok: true, tree: join(work, 'tree'), dispose };
}
