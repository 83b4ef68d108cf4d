// The report object of docs/architecture.md §4 and the rule that turns reasons into a verdict.
// Wherever the report compares two sides, `expected` is what the tag gives
// (the tag's tree, the orig's upstream commit, the package rebuilt from the
// tag) and `got` is what was uploaded (what the archive holds): the tag is
// the authority and the upload is what is checked against it, so `added`
// is something only the upload has.
import { effectOf, type Effect, type Layer, type Reason } from './reasons.js';

export const REPORT_SCHEMA = 't2u-verify/report/v1';

export type CheckTagVerdict = 'authentic' | 'rejected' | 'unverifiable';

export type LayerStatus = 'pass' | 'fail' | 'skipped';

export interface LayerResult {
  readonly status: LayerStatus;
  /** Why the layer was skipped or could not run, when it was. */
  readonly detail?: string;
}

export interface TagFacts {
  name: string;
  object?: string;
  commit?: string;
  /** The tagger identity `Name <address>` (shown as Latin-1 when its bytes are not UTF-8). */
  tagger?: string;
  /** The tagger identity's bytes in hex, present only when they are not UTF-8 (then `tagger` cannot carry them). */
  taggerBytes?: string;
  taggerDate?: string;
  /** Fingerprint of the key that made the signature (often a subkey), lower case, as in `Git-Tag-Info fp=`. */
  signerFingerprint?: string;
  /** Fingerprint of that key's primary key, lower case. */
  primaryFingerprint?: string;
  /** The keyring (file path) whose key verified the signature. */
  keyring?: string;
  /** The data signature's digest algorithm, e.g. "sha512". */
  digestAlgorithm?: string;
  signatureCreated?: string;
}

export interface SourceFacts {
  package?: string;
  version?: string;
  quiltMode?: string;
  distros?: string[];
  upstreamCommit?: string;
  upstreamTag?: string;
  /** The tree of the `upstream=` commit, when the upstream tag resolved to it (for the ledger of upstream trees). */
  upstreamTree?: string;
}

export interface CheckTagReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly kind: 'check-tag';
  readonly verdict: CheckTagVerdict;
  readonly reasons: Reason[];
  /** Reasons that policy reports without rejecting (e.g. SHA-1 key bindings under `report`). */
  readonly notes: Reason[];
  readonly layers: { authenticity: LayerResult; metadata: LayerResult };
  readonly repo: string;
  readonly tag: TagFacts;
  readonly source: SourceFacts;
  readonly timings: Record<string, number>;
}

/**
 * The one precedence rule every verdict follows: the strongest effect among
 * the reasons, `reject` before `mismatch` before `unverifiable`. An alarm is
 * never hidden by a later failure: a mismatch found before a build broke, or
 * while a signature check could not run, stays a mismatch. `note` reasons
 * never count; undefined means no reason changes the verdict.
 */
export function strongestEffect(reasons: readonly Reason[]): Exclude<Effect, 'note'> | undefined {
  const effects = new Set<Effect>(reasons.map(effectOf));
  for (const e of EFFECT_PRECEDENCE) if (effects.has(e)) return e;
  return undefined;
}

const EFFECT_PRECEDENCE = ['reject', 'mismatch', 'unverifiable'] as const;

/** The verdict of layers 1–2 (strongestEffect: a rejection or mismatch is `rejected`). */
export function checkTagVerdict(reasons: readonly Reason[]): CheckTagVerdict {
  const e = strongestEffect(reasons);
  return e === undefined ? 'authentic' : e === 'unverifiable' ? 'unverifiable' : 'rejected';
}

export function layerResult(layer: Layer, reasons: readonly Reason[], ran: boolean, detail?: string): LayerResult {
  if (reasons.some((r) => r.layer === layer)) return { status: 'fail' };
  if (!ran) return detail === undefined ? { status: 'skipped' } : { status: 'skipped', detail };
  return { status: 'pass' };
}

export { EXIT, exitCodeFor } from './exit-codes.js';

/** The verdicts of `verify` (docs/architecture.md §2). */
export type VerifyVerdict = 'reproduced' | 'equivalent' | 'mismatch' | 'rejected' | 'unverifiable';

export const VERIFY_VERDICTS: readonly VerifyVerdict[] = ['reproduced', 'equivalent', 'mismatch', 'rejected', 'unverifiable'];

/** The upload that was judged. */
export interface UploadFacts {
  /** Where it came from: a path, a .dsc URL, or the mirror URL of the .dsc. */
  origin: string;
  /** The .dsc file name. */
  dsc: string;
  /** SHA-256 of the .dsc file as obtained (signature included). */
  sha256: string;
  source?: string;
  version?: string;
  /** The fingerprint of the service key that signed the .dsc, lower case. */
  signer?: string;
  /** The .dsc signature's creation time. */
  signed?: string;
  /** The upload's Git-Tag-Info, Git-Tag-Tagger and Dgit fields as written. */
  gitTagInfo?: string;
  gitTagTagger?: string;
  dgit?: string;
}

/** A path that differs between the upload's unpacked content and the tag's tree. */
export interface ContentDifference {
  /** `tree`: the whole source tree; `orig`: the upstream part against the upstream= commit. */
  readonly scope: 'tree' | 'orig';
  readonly path: string;
  readonly change: 'added' | 'removed' | 'changed' | 'mode';
  /** On the tag's side: git mode and blob id. */
  readonly expected?: { readonly mode: string; readonly oid: string };
  /** On the upload's side. */
  readonly got?: { readonly mode: string; readonly oid: string };
}

export interface ContentFacts {
  /** What was compared, in words, e.g. "dpkg-source -x (patches applied) against the tag's tree". */
  readonly checked: readonly string[];
  /** Every difference, up to a cap (`truncated` says how many more). */
  readonly differences: readonly ContentDifference[];
  readonly truncated?: number;
}

export interface FileDigest {
  readonly size: number;
  readonly sha256: string;
}

/** One file of a source package, compared byte for byte (src/compare/rebuilt-package.ts). */
export interface FileComparison {
  readonly name: string;
  /** The rebuilt file (undefined when the rebuilt .dsc does not name it, or the build did not write it). */
  readonly expected?: FileDigest;
  /** The upload's file (undefined when the upload's .dsc does not name it, or it is not beside the .dsc). */
  readonly got?: FileDigest;
  readonly match: boolean;
  /** `given`: an orig taken from the upload as the archive's, so `match` is by construction. */
  readonly origin: 'rebuilt' | 'given';
  /** The bytes differ in a way the builder explains (the code of the note that explains it). */
  readonly explainedBy?: 'CHECKOUT_MTIME_LEAK';
}

/** A .dsc field whose values differ: `expected` the rebuilt .dsc's, `got` the upload's (absent: no such field). */
export interface FieldDifference {
  readonly field: string;
  readonly expected?: string;
  readonly got?: string;
}

/** What one toolchain made of the tag, against the upload. */
export interface ToolchainResult {
  /** `dgit`: Debian's builder code in the sandbox; `typescript`: the verifier's own implementation. */
  readonly name: 'dgit' | 'typescript';
  readonly status: 'agrees' | 'differs' | 'not-run' | 'failed';
  readonly detail?: string;
}

/** One side of a tarball member in a TarballDiff. */
export interface TarMemberFacts {
  readonly size: number;
  readonly mode: string;
  readonly sha256: string;
  readonly mtime?: number;
  /** The member type: `file`, `dir`, `symlink`, `hardlink`, `pax-global`, … */
  readonly type?: string;
  /** Link target of a symlink or hard link. */
  readonly link?: string;
  /** `uid/gid uname/gname` as the header records them. */
  readonly owner?: string;
}

/**
 * A member-level account of one tarball that differs (for the human diff):
 * `expected` is the tarball rebuilt from the tag, `got` the upload's, so
 * `added` is a member only the upload has and the unified diffs run from
 * the tag's content to the upload's.
 */
export interface TarballDiff {
  readonly file: string;
  readonly members: readonly {
    readonly path: string;
    readonly change: 'added' | 'removed' | 'changed';
    readonly expected?: TarMemberFacts;
    readonly got?: TarMemberFacts;
    /** For `changed`: which of content, mode, type, link, mtime, owner differ. */
    readonly aspects?: readonly string[];
    /** A bounded unified diff, for text members. */
    readonly diff?: string;
  }[];
  readonly truncated?: number;
  /** Why members could not be listed, when they could not. */
  readonly error?: string;
}

export interface ReconstructionFacts {
  /** The builder profile that reproduced, or the closest one. */
  profile?: string;
  /** Why the profiles were tried in their order, when what the upload shows set it. */
  profileHint?: string;
  attempts: readonly {
    readonly profile: string;
    readonly outcome: string;
    readonly differences?: number;
    readonly durationMs: number;
    /** The build's steps inside the sandbox, ms (init, origs, build, fields). */
    readonly stepsMs?: Readonly<Record<string, number>>;
  }[];
  /** Profiles not tried, and why (the upload already refuted, or a difference a tried profile showed that they could not change). */
  skipped?: readonly { readonly profile: string; readonly why: string }[];
  toolchains: ToolchainResult[];
  files: readonly FileComparison[];
  fields: readonly FieldDifference[];
  /** The rebuilt .dsc body is byte-identical to the upload's signed body. */
  dscIdentical: boolean;
  tarballs?: TarballDiff[];
}

export interface VerifyReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly kind: 'verify';
  readonly verdict: VerifyVerdict;
  readonly reasons: Reason[];
  readonly notes: Reason[];
  readonly layers: {
    authenticity: LayerResult;
    metadata: LayerResult;
    binding: LayerResult;
    content: LayerResult;
    bits: LayerResult;
  };
  readonly repo: string;
  readonly tag: TagFacts;
  readonly source: SourceFacts;
  upload?: UploadFacts;
  content?: ContentFacts;
  reconstruction?: ReconstructionFacts;
  readonly timings: Record<string, number>;
}

/**
 * The verdict of all five layers (strongestEffect): a rejected tag wins
 * (nothing was built), then any mismatch, then unverifiable; `explained`
 * differences make `equivalent`.
 */
export function verifyVerdict(reasons: readonly Reason[], explained: boolean): VerifyVerdict {
  const e = strongestEffect(reasons);
  if (e === 'reject') return 'rejected';
  return e ?? (explained ? 'equivalent' : 'reproduced');
}

/**
 * The verdict of the bits layer alone (`reproduce`), which has no `rejected`:
 * a reason that would reject a tag there (the .dsc signature) refutes the
 * upload, so it is a mismatch. Same precedence as verifyVerdict.
 */
export function reproduceVerdict(
  reasons: readonly Reason[],
  clean: 'reproduced' | 'equivalent' | 'unverifiable',
): 'reproduced' | 'equivalent' | 'mismatch' | 'unverifiable' {
  const e = strongestEffect(reasons);
  return e === undefined ? clean : e === 'unverifiable' ? 'unverifiable' : 'mismatch';
}
