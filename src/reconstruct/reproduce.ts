// The bits layer (docs/architecture.md §2 layer 5): rebuild the source package from the
// tag as tag2upload's builder would, under builder profiles in order, until
// one reproduces the upload's .dsc body and every file it names byte for
// byte. Verdicts: `reproduced` (the profile named), `mismatch` (what differs
// under the closest profile), `unverifiable` (the upload, the sandbox, the
// rootfs or the build could not be used). A decided mismatch stops early:
// once the .dsc signature or another layer refutes the upload, or a build
// shows a difference a profile's settings cannot change (profile-reach.ts),
// the profiles left are reported as skipped, with why.
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyringIndex } from '../authenticate/index.js';
import type { SignaturePolicy } from '../authenticate/index.js';
import { DEFAULT_BUILD_TIMEOUT_MS } from '../config/schema.js';
import { reason, type Reason } from '../report/reasons.js';
import { reproduceVerdict, strongestEffect } from '../report/report.js';
import type { Dsc, SourcePackage } from '../deb822/dsc.js';
import { checkDscSignature, verifyDscSignature } from '../authenticate/index.js';
import {
  buildFromGit,
  buildFromTree,
  startsEarly,
  warmBuild,
  type BuildFacts,
  type BuildResult,
  type TagObject,
  type WarmBuild,
} from './build.js';
import { compareBuild, type Comparison, type FieldDifference, type FileComparison } from '../compare/index.js';
import { explainMtimeLeak } from './mtime-leak.js';
import { builderHint, describeHints, dpkgDevHint, preferHinted, umaskHint, type ProfileHints } from './profile-hints.js';
import { differencesOf, whyNotReachable, type Difference } from './profile-reach.js';
import { profileOrder, PROFILES, type BuilderProfile, type Sandbox } from '../sandbox/index.js';
import { checkUpstreamSignatures } from './upstream-signature.js';
import { unpackedEstimate } from '../tarball/unpacked-size.js';

/** `equivalent`: every file and every field but what the builder alone determines (DGIT_VIEW_NOT_REPRODUCIBLE, CHECKOUT_MTIME_LEAK) is identical. */
export type ReproduceVerdict = 'reproduced' | 'equivalent' | 'mismatch' | 'unverifiable';

/** What to build: a tag of a repository (work tree, bare repository or bundle), or a plain tree from `dpkg-source -x`. */
export type BuildSource =
  | {
      readonly kind: 'git';
      readonly repo: string;
      readonly tag: string;
      /** The tag's object as the caller read it (build.ts GitBuildInput.tagObject): not read from `repo` again. */
      readonly tagObject?: TagObject;
    }
  | { readonly kind: 'tree'; readonly dir: string };

export interface ReproduceInput {
  readonly from: BuildSource;
  /** The upload, obtained once (upload/): its .dsc read and checked, its files checked against it. */
  readonly upload: SourcePackage;
  /** The tag2upload service keyring: the .dsc's signature must verify by one of its keys. */
  readonly uploadKeyring?: string;
  /** The signature policy the .dsc's signature is judged under (default docs/architecture.md §5's). */
  readonly policy?: Readonly<SignaturePolicy>;
  /**
   * Profiles to try, in this order. Default: PROFILES ordered by `madeAt`,
   * those matching the umask, dpkg-dev and dgit the upload itself shows first
   * (profile-hints.ts).
   */
  readonly profiles?: readonly BuilderProfile[];
  /**
   * A build the caller started before the tag was authenticated (build.ts
   * warmBuild): the first profile's build is it when it was started for that
   * very build; else it is released. Released when this ends, whatever happened.
   */
  readonly warm?: WarmBuild;
  /** What the upload shows of its builder (uploadHints), when the caller started reading it earlier; default read here. */
  readonly hints?: Promise<ProfileHints>;
  /** When the upload was made (its verified signature's time); default the .dsc signature's time, unverified (it only orders the profiles). */
  readonly madeAt?: Date;
  /** Use every orig beside the .dsc as the archive's existing orig, even one git deborig could make. */
  readonly existingOrigs?: boolean;
  /** Per build. Default 10 minutes. */
  readonly timeoutMs?: number;
  /** The sandbox over a profile's root filesystem (the verifier's: builderSandbox, which builds the rootfs if it is not cached). */
  readonly sandboxFor: (name: BuilderProfile['rootfs']) => Promise<Sandbox>;
  readonly tmpDir?: string;
  /** Stops the builds, and tries no further profile, once aborted. */
  readonly signal?: AbortSignal;
  /** Keep the closest attempt's build products (`products`) for the caller, who removes them. */
  readonly keepProducts?: boolean;
  /** What the upload's files unpack to beyond their own bytes (unpackedEstimate), when the caller has it. */
  readonly unpackedBytes?: number;
  /** One line as each profile's build starts and ends (the CLI's progress). */
  readonly onProgress?: (line: string) => void;
  /** Called as each profile's build starts, before it runs. */
  readonly onBuildStart?: (profile: BuilderProfile) => void;
  /** Called once each profile's build is running in its sandbox. */
  readonly onBuildRunning?: (profile: BuilderProfile) => void;
  /**
   * Asked before each profile after the first: why the upload is already
   * refuted by another layer (content, binding), if it is. Then no further
   * profile is tried: each is reported in `skipped` with that reason.
   */
  readonly refuted?: () => string | undefined;
}

export interface Attempt {
  readonly profile: string;
  readonly outcome: 'reproduced' | 'equivalent' | 'differs' | 'failed';
  /** Files and fields that differ (0 when reproduced; undefined when the build failed). */
  readonly differences?: number;
  readonly reasons: readonly Reason[];
  readonly durationMs: number;
  /** The build script's steps inside the sandbox, ms (init, origs, build, fields), when the build ran to its end. */
  readonly steps?: Readonly<Record<string, number>>;
}

export interface SkippedProfile {
  readonly profile: string;
  readonly why: string;
}

export interface ReproduceResult {
  readonly verdict: ReproduceVerdict;
  /** Reasons that make the verdict. */
  readonly reasons: readonly Reason[];
  /** Reasons that do not change it (ORIG_NOT_REBUILT). */
  readonly notes: readonly Reason[];
  /** The profile that reproduced, or the closest one on a mismatch. */
  readonly profile?: string;
  readonly attempts: readonly Attempt[];
  /** Profiles not tried, and why: the upload was refuted already, or a tried profile's build showed a difference this one could not change (profile-reach.ts). */
  readonly skipped: readonly SkippedProfile[];
  readonly files: readonly FileComparison[];
  readonly fields: readonly FieldDifference[];
  readonly dscIdentical: boolean;
  readonly signature?: { readonly ok: boolean; readonly signer?: string; readonly created?: string };
  readonly build?: BuildFacts;
  /** Why the profiles were tried in their order, when what the upload shows set it (profile-hints.ts). */
  readonly profileHint?: string;
  /** With `keepProducts`: the closest attempt's products directory, until `cleanup`. */
  readonly products?: { readonly dir: string; cleanup(): Promise<void> };
  readonly timings: { readonly totalMs: number };
}

/** The source formats tag2upload builds. */
const BUILT_FORMATS = /^(1\.0|3\.0 \((quilt|native)\))$/;

const CHECKSUM_FIELDS = new Set(['files', 'checksums-sha1', 'checksums-sha256']);

export async function reproduce(input: ReproduceInput): Promise<ReproduceResult> {
  try {
    return await reproduceWith(input);
  } finally {
    await input.warm?.release();
  }
}

async function reproduceWith(input: ReproduceInput): Promise<ReproduceResult> {
  const started = performance.now();
  const reasons: Reason[] = [];
  const notes: Reason[] = [];
  const attempts: Attempt[] = [];
  const skipped: SkippedProfile[] = [];
  let profileHint: string | undefined;
  const done = (verdict: ReproduceVerdict, extra: Partial<ReproduceResult> = {}): ReproduceResult => ({
    verdict,
    reasons,
    notes,
    attempts,
    skipped,
    files: [],
    fields: [],
    dscIdentical: false,
    ...(profileHint ? { profileHint } : {}),
    ...extra,
    timings: { totalMs: Math.round(performance.now() - started) },
  });

  // The upload, obtained once: its .dsc read and its files checked against its Checksums-Sha256.
  const { upload } = input;
  const { dsc, dscBytes: bytes } = upload;
  const uploadDir = upload.dir;
  if (!BUILT_FORMATS.test(dsc.format)) {
    reasons.push(reason('SOURCE_FORMAT_UNSUPPORTED', `source format ${JSON.stringify(dsc.format)} is not one tag2upload builds`));
    return done('unverifiable');
  }

  // The binding's signature check, when the service keyring is given, runs
  // while the builds do (it needs none of them); the verdict waits for it.
  // A signature that fails refutes the upload: no further profile is needed.
  let signatureRefutes: string | undefined;
  const sigCheck =
    input.uploadKeyring === undefined
      ? undefined
      : checkDscSignature(bytes, input.uploadKeyring, input.policy).then(
          (s) => {
            const alarm = s.ok
              ? undefined
              : s.reasons.find((r) => strongestEffect([r]) === 'mismatch' || strongestEffect([r]) === 'reject');
            if (alarm) signatureRefutes = `the .dsc signature refutes the upload (${alarm.code})`;
            return { s };
          },
          (e: unknown) => ({ e }),
        );
  // The signature's creation time orders the profiles (the builder as it was
  // then): unverified here, only an order; the same packet's time the check reports.
  const madeAt = input.profiles ? undefined : (input.madeAt ?? (await verifyDscSignature(bytes, new KeyringIndex())).created);

  // A plain tree has no upstream commit for git deborig: its origs can only be the upload's.
  const { given, deborigName } = origPlan(dsc, input.existingOrigs === true || input.from.kind === 'tree');
  if (input.from.kind === 'tree') {
    notes.push(
      reason(
        'TAG_FIELDS_NOT_CHECKED',
        "built from a plain tree: Dgit, Git-Tag-Info and Git-Tag-Tagger are the upload's own, not derived from a tag",
      ),
    );
  }
  for (const name of given) {
    // An .asc is judged against the tree's debian/upstream/signing-key.asc (upstream-signature.ts).
    const what = name.endsWith('.asc') ? 'upstream signature' : `orig${deborigName ? ` (git deborig would make ${deborigName})` : ''}`;
    notes.push(reason('ORIG_NOT_REBUILT', `${name} is used as the archive's ${what}; its bytes are not reproduced`));
  }

  const sandboxes = new Map<string, Promise<Sandbox>>();
  let order: readonly BuilderProfile[];
  if (input.profiles) {
    order = input.profiles;
  } else {
    const byDate = profileOrder(madeAt, PROFILES);
    const first = byDate[0]!.rootfs;
    const sandbox = input.sandboxFor(first);
    sandboxes.set(first, sandbox);
    const hints = await (input.hints ?? uploadHints(upload, sandbox, input.signal));
    order = preferHinted(byDate, hints);
    profileHint = describeHints(hints);
  }
  let upstream: { reasons: Reason[]; notes: Reason[] } | undefined;
  let closest:
    | { profile: string; comparison: Comparison; facts: BuildFacts; differences: number; productsDir: string; cleanup: () => Promise<void> }
    | undefined;
  const progress = input.onProgress ?? (() => {});
  let told = 0;
  const tellAttempt = (): void => {
    for (; told < attempts.length; told++) {
      const a = attempts[told]!;
      progress(
        `profile ${a.profile}: ${a.outcome}${a.differences ? ` (${a.differences} difference${a.differences === 1 ? '' : 's'})` : ''} in ${(a.durationMs / 1000).toFixed(1)} s`,
      );
    }
  };
  // Where each build's work directory lives (a disk volume or memory) follows what the upload's files say they unpack to.
  const unpackedBytes = input.unpackedBytes ?? (await unpackedEstimate(dsc.files.map((f) => join(uploadDir, f.name))));
  // What each compared build showed, and which settings could change it (profile-reach.ts).
  const shown: { profile: BuilderProfile; differences: Difference[] }[] = [];
  for (const [i, profile] of order.entries()) {
    tellAttempt();
    if (input.signal?.aborted) break;
    if (attempts.length > 0) {
      // The signature check takes milliseconds against a build's seconds: its answer is awaited, not raced.
      if (sigCheck) await sigCheck;
      const refuted = signatureRefutes ?? input.refuted?.();
      if (refuted !== undefined) {
        skipped.push(...order.slice(i).map((p) => ({ profile: p.name, why: refuted })));
        progress(
          `not trying ${order
            .slice(i)
            .map((p) => p.name)
            .join(', ')}: ${refuted}`,
        );
        break;
      }
      const why = shown.map((t) => whyNotReachable(profile, t.profile, t.differences)).find((w) => w !== undefined);
      if (why !== undefined) {
        skipped.push({ profile: profile.name, why });
        progress(`not trying ${profile.name}: ${why}`);
        continue;
      }
    }
    progress(`building under profile ${profile.name} (${i + 1} of ${order.length})`);
    input.onBuildStart?.(profile);
    const t0 = performance.now();
    let sandbox: Sandbox;
    try {
      let p = sandboxes.get(profile.rootfs);
      if (!p) sandboxes.set(profile.rootfs, (p = input.sandboxFor(profile.rootfs)));
      sandbox = await p;
    } catch (e) {
      attempts.push({
        profile: profile.name,
        outcome: 'failed',
        reasons: [reason('ROOTFS_UNAVAILABLE', `rootfs ${profile.rootfs}: ${(e as Error).message}`)],
        durationMs: performance.now() - t0,
      });
      continue;
    }
    const common = {
      ...buildInputs(input, profile, sandbox, given, unpackedBytes),
      ...(input.onBuildRunning ? { onRunning: () => input.onBuildRunning!(profile) } : {}),
    };
    const fields = {
      ...(dsc.paragraph.get('Dgit') !== undefined ? { dgit: dsc.paragraph.get('Dgit') } : {}),
      ...(dsc.paragraph.get('Git-Tag-Info') !== undefined ? { gitTagInfo: dsc.paragraph.get('Git-Tag-Info') } : {}),
      ...(dsc.gitTagTaggerBytes !== undefined ? { gitTagTagger: dsc.gitTagTaggerBytes } : {}),
    };
    const fromGit = async (from: Extract<BuildSource, { kind: 'git' }>): Promise<BuildResult> => {
      const build = { ...common, repo: from.repo, tag: from.tag, ...(from.tagObject ? { tagObject: from.tagObject } : {}) };
      return (await input.warm?.adopt(build)) ?? buildFromGit(build);
    };
    const built = input.from.kind === 'git' ? await fromGit(input.from) : await buildFromTree({ ...common, tree: input.from.dir, fields });
    if (!built.ok) {
      attempts.push({ profile: profile.name, outcome: 'failed', reasons: built.reasons, durationMs: built.durationMs });
      // A timeout, a broken sandbox or an orig dgit refuses would recur under every profile.
      const recurs = built.reasons.find((r) => r.code !== 'BUILD_FAILED');
      if (recurs) {
        skipped.push(
          ...order.slice(i + 1).map((p) => ({
            profile: p.name,
            why: `the build under ${profile.name} ended with ${recurs.code}, which no profile setting changes`,
          })),
        );
        break;
      }
      continue;
    }
    try {
      // Written by the sandbox: a regular file only, never a symlink out of it.
      const dscPath = join(built.productsDir, built.facts.dsc);
      const rebuilt = (await lstat(dscPath).catch(() => undefined))?.isFile() ? await readFile(dscPath).catch(() => undefined) : undefined;
      if (!rebuilt) {
        attempts.push({
          profile: profile.name,
          outcome: 'failed',
          reasons: [reason('BUILD_FAILED', `the build did not write ${built.facts.dsc} (the upload is ${dsc.source} ${dsc.version})`)],
          durationMs: built.durationMs,
        });
        await built.cleanup();
        continue;
      }
      const { taggerTime } = built.facts;
      const explainFile = async (name: string, uploadPath: string, rebuiltPath: string): Promise<Reason | undefined> => {
        const r = await explainMtimeLeak({
          name,
          uploadPath,
          rebuiltPath,
          changelog: join(built.dir, 'pg', 'work', 'debian', 'changelog'),
          ...(taggerTime !== undefined ? { taggerTime } : {}),
          sandbox,
          timeoutMs: common.timeoutMs,
        });
        return r.explained ? r.reason : undefined;
      };
      const compared = await compareBuild({
        upload,
        rebuiltDsc: rebuilt,
        rebuiltDir: built.productsDir,
        given: new Set(given),
        dgitViewBuilderCommit: built.facts.dgitViewBuilderCommit,
        explainFile,
      });
      // The upstream signatures: the same under every profile, judged once.
      upstream ??= await checkUpstreamSignatures({
        sandbox,
        pgDir: join(built.dir, 'pg'),
        ascs: given.filter((n) => n.endsWith('.asc')),
        builderWarnings: built.upstreamWarnings,
        timeoutMs: common.timeoutMs,
        ...(input.tmpDir ? { tmpDir: input.tmpDir } : {}),
        ...(input.signal ? { signal: input.signal } : {}),
      });
      const comparison: Comparison = compared;
      // Files, then fields; the checksum fields follow the files and are not counted twice.
      const differences =
        comparison.files.filter((f) => !f.match && !f.explainedBy).length +
        comparison.fields.filter((f) => !CHECKSUM_FIELDS.has(f.field.toLowerCase())).length +
        (comparison.fields.length === 0 && !comparison.dscIdentical && comparison.explained.length === 0 ? 1 : 0);
      const outcome = differences > 0 ? 'differs' : comparison.explained.length > 0 ? 'equivalent' : 'reproduced';
      attempts.push({
        profile: profile.name,
        outcome,
        differences,
        reasons: comparison.reasons,
        durationMs: performance.now() - t0,
        steps: built.steps,
      });
      shown.push({ profile, differences: differencesOf({ ...comparison, ...(deborigName && given.length === 0 ? { deborigName } : {}) }) });
      let keep = false;
      if (!closest || differences < closest.differences) {
        if (input.keepProducts) await closest?.cleanup();
        closest = {
          profile: profile.name,
          comparison,
          facts: built.facts,
          differences,
          productsDir: built.productsDir,
          cleanup: () => built.cleanup(),
        };
        keep = input.keepProducts === true;
      }
      // An explained difference (dgit's own quilt-fixup commit, checkout
      // mtimes) comes from the builder's identity and clock, which no other
      // profile has either: no profile could do better than `equivalent`.
      if (outcome === 'reproduced' || outcome === 'equivalent') {
        if (!keep) await built.cleanup();
        break;
      }
      if (!keep) await built.cleanup();
    } catch (e) {
      await built.cleanup();
      throw e;
    }
  }
  tellAttempt();

  let signature: ReproduceResult['signature'];
  if (sigCheck) {
    const checked = await sigCheck;
    if ('e' in checked) throw checked.e;
    const s = checked.s;
    signature = {
      ok: s.ok,
      ...(s.signerFingerprint ? { signer: s.signerFingerprint } : {}),
      ...(s.created ? { created: s.created.toISOString() } : {}),
    };
    if (!s.ok) reasons.push(...s.reasons);
  }

  if (!closest) {
    const last = attempts.at(-1);
    reasons.push(...(last?.reasons ?? [reason('BUILD_FAILED', 'no builder profile to try')]));
    return done(reproduceVerdict(reasons, 'unverifiable'), signature ? { signature } : {});
  }
  const c = closest.comparison;
  reasons.push(...(upstream?.reasons ?? []), ...c.reasons);
  notes.push(...(upstream?.notes ?? []), ...c.explained);
  return done(reproduceVerdict(reasons, c.explained.length > 0 ? 'equivalent' : 'reproduced'), {
    profile: closest.profile,
    files: c.files,
    fields: c.fields,
    dscIdentical: c.dscIdentical,
    build: closest.facts,
    ...(input.keepProducts ? { products: { dir: closest.productsDir, cleanup: closest.cleanup } } : {}),
    ...(signature ? { signature } : {}),
  });
}

/** What reproduce's builds and warmFirstBuild's take from their input alike. */
type BuildSettings = Pick<ReproduceInput, 'upload' | 'timeoutMs' | 'tmpDir' | 'signal'>;

/** What a build under `profile` is given but its source: the same for reproduce's builds and warmFirstBuild's. */
function buildInputs(input: BuildSettings, profile: BuilderProfile, sandbox: Sandbox, given: readonly string[], unpackedBytes: number) {
  return {
    profile,
    sandbox,
    existingOrigs: given.map((n) => join(input.upload.dir, n)),
    // What the build unpacks follows the upload's size: the sandbox's work directory limit is a multiple of it.
    inputBytes: input.upload.dsc.files.reduce((n, f) => n + f.size, 0),
    unpackedBytes,
    timeoutMs: input.timeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS,
    ...(input.tmpDir ? { tmpDir: input.tmpDir } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
  };
}

/**
 * reproduce's first build of a tag of `repo`, started now as a warm build
 * (build.ts warmBuild: dgit and git deborig compile while the tag is
 * authenticated), for reproduce's `warm`. Its profile is the caller's first,
 * else the one the upload alone points to: its .dsc signature's time
 * (unverified) and what its buildinfo and Build-Depends show, without the
 * umask hint, which needs a sandbox. A wrong guess costs only this build,
 * which reproduce then releases. Undefined for an upload too large to start
 * early, or a format reproduce does not build.
 */
export async function warmFirstBuild(
  input: BuildSettings & Pick<ReproduceInput, 'profiles' | 'sandboxFor'> & { readonly repo: string; readonly unpackedBytes: number },
): Promise<WarmBuild | undefined> {
  const { dsc } = input.upload;
  if (!startsEarly({ inputBytes: dsc.files.reduce((n, f) => n + f.size, 0), unpackedBytes: input.unpackedBytes })) return undefined;
  if (!BUILT_FORMATS.test(dsc.format)) return undefined;
  const profile =
    input.profiles?.[0] ??
    preferHinted(
      profileOrder((await verifyDscSignature(input.upload.dscBytes, new KeyringIndex())).created, PROFILES),
      quickHints(input.upload),
    )[0];
  if (!profile) return undefined;
  const { given, deborigName } = origPlan(dsc, false);
  return warmBuild({
    ...buildInputs(input, profile, await input.sandboxFor(profile.rootfs), given, input.unpackedBytes),
    repo: input.repo,
    deborig: given.length === 0 && deborigName !== undefined,
  });
}

/** The hints that need no sandbox: the Build-Depends' dpkg-dev and the buildinfo's dgit. */
function quickHints(upload: SourcePackage): ProfileHints {
  const dpkgDev = dpkgDevHint(upload.dsc.paragraph);
  const builder = upload.buildinfo ? builderHint(upload.buildinfo, upload.dsc) : undefined;
  return { ...(dpkgDev ? { dpkgDev } : {}), ...(builder ? { builder } : {}) };
}

/**
 * What the upload's own files show of the builder that made it
 * (profile-hints.ts): the umask its debian or native tarball records (read in
 * `sandbox`), the dpkg-dev its .dsc fields suggest, and the dgit its
 * buildinfo lists. Only orders the profiles; never fails (a hint that cannot
 * be read is absent).
 */
export async function uploadHints(upload: SourcePackage, sandbox: Promise<Sandbox>, signal?: AbortSignal): Promise<ProfileHints> {
  const { dsc } = upload;
  const umask = await sandbox.then(
    (s) =>
      umaskHint({
        files: upload.files.map((f) => ({ name: f.name, path: f.path })),
        origs: new Set(origNames(dsc)),
        sandbox: s,
        ...(signal ? { signal } : {}),
      }),
    () => undefined,
  );
  return { ...(umask ? { umask } : {}), ...quickHints(upload) };
}

/**
 * Which origs to take from the upload. tag2upload_obtain_origs uses the
 * archive's origs when it has them and otherwise runs git deborig, which
 * makes SRC_UVER.orig.tar.xz for `3.0 (quilt)` and .orig.tar.gz for other
 * formats. So an upload whose only orig is the one git deborig would make is
 * rebuilt with git deborig (its bytes then checked); any other orig (another
 * compression, components, a signature) can only have come from the archive
 * and is used as it is.
 */
export function origPlan(dsc: Dsc, forceGiven: boolean): { given: string[]; deborigName?: string } {
  const origs = origNames(dsc);
  if (origs.length === 0) return { given: [] };
  const uver = dsc.version.replace(/^\d+:/, '').replace(/-[^-]*$/, '');
  const prefix = `${dsc.source}_${uver}.orig`;
  const deborigName = `${prefix}.tar.${dsc.format === '3.0 (quilt)' ? 'xz' : 'gz'}`;
  if (!forceGiven && origs.length === 1 && origs[0] === deborigName) return { given: [], deborigName };
  return { given: origs, deborigName };
}

/** The .dsc's origs (SRC_UVER.orig[-COMP].tar.*[.asc]), in its order. */
function origNames(dsc: Dsc): string[] {
  const uver = dsc.version.replace(/^\d+:/, '').replace(/-[^-]*$/, '');
  const prefix = `${dsc.source}_${uver}.orig`;
  return dsc.files
    .map((f) => f.name)
    .filter((n) => n.startsWith(prefix) && /^\.orig(-[0-9A-Za-z-]+)?\.tar\.[a-z0-9]+(\.asc)?$/.test(n.slice(prefix.length - 5)));
}
