// Rebuilds one tag of a git repository (or a plain source tree) into a source
// package exactly as tag2upload's builder would, under one builder profile,
// inside the sandbox (read-only rootfs, no network, the source bound
// read-only). Nothing of the source runs outside: the host only binds given
// origs in, read-only, and reads the products out.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { tapOutput } from '../sandbox/output-tap.js';
import { mentionsNoSpace } from '../sandbox/work-quota.js';
import { recordSandboxTime } from '../sandbox/time-ledger.js';
import { reason, type Reason } from '../report/reasons.js';
import { ObjectTooLargeError } from '../fetch/index.js';
import { LocalRepository } from '../fetch/index.js';
import { MAX_TAG_OBJECT_BYTES } from '../gitobj/tag-object.js';
import { parseTagMessage } from '../interpret/index.js';
import {
  ADD_FIELDS_PL,
  BUILD_SCRIPT,
  DEBORIG_WAIT_PM,
  DGIT_WAIT_PM,
  NO_PRODUCT_SCRIPTS,
  ORIGS_WAIT_SH,
  TREE_SCRIPT,
} from './builder-script.js';
import { defusedGitattributes } from './gitattributes.js';
import {
  SMALL_INPUT_BELOW_BYTES,
  XZ_DECOMPRESS_ONE_THREAD,
  type BuilderProfile,
  type Sandbox,
  type SandboxResult,
} from '../sandbox/index.js';
import { isVerificationError } from '../report/verification-error.js';

interface CommonBuildInput {
  /** Origs the archive already has: used as they are, `git deborig` is not run. */
  readonly existingOrigs: readonly string[];
  readonly profile: BuilderProfile;
  /** The sandbox over the profile's root filesystem: its dgit and dpkg-source make the package. */
  readonly sandbox: Sandbox;
  readonly timeoutMs: number;
  /** Stops the build (the verification was abandoned). */
  readonly signal?: AbortSignal;
  /** Parent of the build directory (default the system temp directory). */
  readonly tmpDir?: string;
  /** Size of the upload being rebuilt (its files together): the work directory's limit is a multiple of it. */
  readonly inputBytes?: number;
  /** What the upload's files unpack to beyond their own bytes (unpackedEstimate): where the work directory lives follows it. */
  readonly unpackedBytes?: number;
  /** Told once the build's sandbox has started. */
  readonly onRunning?: () => void;
}

export interface GitBuildInput extends CommonBuildInput {
  /** Host path of a git repository (work tree or bare) or of a git bundle. */
  readonly repo: string;
  /** Tag name without refs/tags/. */
  readonly tag: string;
  /**
   * refs/tags/<tag>'s object as the caller already read it (the verifier:
   * the object whose signature it checked); else it is read from `repo`.
   * The build script checks that the repository's tag is this object.
   */
  readonly tagObject?: TagObject;
}

/** An annotated tag object: its id and raw bytes. */
export interface TagObject {
  readonly oid: string;
  readonly raw: Uint8Array;
}

export interface TreeBuildInput extends CommonBuildInput {
  /** Host path of a plain source tree (dpkg-source -x). */
  readonly tree: string;
  /** The upload's values of the fields the service adds, added as they are (they cannot be derived without the tag). */
  /** The upload's appended fields; Git-Tag-Tagger as its bytes, which need not be UTF-8 (dgit copies the tag's tagger header). */
  readonly fields: { readonly dgit?: string; readonly gitTagInfo?: string; readonly gitTagTagger?: Uint8Array };
}

/** Facts the build learnt, as the service's dgit-repos-server does. */
export interface BuildFacts {
  readonly source: string;
  readonly version: string;
  /** The quilt mode built with ('' for native formats). */
  readonly quilt: string;
  readonly origs: 'given' | 'deborig' | 'none';
  readonly dsc: string;
  /** From the tag (absent for a plain tree). */
  readonly tag?: {
    readonly object: string;
    /** Lower case, as Git-Tag-Info has it. */
    readonly fingerprint: string;
    readonly dgitView: string;
    /** The dgit view's tree: what a pseudo-merge over archive history must keep. */
    readonly dgitViewTree?: string;
    readonly upstreamTag: string;
    readonly upstreamCommit: string;
  };
  /** The dgit view's head is dgit's own quilt-fixup commit, made with the builder's identity and clock. */
  readonly dgitViewBuilderCommit: boolean;
  /** git deborig ran while dgit started, dgit waiting for it (BUILD_SCRIPT, startsEarly). */
  readonly deborigBeside?: true;
  /** dgit was compiled while the tag was checked out (BUILD_SCRIPT, startsEarly). */
  readonly dgitEarly?: true;
  /** The build was started before the tag was authenticated, and adopted (warmBuild). */
  readonly warm?: true;
  /** The tag's tagger date, seconds since the epoch (absent for a plain tree). */
  readonly taggerTime?: number;
}

export type BuildResult =
  | {
      readonly ok: true;
      readonly dir: string;
      readonly productsDir: string;
      readonly facts: BuildFacts;
      readonly durationMs: number;
      /** Milliseconds each step of the script took inside the sandbox (init, origs, build, fields). */
      readonly steps: Readonly<Record<string, number>>;
      /** What dpkg-source -b warned of each upstream signature, by orig name (it goes on: upstream-signature.ts judges them). */
      readonly upstreamWarnings: ReadonlyMap<string, string>;
      cleanup(): Promise<void>;
    }
  | { readonly ok: false; readonly reasons: readonly Reason[]; readonly log: string; readonly durationMs: number };

/**
 * dgit's quilt check failing against given origs: "git tree differs from orig
 * in upstream files" (gbp, unapplied) or the suggestion it adds when the
 * origs and debian/patches do not give the tree (linear).
 */
const ORIG_DIFFERS = /git tree differs from orig in upstream files|Maybe orig tarball\(s\) are not identical to git representation/;

/** A ref name the script may pass to git: what git-debpush makes, and nothing a shell or git option could take for more. */
const TAG_NAME = /^[A-Za-z0-9][-+.%_0-9A-Za-z/]*$/;

/**
 * What the host reads after a build: the script's facts and log, the build
 * products, the checkout's changelog (the mtime-leak explanation reads it)
 * and its upstream signing key (upstream-signature.ts reads it, in a sandbox).
 */
const BUILD_KEEPS = ['out', 'pg/bpd', 'pg/work/debian/changelog', 'pg/work/debian/upstream/signing-key.asc'] as const;

export async function buildFromGit(input: GitBuildInput): Promise<BuildResult> {
  if (!validTagName(input.tag)) {
    return {
      ok: false,
      reasons: [reason('BUILD_FAILED', `${JSON.stringify(input.tag)} is not a tag name tag2upload could build`)],
      log: '',
      durationMs: 0,
    };
  }
  let items: Record<string, string>;
  try {
    items = input.tagObject ? itemsOfTag(input.tagObject) : await tagItemsOf(input.repo, input.tag, input.timeoutMs, input.sandbox);
  } catch (e) {
    if (!(e instanceof BuildInputError || isVerificationError(e) || e instanceof ObjectTooLargeError)) throw e;
    const why = e.message;
    return { ok: false, reasons: [reason('BUILD_FAILED', `the tag ${input.tag} cannot be read: ${why}`)], log: '', durationMs: 0 };
  }
  return runBuild(input, BUILD_SCRIPT, repoSource(input.repo), {
    ...gitEnv(input.profile),
    T2U_TAG: input.tag,
    ...items,
    T2U_EARLY: startsEarly(input) ? '1' : '',
  });
}

function repoSource(repo: string): { host: string; inside: string } {
  return { host: repo, inside: '/src/repo' };
}

/** BUILD_SCRIPT's environment but for the tag's items. */
function gitEnv(profile: BuilderProfile): Record<string, string> {
  return { T2U_REPO: '/src/repo', T2U_UPSTREAM_OPT: profile.upstreamOption, T2U_WARM: '', T2U_WARM_DEBORIG: '' };
}

function validTagName(tag: string): boolean {
  return TAG_NAME.test(tag) && !tag.includes('..') && !tag.endsWith('/') && !tag.endsWith('.lock');
}

/**
 * A build started before the tag is authenticated (BUILD_SCRIPT, T2U_WARM),
 * so that dgit and git deborig compile while the tag is fetched and
 * checked: with a forge whose every answer comes 150 ms late, a small
 * upload's verification took 0.87-0.92 times as long (docs/verify.md); over
 * loopback, where node's start-up and the fetch keep both cores busy, as
 * long as before. Its sandbox is the
 * build's, bound to the repository's path (Repository.buildSourcePath),
 * and it reads nothing of the repository, nor runs anything of it, until
 * `adopt` hands it the tag's items; the verifier adopts it only for the
 * authenticated tag, once the build it would start anyway is this one.
 * `release` ends it unused: its script exits at the end of its input.
 * Small uploads only (startsEarly). Its time limit counts from its start:
 * one that waited more than a tenth of it is not adopted.
 */
export interface WarmBuild {
  readonly profile: BuilderProfile;
  /**
   * The build of `input`, when it is the one this was started for (the same
   * profile, sandbox, repository, origs, sizes and limits, and a tag object
   * given) and it has not waited long (WARM_WAIT_SHARE); else undefined,
   * and this one is released.
   */
  adopt(input: GitBuildInput): Promise<BuildResult> | undefined;
  /** Ends it unused, if it was not adopted, and waits for its sandbox to end. */
  release(): Promise<void>;
}

export interface WarmBuildInput extends CommonBuildInput {
  /** Repository.buildSourcePath(): bound now, read once adopted. */
  readonly repo: string;
  /** git deborig will make the orig (no origs given), when the tag names an upstream commit: it compiles too. */
  readonly deborig: boolean;
}

/** The share of its time limit a warm build may have waited and still be adopted. */
const WARM_WAIT_SHARE = 0.1;

export function warmBuild(input: WarmBuildInput): WarmBuild | undefined {
  if (!startsEarly(input)) return undefined;
  const startedAt = performance.now();
  let hand: (block: string) => void = () => {};
  const stdin = new Promise<string>((resolve) => (hand = resolve));
  let items: Record<string, string> | undefined;
  let spawned = false;
  let tell: (() => void) | undefined;
  const result = runBuild(
    {
      ...input,
      onRunning: () => {
        spawned = true;
        tell?.();
      },
    },
    BUILD_SCRIPT,
    repoSource(input.repo),
    { ...gitEnv(input.profile), T2U_EARLY: '1', T2U_WARM: '1', T2U_WARM_DEBORIG: input.deborig ? '1' : '' },
    { stdin, items: () => items },
  );
  // Awaited by adopt or release, later: a failure before that (an unusable work directory) is never an unhandled rejection.
  void result.catch(() => undefined);
  let state: 'waiting' | 'adopted' | 'released' = 'waiting';
  const release = async (): Promise<void> => {
    if (state === 'waiting') {
      state = 'released';
      hand('');
    }
    if (state !== 'released') return;
    const r = await result.catch(() => undefined);
    if (r?.ok) await r.cleanup();
  };
  return {
    profile: input.profile,
    adopt(build) {
      if (state !== 'waiting') return undefined;
      let tagItems: Record<string, string> | undefined;
      try {
        // One that waited long (a large repository's fetch) would build with less of its time limit left.
        const fresh = performance.now() - startedAt < input.timeoutMs * WARM_WAIT_SHARE;
        if (fresh && sameBuild(input, build) && build.tagObject && validTagName(build.tag)) tagItems = itemsOfTag(build.tagObject);
      } catch (e) {
        if (!(e instanceof BuildInputError)) throw e;
      }
      if (!tagItems) {
        void release();
        return undefined;
      }
      state = 'adopted';
      items = { T2U_TAG: build.tag, ...tagItems };
      const t0 = performance.now();
      hand(
        `${Object.entries(items)
          .map(([k, v]) => `${k}=${v}\n`)
          .join('')}go\n`,
      );
      if (build.onRunning) {
        if (spawned) build.onRunning();
        else tell = build.onRunning;
      }
      // Its duration is the adopted build's, from the go.
      return result.then((r) => ({ ...r, durationMs: performance.now() - t0 }));
    },
    release,
  };
}

/** Whether a warm build was started for the build `b` asks for. */
function sameBuild(a: WarmBuildInput, b: GitBuildInput): boolean {
  const origs = (x: readonly string[]): string => JSON.stringify(x);
  return (
    a.profile.name === b.profile.name &&
    a.sandbox === b.sandbox &&
    a.repo === b.repo &&
    origs(a.existingOrigs) === origs(b.existingOrigs) &&
    a.inputBytes === b.inputBytes &&
    a.unpackedBytes === b.unpackedBytes &&
    a.timeoutMs === b.timeoutMs &&
    a.tmpDir === b.tmpDir &&
    a.signal === b.signal
  );
}

/**
 * Whether dgit is compiled while the tag is checked out, and git deborig
 * runs beside dgit's start instead of before it (BUILD_SCRIPT, T2U_EARLY):
 * for uploads below SMALL_INPUT_BELOW_BYTES, counted with what their files
 * unpack to (unknown counts as large). For a small gbp upload that is about
 * a tenth of its build. Above it, dgit's Perl would wait in memory beside
 * git deborig's xz (about 120 MiB at level 6), and the time saved is a small
 * part of the build.
 */
export function startsEarly(input: Pick<CommonBuildInput, 'inputBytes' | 'unpackedBytes'>): boolean {
  return (
    input.inputBytes !== undefined && input.unpackedBytes !== undefined && input.inputBytes + input.unpackedBytes < SMALL_INPUT_BELOW_BYTES
  );
}

/** The script's exit status when dgit ran beside git deborig without waiting for it (BUILD_SCRIPT). */
const DGIT_NOT_HELD = 68;

class BuildInputError extends Error {
  override readonly name = 'BuildInputError';
}

/**
 * The tag's [dgit …] items as the builder script needs them, read by the
 * verifier's one tag parser (interpret/tag-message.ts: only body lines, as
 * dgit-repos-server's tag2upload_parsetag), with the tag object's id the
 * script checks it builds.
 */
export async function tagItemsOf(repoPath: string, tag: string, timeoutMs: number, sandbox: Sandbox): Promise<Record<string, string>> {
  const st = await stat(repoPath).catch(() => undefined);
  if (!st) throw new BuildInputError(`${repoPath} does not exist`);
  return itemsOfTag(st.isFile() ? await tagOfBundle(sandbox, repoPath, tag, timeoutMs) : await tagOfRepository(repoPath, tag, timeoutMs));
}

function itemsOfTag({ oid, raw }: TagObject): Record<string, string> {
  if (!/^[0-9a-f]{40}$/.test(oid)) throw new BuildInputError(`${JSON.stringify(oid)} is not a tag object id`);
  if (raw.length > MAX_TAG_OBJECT_BYTES) throw new BuildInputError(`the tag object is larger than ${MAX_TAG_OBJECT_BYTES} bytes`);
  const parsed = parseTagMessage(raw);
  const i = parsed.instruction;
  if (parsed.source === undefined || parsed.version === undefined) throw new BuildInputError('the tag has no source= or version= item');
  const items = {
    T2U_TAG_OBJECT: oid,
    T2U_SOURCE: parsed.source,
    T2U_VERSION: parsed.version,
    T2U_QUILT: i?.quiltModeExplicit ? i.quiltMode : '',
    T2U_UPSTREAM_TAG: i?.upstreamTag ?? '',
    T2U_UPSTREAM: i?.upstreamCommit ?? '',
  };
  // Each goes to the script as one line (take_items, dgit_go) or an environment variable.
  for (const [k, v] of Object.entries(items))
    if (/[\n\0]/.test(v)) throw new BuildInputError(`the tag's ${k} item has a line break or NUL`);
  return items;
}

async function tagOfRepository(repoPath: string, tag: string, timeoutMs: number): Promise<TagObject> {
  const repo = await LocalRepository.open(repoPath, { timeoutMs, maxObjectBytes: MAX_TAG_OBJECT_BYTES });
  try {
    const ref = await repo.resolveTag(tag);
    if (!ref) throw new BuildInputError(`the repository has no tag ${tag}`);
    const obj = await repo.objects().read(ref.oid, { maxBytes: MAX_TAG_OBJECT_BYTES });
    if (obj?.type !== 'tag') throw new BuildInputError(`refs/tags/${tag} is not an annotated tag`);
    return { oid: ref.oid, raw: obj.content };
  } finally {
    await repo.close();
  }
}

/** The tag of a git bundle, fetched from it by the sandbox's git (as the build script does, in the same root). */
async function tagOfBundle(sandbox: Sandbox, bundle: string, tag: string, timeoutMs: number): Promise<TagObject> {
  const r = await sandbox.run({
    argv: [
      'sh',
      '-c',
      'git init -q --bare /tmp/r && git -C /tmp/r fetch -q /src/bundle "refs/tags/$T:refs/tags/$T" && ' +
        '[ "$(git -C /tmp/r cat-file -t "refs/tags/$T")" = tag ] && git -C /tmp/r rev-parse "refs/tags/$T" && git -C /tmp/r cat-file tag "refs/tags/$T"',
    ],
    readOnly: [{ host: bundle, inside: '/src/bundle' }],
    env: { T: tag },
    timeoutMs,
    limits: { maxOutputBytes: MAX_TAG_OBJECT_BYTES + 64 },
  });
  const nl = r.stdout.indexOf(0x0a);
  if (r.exitCode !== 0 || r.outputTruncated || nl !== 40)
    throw new BuildInputError(
      `the bundle has no annotated tag ${tag} of a readable size: ${r.stderr.toString('utf8').trim().slice(0, 300)}`,
    );
  return { oid: r.stdout.subarray(0, 40).toString('latin1'), raw: r.stdout.subarray(nl + 1) };
}

export async function buildFromTree(input: TreeBuildInput): Promise<BuildResult> {
  return runBuild(
    input,
    TREE_SCRIPT,
    { host: input.tree, inside: '/src/tree' },
    {
      T2U_TREE: '/src/tree',
      T2U_FIELD_DGIT: input.fields.dgit ?? '',
      T2U_FIELD_INFO: input.fields.gitTagInfo ?? '',
      // As hex: the environment is written as UTF-8, and the tagger's bytes may not be.
      T2U_FIELD_TAGGER_HEX: input.fields.gitTagTagger !== undefined ? Buffer.from(input.fields.gitTagTagger).toString('hex') : '',
    },
  );
}

async function runBuild(
  input: CommonBuildInput,
  script: string,
  source: { host: string; inside: string },
  sourceEnv: Record<string, string>,
  /** A warm build's: its standard input (the tag's items once adopted), and those items. */
  warm?: { readonly stdin: Promise<string>; items(): Record<string, string> | undefined },
): Promise<BuildResult> {
  const started = performance.now();
  const took = (): number => performance.now() - started;
  const dir = await mkdtemp(join(input.tmpDir ?? tmpdir(), `t2u-reproduce-${input.profile.name}-`));
  const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    // Given origs are bound read-only (staged by the launcher where the sandbox
    // uid cannot reach them) and copied once, inside; they count towards the
    // work limit besides the upload's size, as the copy sits in /work too.
    const origs = input.existingOrigs.map((orig) => ({ host: orig, inside: `/src/origs/${basename(orig)}` }));
    // The work directory's files at once: a build (a warm one, before the
    // tag is checked) starts the sooner for it while node's thread is busy.
    // Each has ended before a failure is thrown: nothing still writes when
    // the directory is removed.
    const write = (path: string, text: string | Uint8Array, mode?: number): Promise<void> =>
      writeFile(join(dir, path), text, mode ? { mode } : {});
    let origBytes = 0;
    const preparing = await Promise.allSettled([
      ...origs.map(async (o) => {
        origBytes += (await stat(o.host)).size;
      }),
      write('build.sh', script),
      write('add-fields.pl', ADD_FIELDS_PL),
      mkdir(join(dir, 'perl5')).then(() =>
        Promise.all([write('perl5/T2uDeborigWait.pm', DEBORIG_WAIT_PM), write('perl5/T2uDgitWait.pm', DGIT_WAIT_PM)]),
      ),
      mkdir(join(dir, 'bin')).then(() =>
        Promise.all(Object.entries(NO_PRODUCT_SCRIPTS).map(([name, text]) => write(`bin/${name}`, text, 0o755))),
      ),
      sourceEnv['T2U_EARLY']
        ? mkdir(join(dir, 'origs-wait')).then(() => write('origs-wait/dpkg-parsechangelog', ORIGS_WAIT_SH, 0o755))
        : undefined,
      defusedGitattributes(input.sandbox, input.tmpDir).then((attributes) => (attributes ? write('gitattributes', attributes) : undefined)),
    ]);
    const unprepared = preparing.find((r) => r.status === 'rejected');
    if (unprepared) throw unprepared.reason;
    const env: Record<string, string> = {
      ...sourceEnv,
      T2U_UMASK: input.profile.umask,
      LC_ALL: 'C.UTF-8',
      TZ: 'UTC',
      // dgit's commit_admin needs an identity; the builder's own does not reach the files.
      GIT_COMMITTER_NAME: 't2u-verify rebuild',
      GIT_COMMITTER_EMAIL: 'rebuild@t2u-verify.invalid',
      GIT_AUTHOR_NAME: 't2u-verify rebuild',
      GIT_AUTHOR_EMAIL: 'rebuild@t2u-verify.invalid',
    };
    // xz at one thread's memory, the same bytes (decompression: src/sandbox/launcher.ts):
    // xz ≥ 5.6 runs multi-threaded by default (git deborig's `xz -c`), and
    // -T+1 is that multi-threaded format with one thread, the bytes -T0 makes
    // on any machine, where -T0 starts a thread per core, each holding its
    // own blocks (measured: 315 MiB for -6 -T0 on two cores, 167 MiB for
    // -T+1); -T1 gives xz 5.4's single-threaded format. dpkg-source passes
    // -T0 itself: see build_source (builder-script.ts).
    env.XZ_DEFAULTS = `${input.profile.xzThreads === 'single' ? '-T1' : '-T+1'} ${XZ_DECOMPRESS_ONE_THREAD}`;
    let r: SandboxResult;
    try {
      const t0 = performance.now();
      try {
        r = await input.sandbox.run({
          argv: ['sh', '/work/build.sh'],
          workDir: dir,
          keep: BUILD_KEEPS,
          readOnly: [source, ...origs],
          env,
          ...(warm ? { stdin: warm.stdin } : {}),
          timeoutMs: input.timeoutMs,
          limits: {
            inputBytes: (input.inputBytes ?? 0) + origBytes,
            ...(input.unpackedBytes !== undefined ? { unpackedBytes: input.unpackedBytes } : {}),
          },
          ...(input.signal ? { signal: input.signal } : {}),
          ...(input.onRunning ? { onSpawn: input.onRunning } : {}),
        });
      } finally {
        recordSandboxTime('build', performance.now() - t0);
      }
    } catch (e) {
      await cleanup();
      if (isVerificationError(e)) return { ok: false, reasons: [reason(e.code, e.message)], log: '', durationMs: took() };
      throw e;
    }
    if (r.exitCode === DGIT_NOT_HELD && sourceEnv['T2U_EARLY']) {
      // A dgit that never ran the dpkg-parsechangelog which waits was not held
      // back: the build is not trusted, and is made again with git deborig first.
      await cleanup();
      return runBuild(input, script, source, { ...sourceEnv, ...warm?.items(), T2U_EARLY: '', T2U_WARM: '', T2U_WARM_DEBORIG: '' });
    }
    const meta = await readMeta(join(dir, 'out', 'meta'));
    const buildLog = await readFile(join(dir, 'out', 'build.log'), 'utf8').catch(() => '');
    tapOutput(
      `--- the build's log under profile ${input.profile.name} (dgit, dpkg-source) ---\n${buildLog}${buildLog === '' || buildLog.endsWith('\n') ? '' : '\n'}--- end of the build's log ---\n`,
    );
    const log = `${r.stderr.toString('utf8')}${buildLog}`;
    const failed = (
      code: 'BUILD_FAILED' | 'BUILD_TIMEOUT' | 'WORK_QUOTA_EXCEEDED' | 'ORIG_TREE_MISMATCH',
      message: string,
    ): BuildResult => ({
      ok: false,
      reasons: [reason(code, message)],
      log,
      durationMs: took(),
    });
    if (r.timedOut) {
      await cleanup();
      return failed(
        'BUILD_TIMEOUT',
        `the build under profile ${input.profile.name} exceeded ${input.timeoutMs} ms (during step ${meta.step ?? 'start'}) and was killed`,
      );
    }
    // dgit keeps dpkg-source's messages in the build log, not on stderr.
    if (r.exitCode !== 0 && (r.workQuotaExceeded || (r.workBytes !== null && mentionsNoSpace(log)))) {
      await cleanup();
      return failed(
        'WORK_QUOTA_EXCEEDED',
        `the build under profile ${input.profile.name} filled its work directory (${r.workBytes} bytes) during step ${meta.step ?? 'start'}: ${lastLines(r.stderr.toString('utf8'), 3)}`,
      );
    }
    if (r.exitCode !== 0 && input.existingOrigs.length > 0 && ORIG_DIFFERS.test(log)) {
      await cleanup();
      return failed(
        'ORIG_TREE_MISMATCH',
        `dgit refused to build with the upload's orig${input.existingOrigs.length > 1 ? 's' : ''} ${input.existingOrigs.map((o) => basename(o)).join(', ')}: ${[...new Set(log.split('\n').filter((l) => /quilt differences|differs from|not identical/.test(l)))].slice(0, 6).join(' | ')}`,
      );
    }
    if (r.exitCode !== 0) {
      await cleanup();
      const why = r.outputTruncated
        ? 'wrote more output than allowed'
        : r.memoryExceeded
          ? 'exceeded its memory limit'
          : `exited with status ${r.exitCode ?? r.signal}`;
      return failed(
        'BUILD_FAILED',
        `the build under profile ${input.profile.name} failed at step ${meta.step ?? 'start'} (${why}): ${lastLines(r.stderr.toString('utf8'), 6)}`,
      );
    }
    const facts = factsOf(meta);
    if (!facts) {
      await cleanup();
      return failed('BUILD_FAILED', `the build under profile ${input.profile.name} ended without naming its .dsc`);
    }
    return {
      ok: true,
      dir,
      productsDir: join(dir, 'pg', 'bpd'),
      facts,
      steps: stepTimes(meta),
      upstreamWarnings: upstreamSignatureWarnings(log),
      durationMs: took(),
      cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

async function readMeta(path: string): Promise<Record<string, string>> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** `at.STEP` (ns since the epoch, in order of writing) to each step's duration in ms, up to `done`. */
function stepTimes(m: Record<string, string>): Record<string, number> {
  const marks = Object.entries(m)
    .filter(([k, v]) => k.startsWith('at.') && /^\d{1,20}$/.test(v))
    .map(([k, v]) => [k.slice(3), BigInt(v)] as const);
  const out: Record<string, number> = {};
  for (let i = 0; i + 1 < marks.length; i++) out[marks[i]![0]] = Number(marks[i + 1]![1] - marks[i]![1]) / 1e6;
  return out;
}

function factsOf(m: Record<string, string>): BuildFacts | undefined {
  const { source, version, dsc, tagObject, dgitView, fingerprint } = m;
  if (!source || !version || !dsc || m.step !== 'done') return undefined;
  // The name is the script's own SRC_VER.dsc, but from tag data: keep it a plain file name.
  if (dsc.includes('/') || dsc.startsWith('.')) return undefined;
  const origs = m.origs === 'given' || m.origs === 'deborig' ? m.origs : 'none';
  const tag =
    tagObject && dgitView && fingerprint
      ? {
          object: tagObject,
          fingerprint: fingerprint.toLowerCase(),
          dgitView,
          upstreamTag: m.upstreamTag ?? '',
          upstreamCommit: m.upstreamCommit ?? '',
          ...(m.dgitViewTree && /^[0-9a-f]{40}$/.test(m.dgitViewTree) ? { dgitViewTree: m.dgitViewTree } : {}),
        }
      : undefined;
  const seconds = (v: string | undefined): number | undefined => (v !== undefined && /^\d{1,12}$/.test(v) ? Number(v) : undefined);
  const taggerTime = seconds(m.taggerTime);
  return {
    source,
    version,
    dsc,
    origs,
    quilt: m.quilt ?? '',
    dgitViewBuilderCommit: m.dgitViewBuilderCommit === '1',
    ...(m.deborigBeside === '1' ? { deborigBeside: true as const } : {}),
    ...(m.dgitEarly === '1' ? { dgitEarly: true as const } : {}),
    ...(m.warm === '1' ? { warm: true as const } : {}),
    ...(tag ? { tag } : {}),
    ...(taggerTime !== undefined ? { taggerTime } : {}),
  };
}

/**
 * dpkg-source -b verifies each SRC_UVER.orig*.tar.*.asc it builds with
 * against debian/upstream/signing-key.asc
 * (Dpkg::Source::Package::check_original_tarball_signature); without
 * --require-valid-signature, which dgit never passes, a failure is only a
 * warning and the build goes on, so the builder uploads it all the same.
 */
const SIGNATURE_WARNING = /^dpkg-source: warning: cannot verify upstream tarball signature for (\S+): (.*)$/gm;

function upstreamSignatureWarnings(log: string): Map<string, string> {
  return new Map([...log.matchAll(SIGNATURE_WARNING)].map((m) => [basename(m[1] ?? ''), m[2] ?? '']));
}

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ') || '(no output)';
}
