// Layer 3, binding (docs/architecture.md §2): the upload is the one the tag
// asked for. The .dsc is signed by the tag2upload service's key; its Source
// and Version are the tag's; the three fields tag2upload appends (§1 step 4)
// name this tag: Git-Tag-Info's tag= is the tag object and fp= the key that
// signed it, Git-Tag-Tagger is the tag's tagger header byte for byte, and
// Dgit is "<commit> debian archive/debian/<mangled version>
// https://git.dgit.debian.org/<source>" as dgit's dopush writes it. The
// fields are read from the .dsc as the upload was obtained (upload/dsc.ts
// parses and checks them once); the Dgit commit itself depends on the dgit
// view and is the bits layer's to compare.
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { SignaturePolicy } from '../authenticate/index.js';
import { mangleVersion } from '../interpret/index.js';
import { checkDscSignature } from '../authenticate/index.js';
import { reason, type Reason } from '../report/reasons.js';
import type { SourceFacts, TagFacts, UploadFacts } from '../report/report.js';
import type { ObtainedUpload } from '../upload/index.js';

/** dgit-repos, as the Dgit field names it. */
export const DGIT_REPOS = 'https://git.dgit.debian.org';

export interface BindInput {
  readonly upload: ObtainedUpload;
  /** The authenticated tag and what it asks to upload (check-tag's report). */
  readonly tag: TagFacts;
  readonly source: SourceFacts;
  readonly policy: Readonly<SignaturePolicy>;
  /** The tag2upload service keyring; absent: the signature check cannot pass (KEYRING_UNAVAILABLE, subject upload). */
  readonly uploadKeyring?: string;
  /** Why there is no upload keyring, for KEYRING_UNAVAILABLE (subject upload). */
  readonly uploadKeyringUnavailable?: string;
}

export interface Binding {
  readonly facts: UploadFacts;
  readonly reasons: readonly Reason[];
  /** The .dsc signature's creation time when the keyring verified it: it orders the builder profiles. */
  readonly signedAt?: Date;
}

/** The tag's tagger identity as bytes: `taggerBytes` when they are not UTF-8, else `tagger` in UTF-8. */
export function taggerIdentBytes(tag: Pick<TagFacts, 'tagger' | 'taggerBytes'>): Uint8Array | undefined {
  if (tag.taggerBytes !== undefined) return new Uint8Array(Buffer.from(tag.taggerBytes, 'hex'));
  return tag.tagger === undefined ? undefined : new Uint8Array(Buffer.from(tag.tagger, 'utf8'));
}

function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && Buffer.from(a).equals(b);
}

export async function bindUpload(input: BindInput): Promise<Binding> {
  const { upload, tag, source } = input;
  const { dsc } = upload;
  const p = dsc.paragraph;
  const reasons: Reason[] = [];
  const info = p.get('Git-Tag-Info');
  const tagger = p.get('Git-Tag-Tagger');
  const dgit = p.get('Dgit');
  const facts: UploadFacts = {
    origin: upload.origin,
    dsc: basename(upload.dscPath),
    sha256: createHash('sha256').update(upload.dscBytes).digest('hex'),
    source: dsc.source,
    version: dsc.version,
    ...(info !== undefined ? { gitTagInfo: info } : {}),
    ...(tagger !== undefined ? { gitTagTagger: tagger } : {}),
    ...(dgit !== undefined ? { dgit } : {}),
  };

  let signedAt: Date | undefined;
  if (input.uploadKeyring === undefined) {
    reasons.push(
      reason(
        'KEYRING_UNAVAILABLE',
        `${input.uploadKeyringUnavailable ?? 'no upload keyring is configured'}: the .dsc signature by the tag2upload service cannot be checked`,
        'upload',
      ),
    );
  } else {
    let s;
    try {
      s = await checkDscSignature(upload.dscBytes, input.uploadKeyring, input.policy);
    } catch (e) {
      reasons.push(reason('KEYRING_UNAVAILABLE', `${input.uploadKeyring}: ${(e as Error).message}`, 'upload'));
    }
    if (s) {
      if (s.verified && s.signerFingerprint) facts.signer = s.signerFingerprint.toLowerCase();
      if (s.created) facts.signed = s.created.toISOString();
      if (s.ok) signedAt = s.created;
      else reasons.push(...s.reasons);
    }
  }

  if (dsc.source !== source.package || dsc.version !== source.version) {
    reasons.push(
      reason(
        'UPLOAD_NOT_FOR_TAG',
        `the upload is ${dsc.source} ${dsc.version}; the tag asks to upload ${source.package ?? '?'} ${source.version ?? '?'}`,
      ),
    );
  }
  if (info === undefined || tagger === undefined) {
    reasons.push(reason('GIT_TAG_INFO_MISSING', `the .dsc has no ${info === undefined ? 'Git-Tag-Info' : 'Git-Tag-Tagger'} field`));
  }
  // Parsed (tag= and fp= as lower-case hex) when the upload was read: a malformed one is UPLOAD_DSC_INVALID.
  const parsed = dsc.gitTagInfo;
  if (parsed) {
    if (parsed.tag !== tag.object)
      reasons.push(
        reason('TAG_OBJECT_MISMATCH', `Git-Tag-Info names tag object ${parsed.tag}; the tag ${tag.name} is object ${tag.object ?? '?'}`),
      );
    if (parsed.fp !== tag.signerFingerprint?.toLowerCase()) {
      reasons.push(
        reason(
          'TAG_SIGNER_MISMATCH',
          `Git-Tag-Info names signer ${parsed.fp}; the tag's signature was made by ${tag.signerFingerprint ?? '?'}`,
        ),
      );
    }
  }
  // Byte for byte: dgit copies the tagger header's bytes, whatever their encoding.
  if (dsc.gitTagTaggerBytes !== undefined && !sameBytes(dsc.gitTagTaggerBytes, taggerIdentBytes(tag))) {
    reasons.push(
      reason(
        'TAG_TAGGER_MISMATCH',
        `Git-Tag-Tagger is ${JSON.stringify(tagger)}${dsc.encoding === 'utf-8' ? '' : ` (bytes ${Buffer.from(dsc.gitTagTaggerBytes).toString('hex')})`}; the tag's tagger is ${JSON.stringify(tag.tagger ?? null)}${tag.taggerBytes ? ` (bytes ${tag.taggerBytes})` : ''}`,
      ),
    );
  }
  // The Dgit field (parsed when the upload was read): the dgit view commit, then what dopush names.
  // Spelled as dopush spells it, single spaces between the words.
  const want = `debian archive/debian/${mangleVersion(dsc.version)} ${DGIT_REPOS}/${dsc.source}`;
  const d = dsc.dgit;
  if (d === undefined || `${d.distro} ${d.tag} ${d.url}` !== want || dgit !== `${d.commit} ${want}`) {
    reasons.push(reason('DGIT_FIELD_MISMATCH', `Dgit is ${JSON.stringify(dgit?.slice(0, 300) ?? null)}; expected "<commit> ${want}"`));
  }
  return { facts, reasons, ...(signedAt ? { signedAt } : {}) };
}
