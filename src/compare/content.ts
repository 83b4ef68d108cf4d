// The content layer (docs/architecture.md §2 layer 4): the upload, unpacked by
// dpkg-source -x in the sandbox, must hold exactly the tag's tree; and, when
// the tag names an upstream= commit, the orig's content must be that commit's
// tree. Byte-level reproduction is the bits layer's job: this one is the
// security property, independent of builder profiles and of dgit (it compares
// against the tag's own tree, not against anything a builder made).
//
// Both sides become git trees inside the sandbox (the upload's files through
// `git add -A -f`, so modes are git's 644/755/symlink and content is a blob id
// hashed by git's sha1dc), listed with `git ls-tree -r`, and compared here.
// Which unpacking matches the tag's tree depends on the quilt mode: trees
// with patches unapplied (gbp, unapplied) against `dpkg-source -x
// --skip-patches`; trees with patches applied (linear, auto, smash, nofix,
// dpm, single) against `dpkg-source -x`, debian/patches excepted where dgit
// writes the patches itself; bare-debian trees against the debian/ directory
// only. `.pc/` (dpkg-source's quilt state) is not content.
import { lstat, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileInside } from '../deb822/file-name.js';
import { reason, type Reason } from '../report/reasons.js';
import type { ContentDifference, ContentFacts } from '../report/report.js';
import { TAKE_TAG_SH, type Sandbox } from '../sandbox/index.js';
import { unpackedEstimate } from '../tarball/unpacked-size.js';
import { isVerificationError } from '../report/verification-error.js';

export interface ContentCheckInput {
  /** What the upload's files unpack to beyond their own bytes (unpackedEstimate), when the caller has it: where /work lives follows it. */
  readonly unpackedBytes?: number;
  /** Host path of a git repository holding refs/tags/<tag> (and refs/tags/<upstreamTag>). */
  readonly repo: string;
  readonly tag: string;
  /** The commit the checked tag names: the fetched ref must still lead to it. */
  readonly commit: string;
  readonly upstreamTag?: string;
  readonly upstreamCommit?: string;
  /** The tag's --quilt mode ('' or undefined: linear, dgit's default). */
  readonly quiltMode?: string;
  /** The upload's Format field. */
  readonly format: string;
  /** Directory holding the upload's .dsc and its (checksum-checked) files. */
  readonly uploadDir: string;
  readonly dscName: string;
  /** The files the .dsc names (plain names, checked when the upload was obtained). */
  readonly uploadFiles: readonly string[];
  /** Where dpkg-source and git run: the builder's root filesystem, whose dpkg-source is tag2upload's. */
  readonly sandbox: Sandbox;
  readonly timeoutMs: number;
  readonly tmpDir?: string;
  /** Stops the sandbox (the verification was abandoned). */
  readonly signal?: AbortSignal;
  /** Differences kept in the report (default 200). */
  readonly maxDifferences?: number;
}

export interface ContentCheckResult {
  readonly reasons: readonly Reason[];
  readonly notes: readonly Reason[];
  /** Undefined when the check could not run. */
  readonly facts?: ContentFacts;
}

/** One `git ls-tree -r` entry. */
export interface TreeEntry {
  readonly mode: string;
  readonly oid: string;
}

export type Listing = ReadonlyMap<string, TreeEntry>;

/** Quilt modes whose tree has the patches applied, and whose patches dgit writes (so debian/patches may gain files). */
const DGIT_WRITES_PATCHES = new Set(['linear', 'try-linear', 'auto', 'smash', 'single']);
const APPLIED = new Set([...DGIT_WRITES_PATCHES, 'nofix', 'dpm']);
const UNAPPLIED = new Set(['gbp', 'unapplied']);

/** baredebian, baredebian+git, baredebian+tarball. */
const isBare = (mode: string): boolean => mode === 'baredebian' || mode.startsWith('baredebian+');

/** Modes this layer knows how to compare; others are unverifiable here (never passed). */
export function contentPlan(
  format: string,
  quiltMode: string | undefined,
  upstream: boolean,
): { unpack: ('applied' | 'unapplied')[]; why?: string } {
  const mode = quiltMode === undefined || quiltMode === '' ? 'linear' : quiltMode;
  if (format !== '3.0 (quilt)') return { unpack: ['applied'] };
  // The unapplied unpacking is the orig's content, compared with upstream=.
  if (APPLIED.has(mode)) return { unpack: upstream ? ['applied', 'unapplied'] : ['applied'] };
  if (UNAPPLIED.has(mode) || isBare(mode)) return { unpack: ['unapplied'] };
  return { unpack: [], why: `quilt mode ${JSON.stringify(mode)} is not one this layer compares` };
}

/**
 * Inside the sandbox: fetch the tag (as the builder does), list the tag's
 * tree and the upstream commit's, unpack the upload each way the plan needs
 * and list what it gives. Every listing goes to /work/out; the host compares.
 */
export const CONTENT_SCRIPT = String.raw`set -eu
umask 022
mkdir -p /work/out /work/x
export GIT_DIR=/work/g.git
git init -q --bare "$GIT_DIR"
echo step=fetch > /work/out/meta
T2U_REPO=/src/repo
${TAKE_TAG_SH}
take_tag "$T2U_TAG"
[ "$(git rev-parse "refs/tags/$T2U_TAG^{commit}")" = "$T2U_COMMIT" ] || { echo "refs/tags/$T2U_TAG no longer names commit $T2U_COMMIT" >&2; exit 65; }
git ls-tree -r -z --full-tree "$T2U_COMMIT" > /work/out/tag.list
if [ -n "$T2U_UC" ]; then
  take_tag "$T2U_UT"
  [ "$(git rev-parse "refs/tags/$T2U_UT^{commit}")" = "$T2U_UC" ] || { echo "refs/tags/$T2U_UT is not upstream commit $T2U_UC" >&2; exit 65; }
  git ls-tree -r -z --full-tree "$T2U_UC" > /work/out/upstream.list
  # git deborig is git archive: without dgit >= 14's defusing, export-ignore
  # and export-subst attributes of the upstream tree shape the orig. Listed
  # only when the tree has attributes files.
  if git ls-tree -r --name-only "$T2U_UC" | grep -q '\(^\|/\)\.gitattributes$'; then
    mkdir /work/x/archive
    git archive "$T2U_UC" | tar -x -C /work/x/archive
    GIT_INDEX_FILE=/work/idx-archive git --work-tree=/work/x/archive add -A -f .
    git ls-tree -r -z --full-tree "$(GIT_INDEX_FILE=/work/idx-archive git write-tree)" > /work/out/archive.list
  fi
fi
# Unpack the upload and list it as git sees it. dpkg-source -x checks the
# files against the .dsc itself; its signature was judged on the host. Its
# messages go to /tmp, not /work: when what it unpacks fills /work, the
# message that says so must still reach stderr (the launcher reads "No space
# left on device" there as the work limit, not a refusal of the upload).
for how in $T2U_UNPACK; do
  echo "step=unpack-$how" > /work/out/meta
  opt=; [ "$how" = unapplied ] && opt=--skip-patches
  dpkg-source -q -x $opt "/src/upload/$T2U_DSC" "/work/x/$how" > /tmp/unpack-$how.log 2>&1 \
    || { echo "dpkg-source -x $opt failed:" >&2; tail -n 20 /tmp/unpack-$how.log >&2; exit 66; }
  rm -rf "/work/x/$how/.pc"
  GIT_INDEX_FILE=/work/idx-$how git --work-tree="/work/x/$how" add -A -f .
  git ls-tree -r -z --full-tree "$(GIT_INDEX_FILE=/work/idx-$how git write-tree)" > "/work/out/$how.list"
  rm -rf "/work/x/$how"
done
echo step=done > /work/out/meta
`;

/** dpkg-source's error for a debian/ symlink that resolves outside the unpacked tree (Dpkg::Path, dpkg 1.22 and 1.23). */
const TRAVERSAL_REFUSED = /dpkg-source: error: pathname '[^'\n]*' points outside source root/;

/**
 * UPLOAD_UNPACK_REFUSED when `stderr` (the end of a failed `dpkg-source -x`'s
 * error output, lines joined by " | ") says it refused a debian/ symlink
 * that resolves outside the tree (Dpkg::Path::check_directory_traversal),
 * which dpkg-source -b never checks: an upload tag2upload makes from an
 * honest tag, which no unpacking can compare.
 */
export function unpackRefusal(stderr: string): Reason | undefined {
  return TRAVERSAL_REFUSED.test(stderr) ? reason('UPLOAD_UNPACK_REFUSED', `dpkg-source -x refuses the upload: ${stderr}`) : undefined;
}

/** Parses `git ls-tree -r -z` output: "<mode> <type> <oid>\t<path>\0". */
export function parseListing(data: Buffer): Map<string, TreeEntry> {
  const out = new Map<string, TreeEntry>();
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf(0, start);
    if (end < 0) end = data.length;
    const rec = data.subarray(start, end);
    start = end + 1;
    if (rec.length === 0) continue;
    const tab = rec.indexOf(9);
    if (tab < 0) throw new Error('malformed ls-tree record');
    const [mode, , oid] = rec.subarray(0, tab).toString('latin1').split(' ');
    if (!mode || !oid) throw new Error('malformed ls-tree record');
    // Paths are bytes; latin1 keeps every byte distinct and round-trips.
    out.set(rec.subarray(tab + 1).toString('latin1'), { mode, oid });
  }
  return out;
}

/** Shows a latin1-held byte path as UTF-8 when it is, escaped otherwise. */
export function displayPath(p: string): string {
  const bytes = Buffer.from(p, 'latin1');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return JSON.stringify(p).slice(1, -1);
  }
}

/** Paths of `expected` and `got` (each filtered by `keep`) that differ. */
export function diffListings(
  scope: ContentDifference['scope'],
  expected: Listing,
  got: Listing,
  keep: (path: string) => boolean,
): ContentDifference[] {
  const out: ContentDifference[] = [];
  const paths = [...new Set([...expected.keys(), ...got.keys()])].filter(keep).sort();
  for (const path of paths) {
    const e = expected.get(path);
    const g = got.get(path);
    const shown = displayPath(path);
    if (e && !g) out.push({ scope, path: shown, change: 'removed', expected: e });
    else if (!e && g) out.push({ scope, path: shown, change: 'added', got: g });
    else if (e && g && e.oid !== g.oid) out.push({ scope, path: shown, change: 'changed', expected: e, got: g });
    else if (e && g && e.mode !== g.mode) out.push({ scope, path: shown, change: 'mode', expected: e, got: g });
  }
  return out;
}

const under =
  (dir: string) =>
  (p: string): boolean =>
    p === dir || p.startsWith(`${dir}/`);
const notUnder =
  (dir: string) =>
  (p: string): boolean =>
    !under(dir)(p);

export async function checkContent(input: ContentCheckInput): Promise<ContentCheckResult> {
  const mode = input.quiltMode === undefined || input.quiltMode === '' ? 'linear' : input.quiltMode;
  const upstream = input.upstreamCommit !== undefined && input.upstreamTag !== undefined;
  const plan = contentPlan(input.format, input.quiltMode, upstream);
  if (plan.unpack.length === 0) return { reasons: [reason('CONTENT_UNSUPPORTED', plan.why ?? 'not comparable')], notes: [] };
  const dir = await mkdtemp(join(input.tmpDir ?? tmpdir(), 't2u-content-'));
  try {
    await writeFile(join(dir, 'content.sh'), CONTENT_SCRIPT);
    // The .dsc and its files, each bound read-only at /src/upload (dpkg-source
    // -x only reads them), not copied into /work: the launcher stages those
    // the sandbox uid cannot reach (hard links). What they unpack to is
    // limited as when they were in the work directory: a multiple of their size.
    // Where /work lives follows what their headers say they unpack to.
    const files = [input.dscName, ...input.uploadFiles].map((name) => ({ name, host: fileInside(input.uploadDir, name) }));
    let inputBytes = 0;
    for (const f of files) inputBytes += (await stat(f.host)).size;
    const unpackedBytes = input.unpackedBytes ?? (await unpackedEstimate(files.map((f) => f.host)));
    let r;
    try {
      r = await input.sandbox.run({
        argv: ['sh', '/work/content.sh'],
        workDir: dir,
        keep: ['out'],
        readOnly: [{ host: input.repo, inside: '/src/repo' }, ...files.map((f) => ({ host: f.host, inside: `/src/upload/${f.name}` }))],
        limits: { inputBytes, unpackedBytes },
        env: {
          T2U_TAG: input.tag,
          T2U_COMMIT: input.commit,
          T2U_UT: upstream ? input.upstreamTag : '',
          T2U_UC: upstream ? input.upstreamCommit : '',
          T2U_DSC: input.dscName,
          T2U_UNPACK: plan.unpack.join(' '),
          LC_ALL: 'C.UTF-8',
          TZ: 'UTC',
        },
        timeoutMs: input.timeoutMs,
        ...(input.signal ? { signal: input.signal } : {}),
      });
    } catch (e) {
      if (isVerificationError(e)) return { reasons: [reason(e.code, e.message)], notes: [] };
      throw e;
    }
    const step = (await readFile(join(dir, 'out', 'meta'), 'utf8').catch(() => 'step=start')).trim().replace(/^step=/, '');
    const stderr = r.stderr.toString('utf8').trim().split('\n').slice(-8).join(' | ');
    if (r.timedOut)
      return {
        reasons: [reason('SANDBOX_TIMEOUT', `unpacking and listing the upload exceeded ${input.timeoutMs} ms (step ${step})`)],
        notes: [],
      };
    if (r.exitCode !== 0 && r.workQuotaExceeded) {
      return {
        reasons: [
          reason(
            'WORK_QUOTA_EXCEEDED',
            `unpacking and listing the upload filled its work directory (${r.workBytes} bytes) at step ${step}: ${stderr}`,
          ),
        ],
        notes: [],
      };
    }
    if (r.exitCode === 66) {
      // Not comparable here (unpackRefusal); the bits layer decides.
      const refusal = unpackRefusal(stderr);
      if (refusal) return { reasons: [refusal], notes: [] };
      // dpkg-source -x refused a file the service signed: dak would too.
      return { reasons: [reason('UPLOAD_UNPACK_FAILED', `the upload does not unpack: ${stderr}`)], notes: [] };
    }
    if (r.exitCode !== 0) {
      const why = r.outputTruncated
        ? 'wrote more output than allowed'
        : r.memoryExceeded
          ? 'exceeded its memory limit'
          : `exited with status ${r.exitCode ?? r.signal}`;
      return {
        reasons: [reason('SANDBOX_FAILED', `the content check failed at step ${step} (${why}): ${stderr || '(no output)'}`)],
        notes: [],
      };
    }
    const list = async (name: string): Promise<Map<string, TreeEntry> | undefined> => {
      const path = join(dir, 'out', `${name}.list`);
      // Written by the sandbox: a regular file only.
      if (!(await lstat(path).catch(() => undefined))?.isFile()) return undefined;
      return parseListing(await readFile(path));
    };
    const tag = await list('tag');
    if (!tag) return { reasons: [reason('SANDBOX_FAILED', 'the content check wrote no listing of the tag')], notes: [] };

    const checked: string[] = [];
    const differences: ContentDifference[] = [];
    const notes: Reason[] = [];
    const bare = isBare(mode);
    if (input.format !== '3.0 (quilt)') {
      const applied = await list('applied');
      checked.push(`dpkg-source -x of the ${input.format} upload against the tag's tree`);
      differences.push(...diffListings('tree', tag, applied ?? new Map(), () => true));
    } else if (bare) {
      const unapplied = await list('unapplied');
      checked.push("the upload's debian/ directory (dpkg-source -x --skip-patches) against the tag's debian/ directory");
      differences.push(...diffListings('tree', tag, unapplied ?? new Map(), under('debian')));
    } else if (UNAPPLIED.has(mode)) {
      const unapplied = await list('unapplied');
      checked.push(`dpkg-source -x --skip-patches against the tag's tree (quilt mode ${mode}: patches unapplied in git)`);
      differences.push(...diffListings('tree', tag, unapplied ?? new Map(), () => true));
    } else {
      const applied = await list('applied');
      const keep = DGIT_WRITES_PATCHES.has(mode) ? notUnder('debian/patches') : () => true;
      checked.push(
        `dpkg-source -x (patches applied) against the tag's tree${DGIT_WRITES_PATCHES.has(mode) ? ', debian/patches excepted (dgit writes them in this quilt mode; their effect is in the applied tree)' : ''} (quilt mode ${mode})`,
      );
      differences.push(...diffListings('tree', tag, applied ?? new Map(), keep));
    }

    if (input.format === '3.0 (quilt)' && upstream && mode !== 'baredebian+tarball') {
      // The orig's content, with the upload's debian/ (which replaces any the orig has) set aside.
      const unapplied = await list('unapplied');
      const up = await list('upstream');
      if (unapplied && up) {
        checked.push(`the orig (dpkg-source -x --skip-patches, debian/ excepted) against upstream commit ${input.upstreamCommit}`);
        const keep = notUnder('debian');
        const origDiff = diffListings('orig', up, unapplied, keep);
        const archive = origDiff.length > 0 ? await list('archive') : undefined;
        if (archive && diffListings('orig', archive, unapplied, keep).length === 0) {
          notes.push(
            reason(
              'ORIG_EXPORT_ATTRIBUTES',
              `the orig is git archive's rendering of ${input.upstreamCommit}: its .gitattributes export-ignore/export-subst shaped it (${origDiff.length} path(s) differ from the plain tree)`,
            ),
          );
        } else {
          differences.push(...origDiff);
        }
      }
    } else if (mode === 'baredebian+tarball') {
      notes.push(
        reason('ORIG_NOT_COMPARED', 'quilt mode baredebian+tarball: the orig tarball, not the upstream commit, is the upstream source'),
      );
    }

    const max = input.maxDifferences ?? 200;
    const reasons: Reason[] = [];
    if (differences.length > 0) {
      const tree = differences.filter((d) => d.scope === 'tree');
      const orig = differences.filter((d) => d.scope === 'orig');
      if (tree.length)
        reasons.push(
          reason('CONTENT_MISMATCH', `the upload's content differs from the tag's tree in ${tree.length} path(s): ${summary(tree)}`),
        );
      if (orig.length)
        reasons.push(
          reason(
            'ORIG_CONTENT_MISMATCH',
            `the orig differs from upstream commit ${input.upstreamCommit!} in ${orig.length} path(s): ${summary(orig)}`,
          ),
        );
    }
    const facts: ContentFacts = {
      checked,
      differences: differences.slice(0, max),
      ...(differences.length > max ? { truncated: differences.length - max } : {}),
    };
    return { reasons, notes, facts };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function summary(ds: readonly ContentDifference[]): string {
  const shown = ds
    .slice(0, 5)
    .map((d) => `${d.change} ${d.path}`)
    .join(', ');
  return ds.length > 5 ? `${shown}, …` : shown;
}
