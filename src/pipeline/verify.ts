// verify: the five layers of docs/architecture.md §2 for one (repository, tag) and one
// upload, in order. Layers 1–2 are check-tag's; a tag they reject is
// `rejected` and nothing is built. Then the upload is obtained once (a .dsc
// path, a .dsc URL, or the archive entry for the tag's source and version)
// and that one object is passed on; it is bound to the tag (bind/), its
// unpacked content compared with the tag's tree (compare/), and the tag
// rebuilt under builder profiles and compared byte for byte (reconstruct/),
// by dgit and by the second toolchain. This module only sequences: every
// judgement is a stage's. Every stage failure is a reason with a stable
// code; nothing throws for bad input.
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  bindUpload,
  type Binding,
  DGIT_REPOS,
  explainDgitView,
  judgeToolchains,
  taggerIdentBytes,
  type SecondToolchainOutcome,
} from '../bind/index.js';
import { checkContent, type ContentCheckResult } from '../compare/index.js';
import { diffTarballs } from '../compare/index.js';
import { DEFAULT_BUILD_TIMEOUT_MS } from '../config/schema.js';
import {
  besideTheBuild,
  builderSandbox,
  profileByName,
  shareReadOnly,
  SMALL_INPUT_BELOW_BYTES,
  type BuilderProfile,
  type Sandbox,
} from '../sandbox/index.js';
import {
  reproduce,
  uploadHints,
  warmFirstBuild,
  type ProfileHints,
  type ReproduceInput,
  type ReproduceResult,
  type WarmBuild,
} from '../reconstruct/index.js';
import { runSecondToolchain } from '../reconstruct/index.js';
import { reason, type Reason } from '../report/reasons.js';
import type { VerifyReport } from '../report/report.js';
import { isVerificationError } from '../report/verification-error.js';
import { obtainUpload, type ObtainedUpload, type ObtainOptions, type UploadLocator } from '../upload/index.js';
import { MAX_TAG_OBJECT_BYTES } from '../gitobj/tag-object.js';
import { unpackedEstimate } from '../tarball/unpacked-size.js';
import { checkTag, type CheckTagDeps, type HeldRepository } from './check-tag.js';
import { refutation, VerifyRun } from './verify-run.js';

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

export interface VerifyDeps extends Omit<CheckTagDeps, 'hold' | 'wholeHistory'> {
  /** The tag2upload service keyring; absent: the binding's signature check cannot pass (KEYRING_UNAVAILABLE, subject upload). */
  readonly uploadKeyring?: string;
  /** Why there is no upload keyring (e.g. the package could not be obtained), for KEYRING_UNAVAILABLE (subject upload). */
  readonly uploadKeyringUnavailable?: string;
  /** Limits, URL policy and index options for obtaining the upload. */
  readonly obtain?: ObtainOptions;
  /** The sandbox over a profile's root filesystem (default builderSandbox, which builds the rootfs when it is not cached). */
  readonly sandboxFor?: (name: BuilderProfile['rootfs']) => Promise<Sandbox>;
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
  /** Uploads below this (files plus what they unpack to) run layers 4 and 5 at once (default SMALL_INPUT_BELOW_BYTES; replaced only to test the order). */
  readonly smallUploadBelowBytes?: number;
}

/** Debian's debian-tag2upload-keyring package installs the service key here. */
export { INSTALLED_UPLOAD_KEYRING } from './upload-keyring-path.js';

type SandboxFor = (name: BuilderProfile['rootfs']) => Promise<Sandbox>;
type Progress = (line: string) => void;

export async function verify(input: VerifyInput, deps: VerifyDeps): Promise<VerifyReport> {
  const started = performance.now();
  const progress = deps.progress ?? (() => {});
  let held: HeldRepository | undefined;
  let upload: ObtainedUpload | undefined = input.upload.kind === 'obtained' ? input.upload.upload : undefined;
  let products: ReproduceResult['products'];
  // The second toolchain's rebuild, when it was started beside dgit's build (a small upload: smallUpload).
  let earlySecond: EarlySecond | undefined;
  // What the upload shows of its builder, read before the first build.
  let hints: Promise<ProfileHints> | undefined;
  const sandboxFor = sandboxCache(deps, progress);
  // An upload a .dsc path or URL names does not depend on the tag: it is
  // obtained, and what it shows of its builder read, while the tag's pack is
  // fetched and checked. A local .dsc from the start (in a later turn of the
  // event loop, so that the fetch, on which everything waits, goes out
  // first): its copy is local work; a URL's once the tag is found, so that a
  // tag that is not there downloads nothing. Nothing of it is used unless the
  // tag is authentic.
  const given = input.upload;
  let ahead: Promise<Ahead> | undefined;
  // What the upload's files unpack to, as their headers say (unpackedOf).
  let unpacked: Promise<number> | undefined;
  // A small upload obtained ahead: its first build starts too, once the
  // repository is held as well, its sandbox waiting, so that dgit compiles
  // while the tag is checked (warmFirstBuild); it reads the repository only
  // if the bits layer adopts it.
  let warm: Promise<WarmBuild | undefined> | undefined;
  // The repository, once check-tag holds it; undefined once check-tag has
  // ended without (no tag, no repository) or the verification has.
  let holdRepo: (held: HeldRepository | undefined) => void = () => {};
  const heldRepo = new Promise<HeldRepository | undefined>((resolve) => (holdRepo = resolve));
  const startAhead = (): void => {
    if (ahead || (given.kind !== 'dsc-path' && given.kind !== 'dsc-url')) return;
    ahead = new Promise<void>((resolve) => setImmediate(resolve)).then(() => obtainAhead(given, deps, sandboxFor, progress));
    // Awaited where it is used; a failure is the verification's (rethrown there), never an unhandled rejection meanwhile.
    void ahead.catch(() => undefined);
    warm = Promise.all([ahead, heldRepo]).then(async ([a, h]) => {
      if (!h || !a.result.ok || deps.signal?.aborted) return undefined;
      const upload = a.result.upload;
      unpacked = unpackedOf(upload);
      const unpackedBytes = await unpacked;
      // A large upload builds after its content check: a warm build would only wait.
      if (!smallUpload(packedBytes(upload), unpackedBytes, deps.smallUploadBelowBytes)) return undefined;
      return warmFirstBuild({
        upload,
        repo: h.repo.buildSourcePath(),
        unpackedBytes,
        sandboxFor,
        timeoutMs: deps.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS,
        ...(deps.profiles ? { profiles: deps.profiles } : {}),
        ...(deps.tmpDir ? { tmpDir: deps.tmpDir } : {}),
        ...(deps.signal ? { signal: deps.signal } : {}),
      });
    });
    // A warm build that could not start is no failure: the build starts as it would have.
    warm = warm.catch(() => undefined);
  };
  try {
    // Layers 1 and 2.
    progress(`fetching ${input.tag} and its history from ${input.repo} and checking its signature`);
    if (given.kind === 'dsc-path') startAhead();
    const check = await checkTag(
      { repo: input.repo, tag: input.tag },
      {
        ...deps,
        wholeHistory: true,
        hold: (h) => {
          held = h;
          holdRepo(h);
          startAhead();
        },
      },
    );
    holdRepo(undefined);
    const run = new VerifyRun(input.repo, check, started);
    progress(`tag ${check.verdict}${fetchedBytes(held)}`);
    if (check.verdict !== 'authentic') return run.finish('the tag was not authenticated');
    const stopped = (): VerifyReport | undefined => (deps.signal?.aborted ? aborted(run, deps.signal) : undefined);

    // The upload, obtained once; then layer 3.
    const early = stopped();
    if (early) return early;
    if (ahead) {
      const a = await ahead;
      run.timings['obtainMs'] = a.ms;
      if (!a.result.ok) {
        run.reasons.push(...a.result.reasons);
        run.notes.push(...a.result.notes);
        return run.finish('the upload could not be obtained');
      }
      upload = a.result.upload;
      hints = a.hints;
    } else {
      upload ??= await obtainStep(run, given, deps, progress);
      if (upload === undefined) return run.finish('the upload could not be obtained');
      await shareUpload(upload);
      if (!deps.profiles) hints = uploadHints(upload, sandboxFor('trixie'), deps.signal);
    }
    run.notes.push(...upload.notes);
    const binding = await run.timed('bindingMs', () => bindStep(run, upload!, deps));

    // Layers 4 and 5 need the tags' history (check-tag fetched it) where the sandbox can fetch it.
    if (!(await fetchHistoryStep(run, held!))) return run.finish('the history of the tag could not be fetched');
    const beforeBuild = stopped();
    if (beforeBuild) return beforeBuild;
    const repoPath = await held!.repo.buildSource(held!.refs);

    // Layers 4 and 5, each reading the repository and the upload read-only,
    // in its own sandbox and scratch directory; their findings are taken in
    // the same order whichever ran first. A mismatch the binding or the
    // content layer has decided needs no further builder profile: the bits
    // layer stops after its first build. A small upload runs both at once;
    // a large one runs the content check first, then the build (smallUpload).
    let contentRefutes: string | undefined;
    const second = deps.secondToolchain ?? runSecondToolchain;
    const secondFor = (profile: BuilderProfile): Promise<SecondToolchainOutcome> =>
      secondToolchainOutcome(run, held!, upload!, profile, sandboxFor, second, deps.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS);
    // The second toolchain may start beside dgit's build, under the profile
    // dgit builds first, once the content check has left its core free.
    let firstProfile: BuilderProfile | undefined;
    let contentDone = false;
    // What the upload unpacks to, as its files' headers say: read once, for the
    // content check's and the builds' work directories and for the above.
    const unpackedBytes = await (unpacked ?? unpackedOf(upload));
    const small = smallUpload(packedBytes(upload), unpackedBytes, deps.smallUploadBelowBytes);
    progress(
      small
        ? "comparing the upload's content with the tag's tree, and rebuilding the tag"
        : "comparing the upload's content with the tag's tree, then rebuilding the tag (a large upload: one after the other)",
    );
    // Started for a small upload only (the same bound as here).
    const warmFirst = await warm;
    const startEarly = (): void => {
      if (earlySecond || !small || !firstProfile || !contentDone || deps.signal?.aborted) return;
      earlySecond = { profile: firstProfile.name, outcome: secondFor(firstProfile) };
    };
    const refuted = (): string | undefined => refutation(run.reasons) ?? contentRefutes;
    const onBuildStart = (p: BuilderProfile): void => {
      firstProfile ??= p;
      startEarly();
    };
    // Told when the first build is running in its sandbox (or will not run).
    let buildRunning = (): void => {};
    const running = new Promise<void>((resolve) => (buildRunning = resolve));
    const bits = (): Promise<ReproduceResult> =>
      run.timed('bitsMs', () =>
        bitsStep(
          input,
          held!,
          repoPath,
          upload!,
          unpackedBytes,
          binding,
          hints,
          sandboxFor,
          refuted,
          deps,
          progress,
          { onBuildStart, onBuildRunning: buildRunning },
          { idleReader: !small, warm: warmFirst },
        ),
      );
    const content = (): Promise<ContentCheckResult | Reason> =>
      run.timed('contentMs', async () => {
        try {
          const c = await contentStep(input, run, repoPath, upload!, unpackedBytes, sandboxFor, deps);
          if (!('code' in c)) contentRefutes = refutation(c.reasons);
          return c;
        } finally {
          contentDone = true;
          startEarly();
        }
      });
    // Both settled before either is used: a throw from one never leaves the
    // other running past the clean-up below. At once, the build first: it is
    // the longer of the two, and both begin by preparing on this thread, so
    // the content check begins once the build's sandbox has started (or the
    // bits layer has ended without one).
    let c: PromiseSettledResult<ContentCheckResult | Reason>;
    let b: PromiseSettledResult<ReproduceResult>;
    if (small) {
      const started = bits();
      void started.then(buildRunning, buildRunning);
      [c, b] = await Promise.allSettled([running.then(content), started]);
    } else {
      [c] = await Promise.allSettled([content()]);
      if (c.status === 'rejected') throw c.reason;
      [b] = await Promise.allSettled([bits()]);
    }
    if (b.status === 'fulfilled') products = b.value.products;
    if (c.status === 'rejected') throw c.reason;
    if (b.status === 'rejected') throw b.reason;
    run.takeContent(c.value);
    const r = await run.timed('bitsMs', () =>
      explainDgitView(b.value, {
        dsc: upload!.dsc,
        dgitReposUrl: deps.dgitReposUrl ?? DGIT_REPOS,
        openRepository: (url) => deps.openRepository(url),
      }),
    );
    run.takeReproduction(r);
    const afterBuild = stopped();
    if (afterBuild) return afterBuild;

    // What differs, member by member, for the human diff; then layer 5 by the second toolchain.
    if (products) await run.timed('diffMs', () => tarballDiffStep(run, upload!, products!.dir, sandboxFor));
    progress('rebuilding with the second toolchain');
    await run.timed('secondToolchainMs', () => secondToolchainStep(run, r, earlySecond, secondFor));
    return run.finish();
  } finally {
    // No warm build starts after this (a check-tag that threw never held the repository).
    holdRepo(undefined);
    // A warm build binds the repository: it ends before it goes (reproduce released it when it ran).
    await (await warm)?.release();
    // An early second-toolchain rebuild reads the repository and the upload: it ends before they go.
    await earlySecond?.outcome;
    // An upload obtained ahead of a tag that was not authentic (or of a stop) goes too.
    const a = await ahead?.catch(() => undefined);
    await a?.hints;
    await hints;
    const unused = a?.result.ok && a.result.upload !== upload ? a.result.upload : undefined;
    await cleanUp([upload?.dispose(), unused?.dispose(), products?.cleanup(), held?.repo.close()].filter((p) => p !== undefined));
  }
}

/**
 * Independent clean-ups (scratch directories, the repository's reader and
 * object store), run at once: each runs to its end even when another fails,
 * and the first failure is thrown after all have ended.
 */
async function cleanUp(steps: readonly Promise<void>[]): Promise<void> {
  const failed = (await Promise.allSettled(steps)).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function aborted(run: VerifyRun, signal: AbortSignal): VerifyReport {
  run.reasons.push(
    reason('VERIFICATION_ABORTED', `the verification was stopped before it finished: ${String(signal.reason ?? 'aborted')}`),
  );
  return run.finish('the verification was stopped');
}

/** The upload the input names (a .dsc path or URL, or the archive entry for the tag's source and version); undefined, with why in `run`, when it could not be obtained. */
async function obtainStep(run: VerifyRun, given: VerifyUpload, deps: VerifyDeps, progress: Progress): Promise<ObtainedUpload | undefined> {
  if (given.kind === 'obtained') return given.upload;
  const source = run.check.source.package!;
  const version = run.check.source.version!;
  const locator: UploadLocator =
    given.kind === 'mirror'
      ? {
          kind: 'archive',
          source,
          version,
          ...(given.mirror ? { mirror: given.mirror } : {}),
          ...(given.suite ? { suite: given.suite } : {}),
        }
      : given;
  progress(
    locator.kind === 'archive'
      ? `obtaining ${source} ${version} from the archive`
      : `obtaining the upload from ${locator.kind === 'dsc-path' ? locator.path : locator.url}`,
  );
  const obtained = await run.timed('obtainMs', () =>
    obtainUpload(locator, { ...deps.obtain, ...(deps.tmpDir ? { parentDir: deps.tmpDir } : {}) }),
  );
  if (!obtained.ok) {
    run.reasons.push(...obtained.reasons);
    run.notes.push(...obtained.notes);
    return undefined;
  }
  const upload = obtained.upload;
  progress(uploadLine(upload));
  return upload;
}

/** The progress line of an obtained upload: its files and their bytes. */
function uploadLine(upload: ObtainedUpload): string {
  return `upload: ${upload.files.length + 1} files, ${formatBytes(upload.files.reduce((n, f) => n + f.size, upload.dscBytes.length))}`;
}

/**
 * The sandboxes read the upload where it is (content check, given origs);
 * where its directory cannot be shared, the launcher stages a copy per run.
 */
async function shareUpload(upload: ObtainedUpload): Promise<void> {
  await shareReadOnly(upload.dir, [upload.dscPath, ...upload.files.map((f) => f.path)]).catch(() => undefined);
}

/** An upload obtained before the tag is judged (obtainAhead): how long it took, and its profile hints already being read. */
interface Ahead {
  readonly result: Awaited<ReturnType<typeof obtainUpload>>;
  readonly ms: number;
  readonly hints?: Promise<ProfileHints>;
}

/** Obtains a .dsc path's or URL's upload, shares it with the sandboxes and starts reading its profile hints. */
async function obtainAhead(
  given: Extract<VerifyUpload, { kind: 'dsc-path' | 'dsc-url' }>,
  deps: VerifyDeps,
  sandboxFor: SandboxFor,
  progress: Progress,
): Promise<Ahead> {
  const t0 = performance.now();
  progress(`obtaining the upload from ${given.kind === 'dsc-path' ? given.path : given.url}`);
  const result = await obtainUpload(given, { ...deps.obtain, ...(deps.tmpDir ? { parentDir: deps.tmpDir } : {}) });
  const ms = Math.round((performance.now() - t0) * 10) / 10;
  if (!result.ok) return { result, ms };
  const upload = result.upload;
  progress(uploadLine(upload));
  await shareUpload(upload);
  return { result, ms, ...(deps.profiles ? {} : { hints: uploadHints(upload, sandboxFor('trixie'), deps.signal) }) };
}

/** Layer 3; the binding (its verified signing time orders the builder profiles). */
async function bindStep(run: VerifyRun, upload: ObtainedUpload, deps: VerifyDeps): Promise<Binding> {
  const binding = await bindUpload({
    upload,
    tag: run.check.tag,
    source: run.check.source,
    policy: deps.policy,
    ...(deps.uploadKeyring !== undefined ? { uploadKeyring: deps.uploadKeyring } : {}),
    ...(deps.uploadKeyringUnavailable !== undefined ? { uploadKeyringUnavailable: deps.uploadKeyringUnavailable } : {}),
  });
  run.takeBinding(binding);
  return binding;
}

/**
 * The tags' history in the held repository: check-tag fetched each tag with
 * it, so this fetches nothing unless a tag came shallowly. False, with why
 * in `run`, when it could not be fetched.
 */
async function fetchHistoryStep(run: VerifyRun, held: HeldRepository): Promise<boolean> {
  try {
    await run.timed('fetchMs', () => held.repo.fetchHistory([...held.refs.values()]));
    return true;
  } catch (e) {
    if (!isVerificationError(e)) throw e;
    run.reasons.push(reason(e.code, e.message));
    return false;
  }
}

/** One promise per rootfs for the whole run: the content check and the builds ask for the same one at once, and an uncached one is built once. */
function sandboxCache(deps: VerifyDeps, progress: Progress): SandboxFor {
  const sandboxOf =
    deps.sandboxFor ??
    ((name: BuilderProfile['rootfs']) => builderSandbox(name, { onProgress: (line) => progress(`rootfs ${name}: ${line}`) }));
  const cache = new Map<string, Promise<Sandbox>>();
  return (name) => {
    let p = cache.get(name);
    if (!p) cache.set(name, (p = sandboxOf(name)));
    return p;
  };
}

/** Layer 4: the upload's unpacked content against the tag's tree. */
async function contentStep(
  input: VerifyInput,
  run: VerifyRun,
  repoPath: string,
  upload: ObtainedUpload,
  unpackedBytes: number,
  sandboxFor: SandboxFor,
  deps: VerifyDeps,
): Promise<ContentCheckResult | Reason> {
  let sandbox: Sandbox;
  try {
    sandbox = besideTheBuild(await sandboxFor('trixie'));
  } catch (e) {
    return reason('ROOTFS_UNAVAILABLE', `rootfs trixie: ${(e as Error).message}`);
  }
  const src = run.check.source;
  return checkContent({
    repo: repoPath,
    tag: input.tag,
    commit: run.check.tag.commit!,
    ...(src.upstreamCommit && src.upstreamTag ? { upstreamCommit: src.upstreamCommit, upstreamTag: src.upstreamTag } : {}),
    ...(src.quiltMode !== undefined ? { quiltMode: src.quiltMode } : {}),
    format: upload.dsc.format,
    uploadDir: upload.dir,
    dscName: basename(upload.dscPath),
    uploadFiles: upload.files.map((f) => f.name),
    unpackedBytes,
    sandbox,
    timeoutMs: deps.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS,
    ...(deps.tmpDir ? { tmpDir: deps.tmpDir } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
}

/** Layer 5 by dgit's builder mode, under builder profiles. */
async function bitsStep(
  input: VerifyInput,
  held: HeldRepository,
  repoPath: string,
  upload: ObtainedUpload,
  unpackedBytes: number,
  binding: Binding,
  hints: Promise<ProfileHints> | undefined,
  sandboxFor: SandboxFor,
  refuted: () => string | undefined,
  deps: VerifyDeps,
  progress: Progress,
  on: Pick<ReproduceInput, 'onBuildStart' | 'onBuildRunning'>,
  /**
   * idleReader: the repository's object reader ends once the tag object is
   * read (a large upload's build takes minutes). warm: the first build, if
   * it was started ahead (warmFirstBuild).
   */
  { idleReader, warm }: { idleReader: boolean; warm: WarmBuild | undefined },
): Promise<ReproduceResult> {
  const madeAt = binding.signedAt ?? (binding.facts.signed !== undefined ? new Date(binding.facts.signed) : undefined);
  // The tag object whose signature layer 1 checked, read again through the
  // held repository's reader (already running), so that the build need not
  // open the repository to learn it.
  const oid = held.refs.get(input.tag);
  const tag =
    oid === undefined
      ? undefined
      : await held.repo
          .objects()
          .read(oid, { maxBytes: MAX_TAG_OBJECT_BYTES })
          .catch(() => undefined);
  // Unused through the build: its process ends, and the second toolchain starts another (smallUpload).
  if (idleReader) await held.repo.idle();
  return reproduce({
    from: { kind: 'git', repo: repoPath, tag: input.tag, ...(tag?.type === 'tag' ? { tagObject: { oid: oid!, raw: tag.content } } : {}) },
    upload,
    unpackedBytes,
    // The .dsc signature's time, as the binding read it (verified or not: it only orders the profiles).
    ...(deps.profiles ? { profiles: deps.profiles } : madeAt ? { madeAt } : {}),
    ...(hints ? { hints } : {}),
    ...(warm ? { warm } : {}),
    sandboxFor,
    timeoutMs: deps.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS,
    keepProducts: true,
    onProgress: progress,
    ...on,
    refuted,
    ...(deps.tmpDir ? { tmpDir: deps.tmpDir } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
}

/**
 * For the human diff: every rebuilt tarball that differs, member by member,
 * from what the tag gives (the rebuild, `expected`) to what was uploaded
 * (`got`). Read by the verifier's own tar reader after sandboxed
 * decompression; names are data, never paths on the host.
 */
async function tarballDiffStep(run: VerifyRun, upload: ObtainedUpload, productsDir: string, sandboxFor: SandboxFor): Promise<void> {
  const rec = run.report.reconstruction;
  if (!rec) return;
  const differing = rec.files.filter(
    (f) => !f.match && f.expected && f.got && f.origin === 'rebuilt' && /\.tar(\.[a-z0-9]+)?$/.test(f.name),
  );
  if (differing.length === 0) return;
  let sandbox: Sandbox;
  try {
    sandbox = await sandboxFor('trixie');
  } catch (e) {
    rec.tarballs = differing
      .slice(0, 4)
      .map((f) => ({ file: f.name, members: [], error: `no sandbox to decompress in: ${(e as Error).message}` }));
    return;
  }
  rec.tarballs = [];
  for (const f of differing.slice(0, 4)) {
    rec.tarballs.push(await diffTarballs(join(productsDir, f.name), join(upload.dir, f.name), { file: f.name, decompress: { sandbox } }));
  }
}

/** A second-toolchain rebuild started beside dgit's build, under the profile dgit built first. */
interface EarlySecond {
  readonly profile: string;
  readonly outcome: Promise<SecondToolchainOutcome>;
}

/**
 * Whether an upload is small: below SMALL_INPUT_BELOW_BYTES, counted as its
 * files plus what they unpack to (their own headers say; unknown counts as
 * large). Then the content check (layer 4) and the second toolchain run
 * beside dgit's build: their work (tens of milliseconds each) takes a core
 * the build leaves idle. For a large one nothing runs beside the build's
 * compression (git deborig's xz at level 6 in its multi-threaded format,
 * 120-170 MiB whatever the size, the bytes fixed by those settings): the
 * content check runs first (its dpkg-source -x unpacks the whole orig, about
 * 50 MiB with its decompressor and tar, and node streams the trees), then
 * the build, then the second toolchain (whose own xz is as large as git
 * deborig's), and the repository's object reader ends through the build.
 * The memory bench measured both: at 1 GiB of incompressible content the
 * content check was still unpacking when git deborig compressed (a peak of
 * 340 MiB), and the second toolchain beside the build had both compressors
 * at once (476 MiB). A few MiB of xz may unpack to a GiB. Above the bound a
 * verification takes the content check's time longer (12 s of 155 s for
 * 1 GiB of text).
 *
 * `packedBytes`, the upload's files; `unpackedBytes`, what they unpack to
 * beyond that (unpackedEstimate); `below`, the bound (the default, unless a
 * test orders a small upload as a large one).
 */
export function smallUpload(packedBytes: number, unpackedBytes: number, below = SMALL_INPUT_BELOW_BYTES): boolean {
  return packedBytes + unpackedBytes < below;
}

/** An upload's bytes: its files and its .dsc. */
function packedBytes(upload: ObtainedUpload): number {
  return upload.files.reduce((n, f) => n + f.size, upload.dscBytes.length);
}

/** What an upload's files unpack to, as their headers say (unpackedEstimate); unreadable counts as unbounded. */
function unpackedOf(upload: ObtainedUpload): Promise<number> {
  return unpackedEstimate(upload.files.map((f) => f.path)).catch(() => Number.POSITIVE_INFINITY);
}

/**
 * Layer 5 again, by the verifier's own TypeScript toolchain, under the
 * profile dgit's build reproduced with (or came closest under); bind/ judges
 * whether the two agree. A rebuild started early under that same profile is
 * taken; under another, it is set aside and the rebuild runs again.
 */
async function secondToolchainStep(
  run: VerifyRun,
  r: ReproduceResult,
  early: EarlySecond | undefined,
  secondFor: (profile: BuilderProfile) => Promise<SecondToolchainOutcome>,
): Promise<void> {
  const rec = run.report.reconstruction;
  if (!rec) return;
  const profile = r.profile !== undefined ? profileByName(r.profile) : undefined;
  const outcome: SecondToolchainOutcome = !profile
    ? { ran: false, status: 'not-run', detail: "dgit's build did not run to a comparison, so no builder profile is known" }
    : early?.profile === profile.name
      ? await early.outcome
      : await secondFor(profile);
  const judged = judgeToolchains(r, profile?.name ?? '?', outcome);
  rec.toolchains.push(judged.toolchain);
  run.reasons.push(...judged.reasons);
}

/** The second toolchain's rebuild under `profile`; never throws (a failure is its outcome). */
async function secondToolchainOutcome(
  run: VerifyRun,
  held: HeldRepository,
  upload: ObtainedUpload,
  profile: BuilderProfile,
  sandboxFor: SandboxFor,
  second: typeof runSecondToolchain,
  /** Per compressor run: the build's own limit (the same xz on the same bytes). */
  timeoutMs: number,
): Promise<SecondToolchainOutcome> {
  const tag = run.check.tag;
  const src = run.check.source;
  if (tag.object === undefined || tag.commit === undefined || tag.signerFingerprint === undefined || tag.tagger === undefined) {
    return { ran: false, status: 'not-run', detail: "dgit's build did not run to a comparison, so no builder profile is known" };
  }
  try {
    return {
      ran: true,
      result: await second({
        // Its reader, when this starts one (a large upload's was idle through the build), lives as long as a build may.
        objects: held.repo.objects({ timeoutMs }),
        commit: tag.commit,
        ...(src.upstreamCommit ? { upstreamCommit: src.upstreamCommit } : {}),
        quiltMode: src.quiltMode ?? '',
        umask: profile.umask,
        dpkgDev: profile.packages['dpkg-dev'],
        sandbox: besideTheBuild(await sandboxFor(profile.rootfs)),
        timeoutMs,
        appended: {
          // dgit's view commit is dgit's alone: the upload's value is taken, and compared by the dgit toolchain.
          dgit: upload.dsc.paragraph.get('Dgit') ?? '',
          gitTagInfo: `tag=${tag.object} fp=${tag.signerFingerprint.toLowerCase()}`,
          gitTagTagger: taggerIdentBytes(tag)!,
        },
        upload,
      }),
    };
  } catch (e) {
    return { ran: false, status: 'failed', detail: (e as Error).message };
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
