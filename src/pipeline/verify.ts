// verify: the five layers of docs/architecture.md §2 for one (repository, tag) and one
// upload. Layers 1–2 are check-tag's; a tag they reject is `rejected` and
// nothing is built. Then the upload is obtained (a .dsc path, a .dsc URL, or
// the archive entry for the tag's source and version), bound to the tag
// (service signature, Git-Tag-Info, Git-Tag-Tagger, Dgit, Source/Version),
// unpacked and compared with the tag's tree (content), and rebuilt from the
// tag under builder profiles and compared byte for byte (bits). Every stage
// failure is a reason with a stable code; nothing throws for bad input.
import { trimEnd } from '../text/scan.js';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { SignaturePolicy } from '../authenticate/openpgp/verify-tag-signature.js';
import { checkContent, type ContentCheckResult } from '../compare/content.js';
import { DEFAULT_BUILD_TIMEOUT_MS } from '../config/schema.js';
import { diffTarballs } from '../compare/tar-diff.js';
import { mangleVersion } from '../interpret/tag-name.js';
import { checkDscSignature } from '../reconstruct/compare.js';
import { profileByName, type BuilderProfile } from '../reconstruct/profiles.js';
import { reproduce, type ReproduceResult } from '../reconstruct/reproduce.js';
import { runSecondToolchain, type SecondToolchainResult } from '../reconstruct/second-toolchain/second-toolchain.js';
import { REASONS, reason, type Reason } from '../report/reasons.js';
import { isVerificationError } from '../report/verification-error.js';
import {
  layerResult, REPORT_SCHEMA, verifyVerdict,
  type CheckTagReport, type ReconstructionFacts, type TagFacts, type UploadFacts, type VerifyReport,
} from '../report/report.js';
import type { Rootfs } from '../sandbox/launcher.js';
import { ensureRootfs } from '../sandbox/rootfs.js';
import { obtainUpload, type ObtainedUpload, type ObtainOptions, type UploadLocator } from '../upload/obtain.js';
import { checkTag, type CheckTagDeps, type HeldRepository } from './check-tag.js';
import { checkPseudomerge } from './dgit-view.js';

/**
 * Where the upload comes from; `mirror`: the archive entry for the tag's
 * source and version; `obtained`: an upload already obtained (verify owns it
 * from then on and disposes of it).
 */
export type VerifyUpload =
  | Extract<UploadLocator, { kind: 'dsc-path' | 'dsc-url' }>
  | { readonly kind: 'mirror'; readonly mirror?: string; readonly suite?: string }
  | { readonly kind: 'obtained'; readonly upload: ObtainedUpload };

export interface VerifyInput {
  readonly repo: string;
  readonly tag: string;
  readonly upload: VerifyUpload;
}

export interface VerifyDeps extends Omit<CheckTagDeps, 'hold'> {
  /** The tag2upload service keyring; absent: the binding's signature check cannot pass (UPLOAD_KEYRING_UNAVAILABLE). */
  readonly uploadKeyring?: string;
  /** Why there is no upload keyring (e.g. the package could not be obtained), for UPLOAD_KEYRING_UNAVAILABLE. */
  readonly uploadKeyringUnavailable?: string;
  /** Limits, URL policy and index options for obtaining the upload. */
  readonly obtain?: ObtainOptions;
  /** The rootfs of a profile (default ensureRootfs, which builds it when it is not cached). */
  readonly rootfsFor?: (name: BuilderProfile['rootfs']) => Promise<Rootfs>;
  /** Builder profiles to try (default all, ordered by the .dsc signature's date). */
  readonly profiles?: readonly BuilderProfile[];
  /** Per sandboxed build or unpacking. Default 10 minutes. */
  readonly buildTimeoutMs?: number;
  readonly tmpDir?: string;
  /**
   * Abandons the verification (service shutdown, the job's time limit):
   * sandboxes are killed, no further stage starts, and the report is
   * unverifiable with VERIFICATION_ABORTED.
   */
  readonly signal?: AbortSignal;
  /** dgit-repos, where pseudo-merges named by Dgit fields are read (default https://git.dgit.debian.org). */
  readonly dgitReposUrl?: string;
  /** One line as each long step starts or ends (fetch, upload, rootfs, builds, comparison): the CLI's progress. */
  readonly progress?: (line: string) => void;
  /** The second toolchain (default the verifier's own; replaced only to test disagreement handling). */
  readonly secondToolchain?: typeof runSecondToolchain;
}

const DGIT_REPOS = 'https://git.dgit.debian.org';

/** The tag's tagger identity as bytes: `taggerBytes` when they are not UTF-8, else `tagger` in UTF-8. */
export function taggerIdentBytes(tag: Pick<TagFacts, 'tagger' | 'taggerBytes'>): Uint8Array | undefined {
  if (tag.taggerBytes !== undefined) return new Uint8Array(Buffer.from(tag.taggerBytes, 'hex'));
  return tag.tagger === undefined ? undefined : new Uint8Array(Buffer.from(tag.tagger, 'utf8'));
}

function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && Buffer.from(a).equals(b);
}

/** Why the reasons so far already make the upload a mismatch (the first alarm's layer and code), or undefined. */
function refutation(reasons: readonly Reason[]): string | undefined {
  const alarm = reasons.find((r) => REASONS[r.code].effect === 'mismatch');
  return alarm ? `the ${alarm.layer} layer already refutes the upload (${alarm.code})` : undefined;
}

/** Debian's debian-tag2upload-keyring package installs the service key here. */
export { INSTALLED_UPLOAD_KEYRING } from './upload-keyring-path.js';
const HEX40 = /^[0-9a-f]{40}$/;

export async function verify(input: VerifyInput, deps: VerifyDeps): Promise<VerifyReport> {
  const started = performance.now();
  let held: HeldRepository | undefined;
  let upload: ObtainedUpload | undefined = input.upload.kind === 'obtained' ? input.upload.upload : undefined;
  let products: ReproduceResult['products'];
  try {
    const progress = deps.progress ?? (() => {});
    progress(`fetching ${input.tag} from ${input.repo} and checking its signature`);
    const check = await checkTag({ repo: input.repo, tag: input.tag }, { ...deps, hold: (h) => (held = h) });
    const v = new VerifyRun(input, check);
    progress(`tag ${check.verdict}${fetchedBytes(held)}`);
    if (check.verdict !== 'authentic') return v.finish(started, 'the tag was not authenticated');

    // The upload.
    const source = check.source.package!;
    const version = check.source.version!;
    const given = input.upload;
    const locator: UploadLocator | undefined = given.kind === 'mirror'
      ? { kind: 'archive', source, version, ...(given.mirror ? { mirror: given.mirror } : {}), ...(given.suite ? { suite: given.suite } : {}) }
      : given.kind === 'obtained' ? undefined : given;
    const stopped = (): VerifyReport | undefined => {
      if (!deps.signal?.aborted) return undefined;
      v.reasons.push(reason('VERIFICATION_ABORTED', `the verification was stopped before it finished: ${String(deps.signal.reason ?? 'aborted')}`));
      return v.finish(started, 'the verification was stopped');
    };
    const early = stopped();
    if (early) return early;
    if (locator !== undefined) {
      progress(locator.kind === 'archive' ? `obtaining ${source} ${version} from the archive` : `obtaining the upload from ${locator.kind === 'dsc-path' ? locator.path : locator.url}`);
      const obtained = await v.timed('obtainMs', () => obtainUpload(locator, { ...deps.obtain, ...(deps.tmpDir ? { parentDir: deps.tmpDir } : {}) }));
      if (!obtained.ok) {
        v.reasons.push(...obtained.reasons);
        return v.finish(started, 'the upload could not be obtained');
      }
      upload = obtained.upload;
      progress(`upload: ${upload.files.length + 1} files, ${formatBytes(upload.files.reduce((n, f) => n + f.size, upload.dscBytes.length))}`);
    }
    if (upload === undefined) throw new Error('verify: no upload');
    v.bindingRan = true;
    const signedAt = await v.timed('bindingMs', () => v.bind(upload!, deps.policy, deps.uploadKeyring, deps.uploadKeyringUnavailable));

    // Content and bits both need the tag's objects where the sandbox can fetch them.
    try {
      progress('fetching the history of the tag');
      await v.timed('fetchMs', () => held!.repo.fetchHistory([...held!.refs.values()]));
      progress(`fetched${fetchedBytes(held) || ' (a local repository)'}`);
    } catch (e) {
      if (!isVerificationError(e)) throw e;
      v.reasons.push(reason(e.code, e.message));
      return v.finish(started, 'the history of the tag could not be fetched');
    }
    const beforeBuild = stopped();
    if (beforeBuild) return beforeBuild;
    const repoPath = await held!.repo.buildSource(held!.refs);
    // One promise per rootfs for the whole run: the content check and the
    // builds ask for the same one at once, and an uncached one is built once.
    const rootfsOf = deps.rootfsFor ?? ((name: BuilderProfile['rootfs']) => ensureRootfs(name, { onProgress: (line) => progress(`rootfs ${name}: ${line}`) }));
    const rootfsCache = new Map<string, Promise<Rootfs>>();
    const rootfsFor = (name: BuilderProfile['rootfs']): Promise<Rootfs> => {
      let p = rootfsCache.get(name);
      if (!p) rootfsCache.set(name, (p = rootfsOf(name)));
      return p;
    };
    const timeoutMs = deps.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS;
    // A mismatch the binding or the content layer has decided needs no
    // further builder profile: the bits layer stops after its first build.
    let contentRefutes: string | undefined;
    const refuted = (): string | undefined => refutation(v.reasons) ?? contentRefutes;
    // Content and bits are independent (each reads the repository and the
    // upload read-only, each in its own sandbox and scratch directory), so
    // they run at once; their findings are taken in the same order as before.
    progress("comparing the upload's content with the tag's tree, and rebuilding the tag");
    const content = v.timed('contentMs', async (): Promise<ContentCheckResult | Reason> => {
      let rootfs: Rootfs;
      try {
        rootfs = await rootfsFor('trixie');
      } catch (e) {
        return reason('ROOTFS_UNAVAILABLE', `rootfs trixie: ${(e as Error).message}`);
      }
      const result = await checkContent({
        repo: repoPath, tag: input.tag, commit: check.tag.commit!,
        ...(check.source.upstreamCommit && check.source.upstreamTag ? { upstreamCommit: check.source.upstreamCommit, upstreamTag: check.source.upstreamTag } : {}),
        ...(check.source.quiltMode !== undefined ? { quiltMode: check.source.quiltMode } : {}),
        format: upload!.dsc.format, uploadDir: upload!.dir, dscName: basename(upload!.dscPath), uploadFiles: upload!.files.map((f) => f.name),
        rootfs, timeoutMs, ...(deps.tmpDir ? { tmpDir: deps.tmpDir } : {}), ...(deps.signal ? { signal: deps.signal } : {}),
      });
      contentRefutes = refutation(result.reasons);
      return result;
    });
    const bits = v.timed('bitsMs', () => reproduce({
      from: { kind: 'git', repo: repoPath, tag: input.tag },
      dsc: upload!.dscPath,
      // Checked against the .dsc's Checksums-Sha256 as they were obtained.
      uploadDigests: new Map(upload!.files.map((f) => [f.name, { size: f.size, sha256: f.sha256 }])),
      ...(deps.profiles ? { profiles: deps.profiles } : signedAt ? { madeAt: signedAt } : {}),
      rootfsFor, timeoutMs, keepProducts: true, onProgress: progress, refuted,
      ...(deps.tmpDir ? { tmpDir: deps.tmpDir } : {}),
      ...(deps.signal ? { signal: deps.signal } : {}),
    }));
    // Both settled before either is used: a throw from one never leaves the other running past the clean-up below.
    const [c, b] = await Promise.allSettled([content, bits]);
    if (b.status === 'fulfilled') products = b.value.products;
    if (c.status === 'rejected') throw c.reason;
    if (b.status === 'rejected') throw b.reason;
    if ('code' in c.value) {
      v.reasons.push(c.value);
    } else {
      v.reasons.push(...c.value.reasons);
      v.notes.push(...c.value.notes);
      if (c.value.facts) {
        v.contentRan = true;
        v.report.content = c.value.facts;
      }
    }
    const r = await v.timed('bitsMs', () => v.explainDgitView(b.value, upload!, deps));
    v.takeReproduction(r);
    v.settleUnpackRefusal(r);
    const afterBuild = stopped();
    if (afterBuild) return afterBuild;
    if (products) await v.timed('diffMs', () => v.diffTarballs(upload!, products!.dir, rootfsFor));
    progress('rebuilding with the second toolchain');
    await v.timed('secondToolchainMs', () => v.runSecondToolchain(held!, upload!, r, rootfsFor, deps.secondToolchain ?? runSecondToolchain));
    return v.finish(started);
  } finally {
    await upload?.dispose();
    await products?.cleanup();
    await held?.repo.close();
  }
}

/** ", N bytes fetched" for a remote repository, for progress lines. */
function fetchedBytes(held: HeldRepository | undefined): string {
  const repo = held?.repo as { packBytes?: unknown } | undefined;
  return typeof repo?.packBytes === 'number' && repo.packBytes > 0 ? `, ${formatBytes(repo.packBytes)} fetched` : '';
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The report being assembled, and the per-layer bookkeeping. */
class VerifyRun {
  readonly reasons: Reason[];
  readonly notes: Reason[];
  readonly timings: Record<string, number>;
  readonly report: { upload?: UploadFacts; content?: VerifyReport['content']; reconstruction?: ReconstructionFacts } = {};
  bindingRan = false;
  contentRan = false;
  /** Why the content layer compared nothing, when it is known. */
  contentSkipped: string | undefined;
  bitsRan = false;
  explained = false;

  constructor(
    private readonly input: VerifyInput,
    private readonly check: CheckTagReport,
  ) {
    this.reasons = [...check.reasons];
    this.notes = [...check.notes];
    this.timings = { ...check.timings };
  }

  async timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.timings[name] = Math.round((performance.now() - t0) * 10) / 10 + (this.timings[name] ?? 0);
    }
  }

  /**
   * Layer 3. Returns the .dsc signature's creation time (verified when the
   * keyring verified it), which orders the builder profiles.
   */
  async bind(upload: ObtainedUpload, policy: Readonly<SignaturePolicy>, uploadKeyring: string | undefined, unavailable?: string): Promise<Date | undefined> {
    const { dsc } = upload;
    const p = dsc.paragraph;
    const facts: UploadFacts = {
      origin: upload.origin,
      dsc: basename(upload.dscPath),
      sha256: createHash('sha256').update(upload.dscBytes).digest('hex'),
      source: dsc.source,
      version: dsc.version,
    };
    const info = p.get('Git-Tag-Info');
    const tagger = p.get('Git-Tag-Tagger');
    const dgit = p.get('Dgit');
    if (info !== undefined) facts.gitTagInfo = info;
    if (tagger !== undefined) facts.gitTagTagger = tagger;
    if (dgit !== undefined) facts.dgit = dgit;
    this.report.upload = facts;

    let signedAt: Date | undefined;
    if (uploadKeyring === undefined) {
      this.reasons.push(reason('UPLOAD_KEYRING_UNAVAILABLE', `${unavailable ?? 'no upload keyring is configured'}: the .dsc signature by the tag2upload service cannot be checked`));
    } else {
      let s;
      try {
        s = await checkDscSignature(upload.dscBytes, uploadKeyring, policy);
      } catch (e) {
        this.reasons.push(reason('UPLOAD_KEYRING_UNAVAILABLE', `${uploadKeyring}: ${(e as Error).message}`));
      }
      if (s) {
        if (s.signerFingerprint) facts.signer = s.signerFingerprint.toLowerCase();
        if (s.created) facts.signed = s.created.toISOString();
        if (s.ok) signedAt = s.created;
        else this.reasons.push(...s.reasons);
      }
    }

    const tag = this.check.tag;
    const src = this.check.source;
    if (dsc.source !== src.package || dsc.version !== src.version) {
      this.reasons.push(reason('UPLOAD_NOT_FOR_TAG', `the upload is ${dsc.source} ${dsc.version}; the tag asks to upload ${src.package ?? '?'} ${src.version ?? '?'}`));
    }
    if (info === undefined || tagger === undefined) {
      this.reasons.push(reason('GIT_TAG_INFO_MISSING', `the .dsc has no ${info === undefined ? 'Git-Tag-Info' : 'Git-Tag-Tagger'} field`));
    }
    // Parsed (tag= and fp= as lower-case hex) when the upload was read: a malformed one is UPLOAD_DSC_INVALID.
    const parsed = dsc.gitTagInfo;
    if (parsed) {
      if (parsed.tag !== tag.object) this.reasons.push(reason('TAG_OBJECT_MISMATCH', `Git-Tag-Info names tag object ${parsed.tag}; the tag ${tag.name} is object ${tag.object ?? '?'}`));
      if (parsed.fp !== tag.signerFingerprint?.toLowerCase()) {
        this.reasons.push(reason('TAG_SIGNER_MISMATCH', `Git-Tag-Info names signer ${parsed.fp}; the tag's signature was made by ${tag.signerFingerprint ?? '?'}`));
      }
    }
    // Byte for byte: dgit copies the tagger header's bytes, whatever their encoding.
    if (dsc.gitTagTaggerBytes !== undefined && !sameBytes(dsc.gitTagTaggerBytes, taggerIdentBytes(tag))) {
      this.reasons.push(reason('TAG_TAGGER_MISMATCH', `Git-Tag-Tagger is ${JSON.stringify(tagger)}${dsc.encoding === 'utf-8' ? '' : ` (bytes ${Buffer.from(dsc.gitTagTaggerBytes).toString('hex')})`}; the tag's tagger is ${JSON.stringify(tag.tagger ?? null)}${tag.taggerBytes ? ` (bytes ${tag.taggerBytes})` : ''}`));
    }
    // The Dgit field: the dgit view commit, then what dopush names. The
    // commit id itself depends on the dgit view (and, for a package with
    // archive history, on dgit-repos' pseudo-merge): the bits layer compares
    // it with the rebuilt one.
    const want = `debian archive/debian/${mangleVersion(dsc.version)} ${DGIT_REPOS}/${dsc.source}`;
    const words = dgit?.split(' ') ?? [];
    if (dgit === undefined || words.length !== 4 || !HEX40.test(words[0]!) || words.slice(1).join(' ') !== want) {
      this.reasons.push(reason('DGIT_FIELD_MISMATCH', `Dgit is ${JSON.stringify(dgit?.slice(0, 300) ?? null)}; expected "<commit> ${want}"`));
    }
    return signedAt;
  }

  /**
   * When the only difference is the Dgit field's commit (every file
   * identical, the rest of the field too), it may be dgit-repos'
   * pseudo-merge over archive history (dgit-view.ts): checked there, it
   * becomes a note (equivalent); unreadable, unverifiable; anything else stays
   * a mismatch, with why.
   */
  async explainDgitView(r: ReproduceResult, upload: ObtainedUpload, deps: VerifyDeps): Promise<ReproduceResult> {
    const dgit = r.fields.find((f) => f.field.toLowerCase() === 'dgit');
    const others = r.fields.filter((f) => !/^(dgit|files|checksums-sha1|checksums-sha256)$/i.test(f.field));
    const view = r.build?.tag;
    if (!dgit || others.length > 0 || !r.files.every((f) => f.match || f.explainedBy) || !view?.dgitViewTree || !dgit.expected || !dgit.got) return r;
    const [uploadCommit, ...uploadRest] = dgit.expected.split(' ');
    const [rebuilt, ...rebuiltRest] = dgit.got.split(' ');
    if (!uploadCommit || !rebuilt || uploadRest.join(' ') !== rebuiltRest.join(' ') || rebuilt !== view.dgitView) return r;
    const res = await checkPseudomerge({
      repoUrl: `${trimEnd(deps.dgitReposUrl ?? DGIT_REPOS, '/')}/${upload.dsc.source}`,
      version: upload.dsc.version,
      uploadCommit, rebuiltView: rebuilt, rebuiltViewTree: view.dgitViewTree,
      viewIsBuilderCommit: r.build!.dgitViewBuilderCommit,
      openRepository: (url) => deps.openRepository(url),
    });
    const isDgitField = (x: Reason): boolean => x.code === 'DSC_DGIT_FIELD_MISMATCH';
    if (res.explained) {
      const reasons = r.reasons.filter((x) => !isDgitField(x));
      return { ...r, reasons, notes: [...r.notes, res.note], fields: r.fields.filter((f) => f !== dgit), verdict: reasons.length === 0 ? 'equivalent' : r.verdict };
    }
    // Undecidable is not a mismatch: the field difference is replaced by why it could not be judged.
    const unchecked = res.reasons.some((x) => x.code === 'DGIT_VIEW_UNCHECKED');
    const reasons = [...(unchecked ? r.reasons.filter((x) => !isDgitField(x)) : r.reasons), ...res.reasons];
    return { ...r, reasons, verdict: unchecked && !reasons.some((x) => REASONS[x.code].effect === 'mismatch') ? 'unverifiable' : 'mismatch' };
  }

  /**
   * An upload dpkg-source -x refuses (UPLOAD_UNPACK_REFUSED) could not be
   * compared by the content layer. When the bits layer rebuilt it from the
   * tag byte for byte, every file is what the tag makes: the refusal becomes
   * a note and the verdict is the bits layer's. Otherwise it stays (the bits
   * layer's own mismatch, or an unverifiable verdict).
   */
  settleUnpackRefusal(r: ReproduceResult): void {
    const i = this.reasons.findIndex((x) => x.code === 'UPLOAD_UNPACK_REFUSED');
    if (i < 0 || (r.verdict !== 'reproduced' && r.verdict !== 'equivalent')) return;
    const [refusal] = this.reasons.splice(i, 1);
    this.contentSkipped = "dpkg-source -x refuses the upload (a debian/ symlink points outside the tree); the bits layer rebuilt every file from the tag";
    this.notes.push(reason('UPLOAD_UNPACK_REFUSED', `${refusal!.message}; the rebuild from the tag gave every file of the upload byte for byte (profile ${r.profile ?? '?'}), so the upload is what the tag says, although Debian's own dpkg-source -x will not unpack it`));
  }

  takeReproduction(r: ReproduceResult): void {
    this.reasons.push(...r.reasons);
    this.notes.push(...r.notes);
    this.bitsRan = r.profile !== undefined;
    this.explained = r.verdict === 'equivalent';
    // The build fetched the tag again: it must have been the judged object.
    const built = r.build?.tag?.object;
    if (built !== undefined && built !== this.check.tag.object) {
      this.reasons.push(reason('BUILD_FAILED', `the repository's tag changed during verification: ${built}, not ${this.check.tag.object ?? '?'}`));
    }
    this.report.reconstruction = {
      ...(r.profile ? { profile: r.profile } : {}),
      ...(r.profileHint ? { profileHint: r.profileHint } : {}),
      attempts: r.attempts.map((a) => ({
        profile: a.profile, outcome: a.outcome, ...(a.differences !== undefined ? { differences: a.differences } : {}), durationMs: Math.round(a.durationMs),
        ...(a.steps ? { stepsMs: Object.fromEntries(Object.entries(a.steps).map(([k, v]) => [k, Math.round(v)])) } : {}),
      })),
      ...(r.skipped.length ? { skipped: r.skipped } : {}),
      toolchains: [{
        name: 'dgit',
        status: r.profile === undefined ? 'failed' : r.verdict === 'reproduced' || r.verdict === 'equivalent' ? 'agrees' : 'differs',
        ...(r.profile ? { detail: `dgit's builder mode under profile ${r.profile}` } : {}),
      }],
      files: r.files,
      fields: r.fields,
      dscIdentical: r.dscIdentical,
    };
  }

  /**
   * The verifier's own TypeScript toolchain (docs/architecture.md §2 layer 5 twice
   * over): tarballs and .dsc body from the tag's git objects, under the
   * profile dgit's build reproduced with (or came closest under). Its answer
   * and dgit's must agree; a disagreement is reported, never resolved.
   */
  async runSecondToolchain(
    held: HeldRepository, upload: ObtainedUpload, r: ReproduceResult,
    rootfsFor: (name: BuilderProfile['rootfs']) => Promise<Rootfs>, second: typeof runSecondToolchain,
  ): Promise<void> {
    const rec = this.report.reconstruction;
    const profile = r.profile !== undefined ? profileByName(r.profile) : undefined;
    const tag = this.check.tag;
    if (!rec) return;
    if (!profile || tag.object === undefined || tag.commit === undefined || tag.signerFingerprint === undefined || tag.tagger === undefined) {
      rec.toolchains.push({ name: 'typescript', status: 'not-run', detail: 'dgit\'s build did not run to a comparison, so no builder profile is known' });
      return;
    }
    const src = this.check.source;
    let result: SecondToolchainResult;
    try {
      result = await second({
        objects: held.repo.objects(),
        commit: tag.commit,
        ...(src.upstreamCommit ? { upstreamCommit: src.upstreamCommit } : {}),
        quiltMode: src.quiltMode ?? '',
        umask: profile.umask,
        dpkgDev: profile.packages['dpkg-dev'],
        rootfs: await rootfsFor(profile.rootfs),
        appended: {
          // dgit's view commit is dgit's alone: the upload's value is taken, and compared by the dgit toolchain.
          dgit: upload.dsc.paragraph.get('Dgit') ?? '',
          gitTagInfo: `tag=${tag.object} fp=${tag.signerFingerprint.toLowerCase()}`,
          gitTagTagger: taggerIdentBytes(tag)!,
        },
        uploadDir: upload.dir,
        uploadDsc: upload.dsc,
      });
    } catch (e) {
      rec.toolchains.push({ name: 'typescript', status: 'failed', detail: (e as Error).message });
      return;
    }
    if (!result.supported) {
      rec.toolchains.push({ name: 'typescript', status: 'not-run', detail: result.why });
      return;
    }
    // A tarball whose member mtimes leaked from the builder's checkout
    // (CHECKOUT_MTIME_LEAK, explained by dgit's comparison) cannot be made
    // from git objects alone: the TypeScript toolchain clamps every mtime.
    // Its other files and .dsc fields must still agree.
    const leaked = new Set(r.files.filter((f) => f.explainedBy === 'CHECKOUT_MTIME_LEAK').map((f) => f.name));
    const files = result.files.filter((f) => f.status === 'differs' && !leaked.has(f.name));
    const fields = (result.dscBody.fields ?? []).filter((f) => !(leaked.size > 0 && /^(files|checksums-sha1|checksums-sha256)$/i.test(f.field)));
    const bodyDiffers = result.dscBody.status === 'differs' && (fields.length > 0 || leaked.size === 0);
    const differing = [
      ...files.map((f) => `${f.name}${f.detail ? ` (${f.detail})` : ''}`),
      ...(bodyDiffers ? [`.dsc body${fields.length ? ` (${fields.map((f) => f.field).join(', ')})` : ''}`] : []),
    ];
    const agrees = result.agrees || (leaked.size > 0 && differing.length === 0);
    const recompressed = result.files.filter((f) => f.status === 'same-tar-different-compression').map((f) => f.name);
    rec.toolchains.push({
      name: 'typescript',
      status: agrees ? 'agrees' : 'differs',
      detail: agrees
        ? `the verifier's own tar, git archive and .dsc writers${recompressed.length ? `; same tar stream, other compression: ${recompressed.join(', ')}` : ''}${leaked.size ? `; checkout mtimes not modelled: ${[...leaked].join(', ')}` : ''}`
        : `differs from the upload: ${differing.join('; ')}`,
    });
    // An undecided dgit comparison (say, a Dgit commit dgit-repos could not show) is no disagreement.
    const dgitAgrees = r.verdict === 'reproduced' || r.verdict === 'equivalent';
    if ((dgitAgrees && !agrees) || (r.verdict === 'mismatch' && agrees)) {
      this.reasons.push(reason('TOOLCHAINS_DISAGREE', dgitAgrees
        ? `dgit's build reproduced the upload under ${profile.name}, the TypeScript toolchain did not: ${differing.join('; ')}`
        : `the TypeScript toolchain reproduced the upload under ${profile.name}, dgit's build did not`));
    }
  }

  /**
   * For the human diff: every tarball that differs, member by member, from
   * what the tag gives (the rebuild, `expected`) to what was uploaded (`got`):
   * `added` is a member only the upload has, as in the content layer. Read by the verifier's own tar reader after
   * sandboxed decompression; names are data, never paths on the host.
   */
  async diffTarballs(upload: ObtainedUpload, productsDir: string, rootfsFor: (name: BuilderProfile['rootfs']) => Promise<Rootfs>): Promise<void> {
    const rec = this.report.reconstruction;
    if (!rec) return;
    const differing = rec.files.filter((f) => !f.match && f.expected && f.got && f.origin === 'rebuilt' && /\.tar(\.[a-z0-9]+)?$/.test(f.name));
    if (differing.length === 0) return;
    let rootfs: Rootfs;
    try {
      rootfs = await rootfsFor('trixie');
    } catch (e) {
      rec.tarballs = differing.slice(0, 4).map((f) => ({ file: f.name, members: [], error: `no sandbox to decompress in: ${(e as Error).message}` }));
      return;
    }
    rec.tarballs = [];
    for (const f of differing.slice(0, 4)) {
      rec.tarballs.push(await diffTarballs(join(productsDir, f.name), join(upload.dir, f.name), { file: f.name, decompress: { rootfs } }));
    }
  }

  finish(started: number, skipped?: string): VerifyReport {
    const c = this.check;
    this.timings['totalMs'] = Math.round(performance.now() - started);
    const reasons = this.reasons;
    // A tag check-tag did not authenticate: rejected or unverifiable as it said, nothing built.
    const verdict = c.verdict === 'rejected' ? 'rejected' : verifyVerdict(reasons, this.explained);
    const later = skipped ?? 'an earlier step failed';
    return {
      schema: REPORT_SCHEMA,
      kind: 'verify',
      verdict,
      reasons,
      notes: this.notes,
      layers: {
        authenticity: c.layers.authenticity,
        metadata: c.layers.metadata,
        binding: layerResult('binding', reasons, this.bindingRan, later),
        content: layerResult('content', reasons, this.contentRan, this.contentSkipped ?? later),
        bits: layerResult('bits', reasons, this.bitsRan, later),
      },
      repo: this.input.repo,
      tag: c.tag,
      source: c.source,
      ...this.report,
      timings: this.timings,
    };
  }
}
