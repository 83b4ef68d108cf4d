// The Dgit field's commit when it is not the rebuilt dgit view: for a
// package with history in dgit-repos, dgit's splitbrain_pseudomerge makes a
// pseudo-merge (pseudomerge_hash_commit in dgit 12.16 and 17) that the
// service pushes as archive/debian/<version>:
//
//   tree   <the dgit view's tree>
//   parent <the dgit view>
//   parent <the archive's previous dgit-repos head>
//   author/committer <the changelog's maintainer and date>
//
//   Make fast forward from <previous version>   (or "Declare fast forward …")
//
// The second parent is archive history the verifier does not rebuild. What
// it checks: dgit-repos' archive/debian/<version> names the upload's commit;
// that commit has exactly two parents, the first being the rebuilt dgit view
// (or, when the view is dgit's own quilt-fixup commit, any commit: its id is
// the builder's) and its tree being the rebuilt view's tree; its message is
// dgit's. Then the upload's Dgit field says nothing the tag does not.
import { trimEnd } from '../text/scan.js';
import { parseCommit } from '../gitobj/commit-tree.js';
import { checkObject } from '../gitobj/object-integrity.js';
import { parseTagObject } from '../gitobj/tag-object.js';
import type { Repository } from '../fetch/index.js';
import { mangleVersion } from '../interpret/index.js';
import type { ReproduceResult } from '../reconstruct/index.js';
import { effectOf, reason, type Reason } from '../report/reasons.js';
import { parseDgitField, type Dsc } from '../deb822/dsc.js';
import { isVerificationError } from '../report/verification-error.js';
import { isFormatError } from '../report/format-error.js';

export interface PseudomergeInput {
  /** The repository the Dgit field names (possibly rewritten by configuration). */
  readonly repoUrl: string;
  readonly version: string;
  /** The upload's Dgit commit. */
  readonly uploadCommit: string;
  /** The rebuilt dgit view and its tree. */
  readonly rebuiltView: string;
  readonly rebuiltViewTree: string;
  /** The rebuilt view is dgit's own quilt-fixup commit, whose id only the service knows. */
  readonly viewIsBuilderCommit: boolean;
  openRepository(url: string): Promise<Repository>;
}

/** `explained`: a note (the pseudo-merge checks out); otherwise the reasons say why not. */
export type PseudomergeResult =
  { readonly explained: true; readonly note: Reason } | { readonly explained: false; readonly reasons: readonly Reason[] };

const MESSAGE = /^(?:Make|Declare) fast forward from \S+\n\n\[dgit[^\n]*\]\n?$/;

export async function checkPseudomerge(input: PseudomergeInput): Promise<PseudomergeResult> {
  const tagName = `archive/debian/${mangleVersion(input.version)}`;
  const unchecked = (why: string): PseudomergeResult => ({
    explained: false,
    reasons: [
      reason(
        'DGIT_VIEW_UNCHECKED',
        `the upload's Dgit commit ${input.uploadCommit} is not the rebuilt dgit view ${input.rebuiltView}, and ${input.repoUrl} could not show whether it is a pseudo-merge over archive history: ${why}`,
      ),
    ],
  });
  const mismatch = (why: string): PseudomergeResult => ({
    explained: false,
    reasons: [
      reason(
        'DGIT_VIEW_MISMATCH',
        `the upload's Dgit commit ${input.uploadCommit} is not the rebuilt dgit view ${input.rebuiltView} nor a pseudo-merge of it: ${why}`,
      ),
    ],
  });
  let repo: Repository | undefined;
  try {
    repo = await input.openRepository(input.repoUrl);
    const ref = await repo.resolveTag(tagName);
    if (!ref) return unchecked(`it has no ${tagName}`);
    await repo.fetchObjects(ref.oid);
    const objects = repo.objects();
    let oid = ref.oid;
    // dgit-repos' archive/debian/<version> is a tag object naming the commit.
    for (let depth = 0; depth < 3; depth++) {
      const obj = await objects.read(oid);
      if (!obj) return unchecked(`object ${oid} is missing`);
      const problem = checkObject(oid, obj.type, obj.content);
      if (problem) return { explained: false, reasons: [reason(problem.code, problem.message)] };
      if (obj.type === 'commit') break;
      if (obj.type !== 'tag') return mismatch(`${tagName} names a ${obj.type}`);
      oid = parseTagObject(obj.content).headers.object;
    }
    if (oid !== input.uploadCommit) return mismatch(`dgit-repos' ${tagName} names commit ${oid}`);
    const commit = await objects.read(oid);
    if (commit?.type !== 'commit') return mismatch(`${tagName} does not lead to a commit`);
    const { tree, parents } = parseCommit(commit.content);
    const end = commit.content.indexOf('\n\n');
    const message = end < 0 ? '' : commit.content.subarray(end + 2).toString('utf8');
    if (parents.length !== 2) return mismatch(`it has ${parents.length} parent(s), a pseudo-merge has 2`);
    if (tree !== input.rebuiltViewTree) return mismatch(`its tree is ${tree}, the rebuilt dgit view's is ${input.rebuiltViewTree}`);
    if (!input.viewIsBuilderCommit && parents[0] !== input.rebuiltView)
      return mismatch(`its first parent is ${parents[0]!}, not the rebuilt dgit view`);
    if (!MESSAGE.test(message)) return mismatch(`its message is not dgit's pseudo-merge message: ${JSON.stringify(message.slice(0, 120))}`);
    return {
      explained: true,
      note: reason(
        'DGIT_VIEW_PSEUDOMERGE',
        `Dgit names ${input.uploadCommit}, dgit-repos' ${tagName}: a pseudo-merge of the rebuilt dgit view (tree ${tree}${input.viewIsBuilderCommit ? '' : `, first parent ${input.rebuiltView}`}) with archive history ${parents[1]!} (${message.split('\n')[0]!})`,
      ),
    };
  } catch (e) {
    if (isVerificationError(e)) return unchecked(`${e.code}: ${e.message}`);
    if (isFormatError(e, 'git-tag') || isFormatError(e, 'git-object'))
      return mismatch(`${tagName} or its commit is malformed: ${e.message}`);
    throw e;
  } finally {
    await repo?.close();
  }
}

export interface DgitViewInput {
  /** The upload's .dsc as obtained. */
  readonly dsc: Dsc;
  /** dgit-repos (configurable; the Dgit field's own URL is https://git.dgit.debian.org). */
  readonly dgitReposUrl: string;
  openRepository(url: string): Promise<Repository>;
}

/** The only codes a build's comparison gives for a file or a .dsc field that differs. */
const COMPARISON_CODES: ReadonlySet<string> = new Set(['RECONSTRUCTION_MISMATCH', 'DSC_FIELD_MISMATCH', 'DSC_DGIT_FIELD_MISMATCH']);

/**
 * The bits layer's verdict, with the Dgit field's commit judged: when the
 * only difference the build showed is DSC_DGIT_FIELD_MISMATCH (every file
 * identical, every other field too) and the rest of the field agrees, the
 * upload's commit may be dgit-repos' pseudo-merge over archive history
 * (checkPseudomerge): checked there, the difference becomes a note
 * (equivalent); unreadable, unverifiable; anything else stays a mismatch,
 * with why.
 */
export async function explainDgitView(r: ReproduceResult, input: DgitViewInput): Promise<ReproduceResult> {
  const isDgitField = (x: Reason): boolean => x.code === 'DSC_DGIT_FIELD_MISMATCH';
  const compared = r.reasons.filter((x) => COMPARISON_CODES.has(x.code));
  const view = r.build?.tag;
  if (compared.length !== 1 || !isDgitField(compared[0]!) || !view?.dgitViewTree || !input.dsc.dgit) return r;
  const field = r.fields.find((f) => f.field.toLowerCase() === 'dgit');
  let rebuilt;
  try {
    rebuilt = field?.expected === undefined ? undefined : parseDgitField(field.expected);
  } catch (e) {
    if (isFormatError(e, 'dsc')) return r;
    throw e;
  }
  const upload = input.dsc.dgit;
  const rest = (d: typeof upload): string => `${d.distro ?? ''} ${d.tag ?? ''} ${d.url ?? ''}`;
  if (!rebuilt || rest(upload) !== rest(rebuilt) || rebuilt.commit !== view.dgitView) return r;
  const res = await checkPseudomerge({
    repoUrl: `${trimEnd(input.dgitReposUrl, '/')}/${input.dsc.source}`,
    version: input.dsc.version,
    uploadCommit: upload.commit,
    rebuiltView: rebuilt.commit,
    rebuiltViewTree: view.dgitViewTree,
    viewIsBuilderCommit: r.build!.dgitViewBuilderCommit,
    openRepository: (url) => input.openRepository(url),
  });
  if (res.explained) {
    const reasons = r.reasons.filter((x) => !isDgitField(x));
    return {
      ...r,
      reasons,
      notes: [...r.notes, res.note],
      fields: r.fields.filter((f) => f !== field),
      verdict: reasons.length === 0 ? 'equivalent' : r.verdict,
    };
  }
  // Undecidable is not a mismatch: the field difference is replaced by why it could not be judged.
  const unchecked = res.reasons.some((x) => x.code === 'DGIT_VIEW_UNCHECKED');
  const reasons = [...(unchecked ? r.reasons.filter((x) => !isDgitField(x)) : r.reasons), ...res.reasons];
  return { ...r, reasons, verdict: unchecked && !reasons.some((x) => effectOf(x) === 'mismatch') ? 'unverifiable' : 'mismatch' };
}
