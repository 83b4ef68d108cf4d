// check-tag: layers 1–2 of docs/architecture.md §2 for one (repository, tag). The only
// place that sequences fetch → authenticate → interpret; every stage failure
// becomes a reason with a stable code, never an exception.
import { isUtf8 } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { isVerificationError } from '../report/verification-error.js';
import { refNameProblem } from '../gitobj/ref-name.js';
import type { Repository } from '../fetch/index.js';
import { ObjectTooLargeError, type GitObject, type ObjectReader } from '../fetch/index.js';
import { identBytes, MAX_TAG_OBJECT_BYTES, parseTagObject, splitIdent, type ParsedTag } from '../gitobj/tag-object.js';
import { parseCommit, parseTree } from '../gitobj/commit-tree.js';
import { checkObject, walkAndCheck } from '../gitobj/object-integrity.js';
import type { KeyringIndex } from '../authenticate/index.js';
import type { DmPermissions } from '../authenticate/index.js';
import { checkDmAuthorisation, verifyTagSignature, type SignaturePolicy } from '../authenticate/index.js';
import { interpretTag, likelyUpstreamTags, needsUpstreamTag } from '../interpret/index.js';
import { MAX_CHANGELOG_BYTES } from '../interpret/index.js';
import { reason, type Reason, type ReasonCode } from '../report/reasons.js';
import { checkTagVerdict, layerResult, REPORT_SCHEMA, type CheckTagReport, type SourceFacts, type TagFacts } from '../report/report.js';
import { isFormatError } from '../report/format-error.js';

export interface CheckTagInput {
  /** URL or local path, as given by the user or the intake. */
  readonly repo: string;
  /** Tag name without refs/tags/, e.g. "debian/1.0-1". */
  readonly tag: string;
}

export interface CheckTagDeps {
  openRepository(repo: string): Promise<Repository>;
  /**
   * The uploader keyrings, or their loading still under way: awaited only when
   * the signature is checked, so that loading them overlaps the fetch.
   */
  readonly keyrings: KeyringIndex | Promise<KeyringIndex>;
  /** dm.txt's permissions, or their loading still under way (see `keyrings`). */
  readonly dm: DmPermissions | undefined | Promise<DmPermissions | undefined>;
  readonly policy: SignaturePolicy;
  /**
   * The caller builds from the repository afterwards (verify): each tag is
   * fetched with its whole history at once, rather than shallowly and
   * deepened later, so the history arrives while the keyrings load and the
   * upstream tag's fetch names all of it as `have`. The upstream tag the
   * tag most likely names (DEP-14's upstream/UVER, or UVER, vUVER) comes in
   * that same fetch when the repository has it. Nothing fetched is read
   * before the tag's signature is checked, and any other upstream tag is
   * fetched only once the tag that names it is authenticated.
   */
  readonly wholeHistory?: boolean;
  /**
   * Takes the open repository over (verify builds from it afterwards): given
   * the repository and the refs it was judged by, the callee closes it. Called
   * only when the tag was found.
   */
  hold?(held: HeldRepository): void;
}

/** The repository check-tag read, and the refs it resolved. */
export interface HeldRepository {
  readonly repo: Repository;
  /** refs/tags/<name> → object id, for the tag and (when resolved) the upstream tag. */
  readonly refs: Map<string, string>;
}

/** An annotated tag may point at another tag; git peels at most this deep here. */
const MAX_PEEL = 5;

export async function checkTag(input: CheckTagInput, deps: CheckTagDeps): Promise<CheckTagReport> {
  const reasons: Reason[] = [];
  const notes: Reason[] = [];
  const timings: Record<string, number> = {};
  const tagFacts: TagFacts = { name: input.tag };
  const source: SourceFacts = {};
  let authRan = false;
  let metaRan = false;
  let metaSkipped: string | undefined;

  const finish = (): CheckTagReport => ({
    schema: REPORT_SCHEMA,
    kind: 'check-tag',
    verdict: checkTagVerdict(reasons),
    reasons,
    notes,
    layers: {
      authenticity: layerResult('authenticity', reasons, authRan, 'the tag could not be obtained'),
      metadata: layerResult('metadata', reasons, metaRan, metaSkipped ?? 'the tag could not be obtained'),
    },
    repo: input.repo,
    tag: tagFacts,
    source,
    timings,
  });
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings[name] = Math.round((performance.now() - t0) * 10) / 10 + (timings[name] ?? 0);
    }
  };

  const badName = refNameProblem(`refs/tags/${input.tag}`);
  if (badName !== undefined) {
    reasons.push(reason('TAG_NAME_INVALID', `tag name ${JSON.stringify(input.tag)} is not a valid git ref name: ${badName}`));
    metaRan = true;
    return finish();
  }

  let repo: Repository | undefined;
  let held: HeldRepository | undefined;
  try {
    repo = await timed('fetchMs', () => deps.openRepository(input.repo));
    // The fetch and reads follow the ref lookup: their sandboxes start alongside it.
    repo.prepare();
    const ref = await timed('fetchMs', () => repo!.resolveTag(input.tag));
    if (!ref) {
      reasons.push(reason('TAG_NOT_FOUND', `${input.repo} has no tag ${input.tag}`));
      return finish();
    }
    if (deps.hold) {
      held = { repo, refs: new Map([[input.tag, ref.oid]]) };
      deps.hold(held);
    }
    const fetch = (oid: string): Promise<void> => (deps.wholeHistory ? repo!.fetchHistory([oid]) : repo!.fetchObjects(oid));
    // verify: the upstream tag the tag most likely names (likelyUpstreamTags)
    // comes in the same fetch when the listing has it, under the same pack
    // limit: one round trip and one index-pack fewer. Nothing of it is read
    // unless the authenticated tag names it.
    const likely = deps.wholeHistory ? await likelyUpstreamRef(repo, input.tag) : undefined;
    await timed('fetchMs', () => (likely && likely !== ref.oid ? repo!.fetchHistory([ref.oid, likely]) : fetch(ref.oid)));
    const objects = repo.objects();
    const read = (oid: string) => readChecked(objects, oid, reasons);

    // Layer 1: authenticity, over the tag object's raw bytes.
    const tagObj = await timed('fetchMs', () =>
      readCapped(objects, ref.oid, MAX_TAG_OBJECT_BYTES, 'TAG_TOO_LARGE', 'the tag object', reasons),
    );
    if (!tagObj) return finish();
    tagFacts.object = ref.oid;
    authRan = true;
    if (tagObj.type !== 'tag') {
      reasons.push(reason('NOT_ANNOTATED_TAG', `refs/tags/${input.tag} points at a ${tagObj.type}, not a signed tag object`));
      metaSkipped = 'authenticity failed';
      return finish();
    }
    let tag: ParsedTag;
    try {
      tag = parseTagObject(tagObj.content);
    } catch (err) {
      if (!isFormatError(err, 'git-tag')) throw err;
      reasons.push(reason('TAG_OBJECT_MALFORMED', err.message));
      metaSkipped = 'authenticity failed';
      return finish();
    }
    if (tag.headers.tagger !== undefined) {
      const ident = splitIdent(tag.headers.tagger);
      tagFacts.tagger = ident.ident;
      const bytes = identBytes(tag.headers.taggerBytes!);
      if (!isUtf8(bytes)) tagFacts.taggerBytes = Buffer.from(bytes).toString('hex');
      if (ident.date) tagFacts.taggerDate = ident.date.toISOString();
    }
    if (tag.headers.type === 'commit') tagFacts.commit = tag.headers.object;

    const given = deps.keyrings;
    // Time spent waiting for keyrings still loading when the tag arrived.
    const keyrings = given instanceof Promise ? await timed('keyringsMs', () => given) : given;
    const sig = await timed('signatureMs', () => verifyTagSignature(tag, keyrings, deps.policy));
    reasons.push(...sig.reasons);
    notes.push(...sig.notes);
    if (sig.signerFingerprint) tagFacts.signerFingerprint = sig.signerFingerprint;
    if (sig.primaryFingerprint) tagFacts.primaryFingerprint = sig.primaryFingerprint;
    if (sig.keyring) tagFacts.keyring = sig.keyring;
    if (sig.digestAlgorithm) tagFacts.digestAlgorithm = sig.digestAlgorithm;
    if (sig.created) tagFacts.signatureCreated = sig.created.toISOString();
    if (!sig.ok || reasons.length > 0) {
      // Verify, then parse: metadata in bytes we could not authenticate is not interpreted.
      metaSkipped = 'authenticity failed';
      return finish();
    }

    // Layer 2: metadata, against the tagged commit's debian/changelog.
    metaRan = true;
    const metadataStart = performance.now();
    const target = await read(tag.headers.object);
    if (!target) return finish();
    if (target.type !== tag.headers.type) {
      reasons.push(
        reason('TAG_OBJECT_MALFORMED', `the tag says its object is a ${tag.headers.type}, but ${tag.headers.object} is a ${target.type}`),
      );
      return finish();
    }
    const changelog =
      target.type === 'commit'
        ? await readChangelog(
            target,
            read,
            (oid) => readCapped(objects, oid, MAX_CHANGELOG_BYTES, 'CHANGELOG_TOO_LARGE', 'debian/changelog', reasons),
            reasons,
          )
        : undefined;
    if (reasons.length > 0) return finish();

    let result = interpretTag({ refName: input.tag, tag, changelog });
    const instruction = result.instruction;
    if (instruction) {
      Object.assign(source, {
        package: instruction.source,
        version: instruction.version,
        quiltMode: instruction.quiltMode,
        distros: instruction.distros,
        ...(instruction.upstreamCommit ? { upstreamCommit: instruction.upstreamCommit } : {}),
        ...(instruction.upstreamTag ? { upstreamTag: instruction.upstreamTag } : {}),
      });
    }
    const upstreamTag = instruction && needsUpstreamTag(instruction) ? instruction.upstreamTag : undefined;
    let upstreamRoot: string | undefined;
    if (
      upstreamTag !== undefined &&
      refNameProblem(`refs/tags/${upstreamTag}`) === undefined &&
      instruction?.upstreamCommit !== undefined
    ) {
      const peeled = await resolveUpstream(repo, fetch, upstreamTag, read, reasons);
      if (peeled) {
        held?.refs.set(upstreamTag, peeled.root);
        upstreamRoot = peeled.root;
        result = interpretTag({ refName: input.tag, tag, changelog, upstreamTagTarget: peeled.commit });
        if (peeled.commit === instruction.upstreamCommit) {
          const tree = await upstreamTreeOf(peeled.commit, read);
          if (tree !== undefined) source.upstreamTree = tree;
        }
      }
    }
    reasons.push(...result.reasons);
    timings['metadataMs'] = Math.round((performance.now() - metadataStart) * 10) / 10;

    // DM permissions depend on the package the (now authenticated) tag names.
    if (instruction?.source !== undefined) reasons.push(...checkDmAuthorisation(sig, instruction.source, await deps.dm));

    // Objects of a local repository did not pass through index-pack --strict:
    // hash everything the tag and upstream tag reach with collision detection.
    if (repo.kind === 'local') {
      const roots = [ref.oid, ...(upstreamRoot ? [upstreamRoot] : [])];
      const walk = await timed('integrityMs', () => walkAndCheck(roots, (oid) => objects.read(oid)));
      for (const p of walk.problems) reasons.push(reason(p.code, p.message));
      if (walk.missing.length > 0) {
        reasons.push(
          reason('OBJECT_MISSING', `${walk.missing.length} object(s) reachable from the tag are missing, e.g. ${walk.missing[0]}`),
        );
      }
    }
    return finish();
  } catch (err) {
    if (isVerificationError(err)) {
      reasons.push(reason(err.code, err.message));
      return finish();
    }
    throw err;
  } finally {
    if (!held) await repo?.close();
  }
}

/** The object id of the first of the tag's likely upstream tags the repository lists (its listing is already fetched). */
async function likelyUpstreamRef(repo: Repository, tag: string): Promise<string | undefined> {
  for (const name of likelyUpstreamTags(tag)) {
    if (refNameProblem(`refs/tags/${name}`) !== undefined) continue;
    const ref = await repo.resolveTag(name);
    if (ref) return ref.oid;
  }
  return undefined;
}

/** Reads an object and checks its hash with sha1dc; records a reason and returns undefined on failure. */
/** readChecked with a size cap: a larger object is never held, and `code` says so. */
async function readCapped(
  objects: ObjectReader,
  oid: string,
  maxBytes: number,
  code: ReasonCode,
  what: string,
  reasons: Reason[],
): Promise<GitObject | undefined> {
  try {
    return await readChecked(objects, oid, reasons, maxBytes);
  } catch (err) {
    if (!(err instanceof ObjectTooLargeError)) throw err;
    reasons.push(reason(code, `${what} (${err.type} ${oid}) is ${err.size} bytes, above the ${maxBytes} bytes the verifier reads`));
    return undefined;
  }
}

async function readChecked(objects: ObjectReader, oid: string, reasons: Reason[], maxBytes?: number): Promise<GitObject | undefined> {
  const obj = await objects.read(oid, maxBytes === undefined ? {} : { maxBytes });
  if (!obj) {
    reasons.push(reason('OBJECT_MISSING', `object ${oid} is not in the repository`));
    return undefined;
  }
  const problem = checkObject(oid, obj.type, obj.content);
  if (problem) {
    reasons.push(reason(problem.code, problem.message));
    return undefined;
  }
  return obj;
}

type Read = (oid: string) => Promise<GitObject | undefined>;

/** debian/changelog at the commit, or undefined when the tree has none (interpret reports it). */
async function readChangelog(commit: GitObject, read: Read, readBlob: Read, reasons: Reason[]): Promise<Uint8Array | undefined> {
  const root = await read(parseCommit(commit.content).tree);
  if (!root) return undefined;
  const debian = parseTree(root.content).find((e) => e.name.toString('latin1') === 'debian');
  if (!debian || debian.kind !== 'tree') return undefined;
  const dir = await read(debian.oid);
  if (!dir) return undefined;
  const entry = parseTree(dir.content).find((e) => e.name.toString('latin1') === 'changelog');
  if (!entry) return undefined;
  if (entry.kind !== 'blob' || entry.mode === '120000') {
    reasons.push(reason('CHANGELOG_INVALID', `debian/changelog is not a regular file (mode ${entry.mode})`));
    return undefined;
  }
  return (await readBlob(entry.oid))?.content;
}

/** The tree a commit names (its first header line), or undefined when the commit cannot be read. */
async function upstreamTreeOf(commit: string, read: Read): Promise<string | undefined> {
  const obj = await read(commit);
  if (obj?.type !== 'commit') return undefined;
  return /^tree ([0-9a-f]{40})\n/.exec(Buffer.from(obj.content.subarray(0, 64)).toString('latin1'))?.[1];
}

/** Fetches the upstream tag (with `fetch`) and peels it to a commit; records UPSTREAM_TAG_MISSING when absent. */
async function resolveUpstream(
  repo: Repository,
  fetch: (oid: string) => Promise<void>,
  name: string,
  read: Read,
  reasons: Reason[],
): Promise<{ commit: string; root: string } | undefined> {
  const ref = await repo.resolveTag(name);
  if (!ref) {
    reasons.push(reason('UPSTREAM_TAG_MISSING', `the repository has no tag ${name}`));
    return undefined;
  }
  await fetch(ref.oid);
  let oid = ref.oid;
  for (let depth = 0; depth <= MAX_PEEL; depth++) {
    const obj = await read(oid);
    if (!obj) return undefined;
    if (obj.type === 'commit') return { commit: oid, root: ref.oid };
    if (obj.type !== 'tag') {
      reasons.push(reason('UPSTREAM_MISMATCH', `upstream tag ${name} points at a ${obj.type}, not a commit`));
      return undefined;
    }
    try {
      oid = parseTagObject(obj.content).headers.object;
    } catch (err) {
      if (!isFormatError(err, 'git-tag')) throw err;
      reasons.push(reason('UPSTREAM_MISMATCH', `upstream tag ${name} is malformed: ${err.message}`));
      return undefined;
    }
  }
  reasons.push(reason('UPSTREAM_MISMATCH', `upstream tag ${name} is nested more than ${MAX_PEEL} deep`));
  return undefined;
}
