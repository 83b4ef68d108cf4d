// The registry of reason codes: every failing or noteworthy check adds one
// reason `{code, layer, message}`. Codes are stable (users and alerts key on
// them); `docs/reason-codes.md` lists them all and a test keeps it in step.

/**
 * The layers of docs/architecture.md §2, plus the stages that can make a
 * verdict undecidable, and the service's own machinery (its store and its
 * archive watcher), whose failures operators see in health, logs and metrics.
 */
export type Layer =
  'fetch' | 'authenticity' | 'metadata' | 'binding' | 'content' | 'bits' | 'upload' | 'sandbox' | 'transparency' | 'service';

/**
 * What a reason does to the verdict:
 * - `reject`: the tag should never have been uploaded (authenticity or metadata fails);
 * - `mismatch`: the upload differs from what the tag says;
 * - `unverifiable`: the verifier could not decide;
 * - `note`: reported, does not change the verdict (a policy set to `report`).
 */
export type Effect = 'reject' | 'mismatch' | 'unverifiable' | 'note';

/**
 * What an OpenPGP reason is about: the tag's signature (layer 1, made by an
 * uploader) or the upload's .dsc signature (layer 3, made by the tag2upload
 * service). One check makes both (src/authenticate/openpgp/), so one code
 * names one failure whatever was signed, and the subject says which.
 */
export type Subject = 'tag' | 'upload';

export interface SubjectInfo {
  readonly layer: Layer;
  readonly effect: Effect;
  /** One line: what it means. */
  readonly meaning: string;
  /** One line: what an operator should do. */
  readonly action: string;
}

export interface ReasonInfo extends SubjectInfo {
  /** For a code of the OpenPGP family: its layer, effect and meaning when the subject is the upload's .dsc. */
  readonly upload?: SubjectInfo;
}

const INVESTIGATE = 'Treat the tag as hostile until the maintainer explains it; do not trust the upload.';
/** For a difference between an authentic tag and its upload: the tag is not what failed. */
const SUSPECT_UPLOAD_PATH =
  "Do not trust the upload; the tag is not at fault. Suspect the upload path (the tag2upload service, its builder, or the archive): keep the upload and this report as evidence and tell the tag2upload service's operators.";
const RETRY = 'Retry later; if it persists, check the repository URL and the network path.';

export const REASONS = {
  // fetch: the verifier could not obtain the objects it must judge.
  UNSUPPORTED_URL: {
    layer: 'fetch',
    effect: 'unverifiable',
    meaning: 'The repository URL is not https:// (plain http is allowed only on loopback, when configured).',
    action: 'Use the https:// URL of the repository.',
  },
  FETCH_FAILED: {
    layer: 'fetch',
    effect: 'unverifiable',
    meaning: 'The repository could not be contacted or answered with an error.',
    action: RETRY,
  },
  FETCH_TIMEOUT: {
    layer: 'fetch',
    effect: 'unverifiable',
    meaning: 'Fetching took longer than the configured time limit.',
    action: 'Retry later, or raise fetch.timeoutMs if the repository is known to be slow.',
  },
  PACK_TOO_LARGE: {
    layer: 'fetch',
    effect: 'unverifiable',
    meaning: 'The server sent more than the configured maximum pack size.',
    action: 'Raise fetch.maxPackBytes if the package is known to be this large.',
  },
  PACK_INVALID: {
    layer: 'fetch',
    effect: 'unverifiable',
    meaning: "The pack the server sent is corrupt or fails git's strict object checks.",
    action: 'Retry; a persistent corrupt pack from a forge deserves investigation.',
  },
  TAG_NOT_FOUND: {
    layer: 'fetch',
    effect: 'unverifiable',
    meaning: 'The repository does not have the named tag.',
    action: 'Check the tag name and the repository; the tag may have been deleted.',
  },
  REPOSITORY_NOT_FOUND: {
    layer: 'fetch',
    effect: 'unverifiable',
    meaning:
      "Verifying by source and version (or by .dsc): no repository tried (the .dsc's Dgit URL, its Vcs-Git, Salsa's debian/SOURCE) has the tag object the upload's Git-Tag-Info names. When none of them could be read at all, the reason is the first failure's own code (FETCH_FAILED, UNSUPPORTED_URL, …).",
    action:
      'Give the repository that holds the tag with --repo (and --tag if it is not named as git-debpush names it); a tag moved or deleted since the upload deserves a question to the maintainer.',
  },
  OBJECT_MISSING: {
    layer: 'fetch',
    effect: 'unverifiable',
    meaning: 'An object the tag refers to (commit, tree, changelog, upstream tag) is not in the repository.',
    action: 'Check that the repository is complete (for a local path: not a partial or shallow clone missing it).',
  },
  UNSUPPORTED_OBJECT_FORMAT: {
    layer: 'fetch',
    effect: 'unverifiable',
    meaning: 'The repository uses an object format other than SHA-1 (for example sha256), which tag2upload does not support.',
    action: 'None: such a tag cannot be a tag2upload instruction today.',
  },
  LOCAL_REPO_INVALID: {
    layer: 'fetch',
    effect: 'unverifiable',
    meaning: 'The local path is not a readable git repository.',
    action: 'Point --repo at a git checkout or a bare repository.',
  },
  SANDBOX_FAILED: {
    layer: 'sandbox',
    effect: 'unverifiable',
    meaning: 'A sandboxed helper (git index-pack, git cat-file) failed to run.',
    action: 'Check that bubblewrap works on this host (user namespaces) and see the message for details.',
  },
  VERIFICATION_ABORTED: {
    layer: 'sandbox',
    effect: 'unverifiable',
    meaning:
      'The verification was stopped before it finished (the service shut down, or the job exceeded its time limit); its sandboxes were killed.',
    action: 'None: the service retries the job; a job that keeps hitting its time limit needs a larger jobTimeoutMs.',
  },
  JOB_TIME_LIMIT: {
    layer: 'sandbox',
    effect: 'unverifiable',
    meaning: "The verification's process ran past jobLimits.timeMs and was killed; the service kept answering meanwhile.",
    action:
      'Retried by the service; a job that always hits the limit on one tag deserves a look at that tag (a hostile one may be built to be slow).',
  },
  JOB_MEMORY_LIMIT: {
    layer: 'sandbox',
    effect: 'unverifiable',
    meaning: "The verification's process used more memory than jobLimits.heapMb or jobLimits.rssMb allow and was killed.",
    action: 'Look at the tag and upload: no real tag2upload input needs this much; raise the limits only for a known large package.',
  },
  JOB_PROCESS_FAILED: {
    layer: 'sandbox',
    effect: 'unverifiable',
    meaning: "The verification's process ended without a report (a crash, or a signal from outside).",
    action: 'Retried by the service; if it persists, see the log line with the process exit status and its last error output.',
  },
  SANDBOX_TIMEOUT: {
    layer: 'sandbox',
    effect: 'unverifiable',
    meaning: 'A sandboxed step exceeded its time limit and was killed.',
    action: RETRY,
  },
  WORK_QUOTA_EXCEEDED: {
    layer: 'sandbox',
    effect: 'unverifiable',
    meaning:
      "A sandboxed step filled its work directory's size limit (a tmpfs of a multiple of the inputs' size): an upload or tree that unpacks to far more than its size (a decompression bomb), or a package larger than the limit allows.",
    action: 'Investigate the upload; for an honest package this large, raise T2U_SANDBOX_WORK_FACTOR or T2U_SANDBOX_WORK_FLOOR.',
  },

  // authenticity: the tag's signature, the key, and the policy of docs/architecture.md §5.
  KEYRING_UNAVAILABLE: {
    layer: 'authenticity',
    effect: 'unverifiable',
    meaning: "Debian's keyrings could not be obtained (no network to the mirror and no cached copy), so no signature can be judged.",
    action: 'Restore access to the configured Debian mirror, or pass --keyring files explicitly.',
    upload: {
      layer: 'binding',
      effect: 'unverifiable',
      meaning:
        'No upload keyring (the tag2upload service key) is configured, installed, obtainable from the mirror or readable, so the .dsc signature cannot be judged.',
      action:
        'Restore access to the Debian mirror (debian-tag2upload-keyring 1.2 or later is obtained from debianKeyrings.mirror), pass --upload-keyring (/usr/share/keyrings/debian-tag2upload.pgp) or set uploadKeyring in the configuration.',
    },
  },
  KEYRING_STALE: {
    layer: 'authenticity',
    effect: 'note',
    meaning:
      "Debian's keyrings (debian-keyring, or debian-tag2upload-keyring for the upload keyring) could not be refreshed; a cached copy older than debianKeyrings.maxAgeHours was used.",
    action: 'Restore access to the configured Debian mirror; keys added or removed since the cached copy are not known.',
  },
  SHA1_COLLISION: {
    layer: 'authenticity',
    effect: 'reject',
    meaning: 'A fetched git object carries a SHA-1 collision attack (detected by sha1dc).',
    action: INVESTIGATE,
  },
  OBJECT_HASH_MISMATCH: {
    layer: 'authenticity',
    effect: 'reject',
    meaning: 'A git object does not hash to its object id.',
    action: INVESTIGATE,
  },
  TAG_OBJECT_MALFORMED: {
    layer: 'authenticity',
    effect: 'reject',
    meaning: "The tag object's headers are not a well-formed git tag (object, type, tag, tagger).",
    action: INVESTIGATE,
  },
  TAG_TOO_LARGE: {
    layer: 'authenticity',
    effect: 'unverifiable',
    meaning:
      'The tag object is larger than the verifier reads (1 MiB; git-debpush makes tags of a few KiB): it was not read, so nothing about it is judged.',
    action: 'Inspect the tag by hand: no tool of tag2upload makes a tag this large.',
  },
  NOT_ANNOTATED_TAG: {
    layer: 'authenticity',
    effect: 'reject',
    meaning: 'The ref names a commit (lightweight tag), not a signed tag object.',
    action: 'The maintainer must push a signed tag made by git-debpush.',
  },
  SIGNATURE_MISSING: {
    layer: 'authenticity',
    effect: 'reject',
    meaning: 'The tag carries no signature.',
    action: 'The maintainer must sign the tag (git-debpush does).',
    upload: {
      layer: 'binding',
      effect: 'mismatch',
      meaning: 'The .dsc is not clearsigned, but every tag2upload upload is signed by the service.',
      action: 'Check that the .dsc is the one from the archive; an unsigned .dsc cannot be bound to the service.',
    },
  },
  SIGNATURE_NOT_OPENPGP: {
    layer: 'authenticity',
    effect: 'reject',
    meaning: 'The tag is signed with SSH or X.509, which tag2upload does not accept.',
    action: "The maintainer must sign with an OpenPGP key in Debian's keyrings.",
  },
  SIGNATURE_VERSION_REJECTED: {
    layer: 'authenticity',
    effect: 'reject',
    meaning:
      "The tag's signature is a v6 (RFC 9580) signature. tag2upload's gpgv (GnuPG 2.4) cannot verify it, so tag2upload never uploads such a tag.",
    action: 'Sign the tag with a v4 key, as Debian keyrings hold.',
    upload: {
      layer: 'binding',
      effect: 'mismatch',
      meaning: "The .dsc's signature is a v6 (RFC 9580) signature; the tag2upload service signs with a v4 key.",
      action: SUSPECT_UPLOAD_PATH,
    },
  },
  SIGNATURE_VERSION_UNSUPPORTED: {
    layer: 'authenticity',
    effect: 'unverifiable',
    meaning:
      "The tag's signature is a v5 (LibrePGP) or v3 signature: tag2upload's gpgv verifies it, but the verifier cannot, so it cannot say whether the tag is authentic.",
    action: 'Check the signature by hand with gpgv and the keyrings; Debian keyrings hold v4 keys.',
    upload: {
      layer: 'binding',
      effect: 'mismatch',
      meaning: "The .dsc's signature is a v5 (LibrePGP) or v3 signature; the tag2upload service signs with a v4 key.",
      action: SUSPECT_UPLOAD_PATH,
    },
  },
  SIGNATURE_MALFORMED: {
    layer: 'authenticity',
    effect: 'reject',
    meaning: 'The signature block cannot be parsed as exactly one OpenPGP signature.',
    action: INVESTIGATE,
    upload: {
      layer: 'binding',
      effect: 'mismatch',
      meaning:
        "The .dsc's cleartext signature framework or signature block is malformed (not exactly one OpenPGP signature, or one without a creation time).",
      action: SUSPECT_UPLOAD_PATH,
    },
  },
  SIGNATURE_CLASS: {
    layer: 'authenticity',
    effect: 'reject',
    meaning: 'The signature is not of class 00 (binary document), the only class tag2upload accepts.',
    action: INVESTIGATE,
    upload: {
      layer: 'binding',
      effect: 'mismatch',
      meaning: "The .dsc's signature is not of class 01 (canonical text), the class of a cleartext signature.",
      action: SUSPECT_UPLOAD_PATH,
    },
  },
  SIGNATURE_INVALID: {
    layer: 'authenticity',
    effect: 'reject',
    meaning: "The signature does not verify over the tag's raw bytes: the tag was altered after signing, or forged.",
    action: INVESTIGATE,
    upload: {
      layer: 'binding',
      effect: 'mismatch',
      meaning:
        "The .dsc's signature does not verify over its signed text (or its Hash: header does not name the signature's digest): the .dsc was altered after signing, or forged.",
      action: SUSPECT_UPLOAD_PATH,
    },
  },
  KEY_UNKNOWN: {
    layer: 'authenticity',
    effect: 'reject',
    meaning: 'No key in the configured keyrings made this signature.',
    action: 'Check that the keyrings are current; otherwise the signer is not a Debian uploader.',
    upload: {
      layer: 'binding',
      effect: 'mismatch',
      meaning: 'No key in the upload keyring (the tag2upload service key) made the .dsc signature.',
      action: 'Check that the upload keyring is current (debian-tag2upload-keyring); otherwise the upload was not made by the service.',
    },
  },
  KEY_EXPIRED: {
    layer: 'authenticity',
    effect: 'reject',
    meaning: 'The signing key (or its primary key) had expired when the signature was made.',
    action: "The maintainer must extend the key's expiry in the keyring and re-tag.",
    upload: {
      layer: 'binding',
      effect: 'mismatch',
      meaning: 'The service key had expired when the .dsc was signed (gpgv still accepts such a signature).',
      action: 'Use a current upload keyring (debian-tag2upload-keyring 1.2 or later extends the key); otherwise investigate.',
    },
  },
  KEY_REVOKED: {
    layer: 'authenticity',
    effect: 'reject',
    meaning: 'The signing key (or its primary key) was revoked when the signature was made.',
    action: INVESTIGATE,
    upload: {
      layer: 'binding',
      effect: 'mismatch',
      meaning: 'The service key was revoked when the .dsc was signed.',
      action: SUSPECT_UPLOAD_PATH,
    },
  },
  KEY_NOT_YET_VALID: {
    layer: 'authenticity',
    effect: 'reject',
    meaning: 'The signature predates the creation of the key that made it.',
    action: INVESTIGATE,
    upload: {
      layer: 'binding',
      effect: 'mismatch',
      meaning: 'The .dsc signature predates the creation of the service key that made it.',
      action: SUSPECT_UPLOAD_PATH,
    },
  },
  KEY_NOT_SIGNING: {
    layer: 'authenticity',
    effect: 'reject',
    meaning: 'The key that made the signature is not certified for signing.',
    action: INVESTIGATE,
    upload: {
      layer: 'binding',
      effect: 'mismatch',
      meaning: 'The service key that made the .dsc signature is not certified for signing.',
      action: SUSPECT_UPLOAD_PATH,
    },
  },
  WEAK_DIGEST: {
    layer: 'authenticity',
    effect: 'reject',
    meaning: 'The signature uses a digest the policy rejects (SHA-1, MD5 or RIPEMD160 by default).',
    action: 'The maintainer must re-sign with SHA-256 or better (gpg: personal-digest-preferences SHA512).',
    upload: {
      layer: 'binding',
      effect: 'mismatch',
      meaning: 'The .dsc signature uses a digest the policy rejects (SHA-1, MD5 or RIPEMD160 by default).',
      action: SUSPECT_UPLOAD_PATH,
    },
  },
  WEAK_KEY: {
    layer: 'authenticity',
    effect: 'reject',
    meaning: 'The signing key is weak under the policy (RSA below the minimum size, DSA, ElGamal).',
    action: 'The maintainer must move to a stronger key.',
    upload: {
      layer: 'binding',
      effect: 'mismatch',
      meaning: 'The service key is weak under the policy (RSA below the minimum size, DSA, ElGamal).',
      action: SUSPECT_UPLOAD_PATH,
    },
  },
  SHA1_KEY_BINDING: {
    layer: 'authenticity',
    effect: 'reject',
    meaning:
      'The key\'s self-signature or subkey binding uses SHA-1 (an error when policy.sha1KeyBindings is "reject", a note when "report").',
    action: "The key owner should refresh the key's self-signatures with a modern digest.",
    upload: {
      layer: 'binding',
      effect: 'mismatch',
      meaning:
        'The service key\'s self-signature or subkey binding uses SHA-1 (an error when policy.sha1KeyBindings is "reject", a note when "report").',
      action: "Ask the service operators to refresh the key's self-signatures with a modern digest.",
    },
  },
  DM_NOT_AUTHORISED: {
    layer: 'authenticity',
    effect: 'reject',
    meaning: 'The signer is a Debian Maintainer whose dm.txt Allow: list does not include this package (or no dm.txt is configured).',
    action: 'A DD must grant the DM upload rights for the package (dcut dm), or a DD must upload.',
  },
  // The ledger of tag objects seen (docs/architecture.md §6). A fork copies its tags and a
  // maintainer may re-tag after a failed upload, so the two tag alarms do not
  // change the verdict of the tag judged now; two trees under one commit id
  // cannot happen without a SHA-1 collision, so that one rejects.
  TAG_REPLAYED: {
    layer: 'authenticity',
    effect: 'note',
    meaning: 'The same tag object was seen before in another repository (a fork, a mirror, or a replay).',
    action: 'Check that the other repository is a known fork or mirror of this package; otherwise investigate.',
  },
  TAG_MOVED: {
    layer: 'authenticity',
    effect: 'note',
    meaning: 'The tag name now names a different tag object than when it was seen before in this repository.',
    action: 'Ask the maintainer why the tag was replaced; compare both tag objects with what was uploaded.',
  },
  UPSTREAM_TREE_CHANGED: {
    layer: 'authenticity',
    effect: 'reject',
    meaning: 'The upstream commit id was seen before with a different tree: one of the two copies is forged.',
    action: INVESTIGATE,
  },

  // metadata: the tag as a tag2upload(5) instruction.
  TAG_NAME_INVALID: {
    layer: 'metadata',
    effect: 'reject',
    meaning: 'The tag name is not a DEP-14 debian/<version> name tag2upload accepts.',
    action: 'The maintainer must use git-debpush, which names the tag correctly.',
  },
  TAG_NAME_MISMATCH: {
    layer: 'metadata',
    effect: 'reject',
    meaning: 'The `tag` header inside the signed tag object differs from the ref name it was fetched under.',
    action: INVESTIGATE,
  },
  TAG_TARGET_NOT_COMMIT: {
    layer: 'metadata',
    effect: 'reject',
    meaning: 'The tag points at a tree, blob or another tag; tag2upload needs a commit.',
    action: 'The maintainer must tag the commit to upload.',
  },
  TAG_MESSAGE_MALFORMED: {
    layer: 'metadata',
    effect: 'reject',
    meaning: 'The tag message lacks the summary line and blank line that tag2upload(5) requires.',
    action: 'The maintainer must re-tag with git-debpush.',
  },
  TAG_LINE_TOO_LONG: {
    layer: 'metadata',
    effect: 'reject',
    meaning: "A line of the tag object exceeds tag2upload's limit of 900 characters.",
    action: 'The maintainer must re-tag with a shorter message.',
  },
  DGIT_ITEM_INVALID: {
    layer: 'metadata',
    effect: 'reject',
    meaning: 'A [dgit …] item is not of the form tag2upload accepts (unknown critical dgit info).',
    action: 'The maintainer must re-tag with a git-debpush that the service supports.',
  },
  DGIT_ITEM_UNKNOWN_CRITICAL: {
    layer: 'metadata',
    effect: 'reject',
    meaning: 'A [dgit …] item starting with `!` is not one tag2upload knows, so it must refuse the tag.',
    action: 'The maintainer must re-tag without the unsupported instruction.',
  },
  PLEASE_UPLOAD_MISSING: {
    layer: 'metadata',
    effect: 'reject',
    meaning: 'The tag does not contain the `please-upload` instruction.',
    action: 'None needed if the tag was not meant for tag2upload; an upload of it is unauthorised.',
  },
  SPLIT_MISSING: {
    layer: 'metadata',
    effect: 'reject',
    meaning: 'The tag does not contain the `split` item that tag2upload requires.',
    action: 'The maintainer must re-tag with git-debpush.',
  },
  DISTRO_MISSING: {
    layer: 'metadata',
    effect: 'reject',
    meaning: 'No `distro=debian` item: the tag is not an instruction to upload to Debian.',
    action: 'None needed if the tag was meant for another distribution; an upload of it to Debian is unauthorised.',
  },
  SOURCE_INVALID: {
    layer: 'metadata',
    effect: 'reject',
    meaning: 'The `source=` item is missing or is not a valid source package name.',
    action: 'The maintainer must re-tag with git-debpush.',
  },
  SOURCE_MISMATCH: {
    layer: 'metadata',
    effect: 'reject',
    meaning: 'The `source=` item differs from the package named in debian/changelog.',
    action: 'The maintainer must re-tag the right commit.',
  },
  VERSION_INVALID: {
    layer: 'metadata',
    effect: 'reject',
    meaning: 'The `version=` item is missing or is not a valid Debian version.',
    action: 'The maintainer must re-tag with git-debpush.',
  },
  VERSION_MISMATCH: {
    layer: 'metadata',
    effect: 'reject',
    meaning: 'The `version=` item differs from the version in the tag name.',
    action: 'The maintainer must re-tag with git-debpush.',
  },
  CHANGELOG_MISMATCH: {
    layer: 'metadata',
    effect: 'reject',
    meaning: "The version in debian/changelog at the tagged commit differs from the tag's version.",
    action: 'The maintainer must tag the commit whose changelog names the version.',
  },
  CHANGELOG_INVALID: {
    layer: 'metadata',
    effect: 'reject',
    meaning: 'The tagged commit has no readable debian/changelog, or its first entry cannot be parsed.',
    action: 'The maintainer must tag a commit with a valid debian/changelog.',
  },
  CHANGELOG_TOO_LARGE: {
    layer: 'metadata',
    effect: 'unverifiable',
    meaning:
      'debian/changelog at the tagged commit is larger than the verifier reads (64 MiB): it was not read, so the metadata is not judged.',
    action: 'Inspect the changelog by hand.',
  },
  QUILT_MODE_INVALID: {
    layer: 'metadata',
    effect: 'reject',
    meaning: 'The `--quilt=` item names a mode tag2upload does not know.',
    action: 'The maintainer must re-tag with a supported quilt mode.',
  },
  TAGGER_INVALID: {
    layer: 'metadata',
    effect: 'reject',
    meaning:
      'The tag has no single tagger header ending in `Name <address>` and a timestamp, which tag2upload needs (it mails the tagger and copies the identity into Git-Tag-Tagger).',
    action: 'The maintainer must set user.name and user.email in git and re-tag.',
  },
  SUITE_INVALID: {
    layer: 'metadata',
    effect: 'reject',
    meaning:
      'The distribution of the first debian/changelog entry is not one suite name tag2upload accepts (for example UNRELEASED, or several suites).',
    action: 'The maintainer must finalise the changelog entry (dch -r) and re-tag.',
  },
  UPSTREAM_INCOMPLETE: {
    layer: 'metadata',
    effect: 'reject',
    meaning: '`upstream=` and `upstream-tag=` must be given together (and are required for baredebian and with `!pristine-tar=`).',
    action: 'The maintainer must re-tag with git-debpush.',
  },
  UPSTREAM_INVALID: {
    layer: 'metadata',
    effect: 'reject',
    meaning: '`upstream=` is not a full commit id, or `upstream-tag=` is not a valid tag name.',
    action: 'The maintainer must re-tag with git-debpush.',
  },
  UPSTREAM_MISMATCH: {
    layer: 'metadata',
    effect: 'reject',
    meaning: 'The `upstream-tag=` tag does not resolve to the `upstream=` commit in the repository.',
    action: INVESTIGATE,
  },
  UPSTREAM_TAG_MISSING: {
    layer: 'fetch',
    effect: 'unverifiable',
    meaning: 'The repository does not have the `upstream-tag=` tag.',
    action: 'The maintainer must push the upstream tag (git-debpush does).',
  },

  // upload: obtaining the upload (.dsc and the files it lists). A file that does
  // not match its checksum, even one vouched for by a verified archive index, is
  // a failure to obtain the upload (transport, mirror or cache corruption), not
  // evidence about what tag2upload built: the archive's own record still names
  // the true bytes, and dpkg-source refuses the wrong ones. So: unverifiable.
  UPLOAD_NOT_FOUND: {
    layer: 'upload',
    effect: 'unverifiable',
    meaning: 'The .dsc, a file it lists, or the source version in the archive index could not be found.',
    action: 'Check the path, URL or source and version; a mirror may not carry the file (yet).',
  },
  UPLOAD_FETCH_FAILED: {
    layer: 'upload',
    effect: 'unverifiable',
    meaning: 'The mirror or server could not be contacted or answered with an error other than "not found".',
    action: RETRY,
  },
  UPLOAD_TIMEOUT: {
    layer: 'upload',
    effect: 'unverifiable',
    meaning: 'Obtaining the upload took longer than the configured time limit.',
    action: 'Retry later, or raise the upload time limit for large source packages.',
  },
  UPLOAD_TOO_LARGE: {
    layer: 'upload',
    effect: 'unverifiable',
    meaning: 'The .dsc, a file it lists, or the upload as a whole exceeds the configured size limit.',
    action: 'Raise the upload size limits if the package is known to be this large.',
  },
  UPLOAD_URL_INVALID: {
    layer: 'upload',
    effect: 'unverifiable',
    meaning:
      'The upload URL or mirror is not an https:// URL of a .dsc or mirror (plain http only on loopback, when allowed), carries credentials, a query or a fragment, or does not end in a plain .dsc file name dpkg allows (a decoded "/" or ".." is refused).',
    action: 'Use the https:// URL of the .dsc or of the mirror.',
  },
  UPLOAD_DSC_INVALID: {
    layer: 'upload',
    effect: 'unverifiable',
    meaning:
      'The .dsc is not a well-formed source control file: bad syntax, a missing field, an unsafe or duplicated file name, or Files and Checksums-* that disagree.',
    action: 'Check that the file is a complete .dsc; a malformed .dsc signed by the service deserves investigation.',
  },
  UPLOAD_CHECKSUM_MISMATCH: {
    layer: 'upload',
    effect: 'unverifiable',
    meaning: 'A file differs in size or SHA-256 from what the .dsc (or, for the .dsc, the verified archive index) says.',
    action: 'Retry from another mirror; a persistent mismatch on deb.debian.org deserves investigation.',
  },
  UPLOAD_INDEX_UNVERIFIED: {
    layer: 'upload',
    effect: 'unverifiable',
    meaning:
      "The archive's InRelease does not verify against the archive keyring, is for another suite or has expired, or its Sources index does not match it.",
    action: 'Check the mirror and the archive keyring (debian-archive-keyring); an expired Release can be allowed explicitly.',
  },
  UPLOAD_INDEX_EXPIRED: {
    layer: 'upload',
    effect: 'note',
    meaning:
      "The archive's InRelease that located the upload was past its Valid-Until and was accepted because expired Release files were allowed (--allow-expired-release, upload.allowExpiredRelease): a snapshot mirror, or a replayed index, would look the same.",
    action:
      'Use a current mirror where one is reachable; the .dsc is still checked against its own signature, so a replayed index can only offer an older upload, which the report names.',
  },

  // binding: the upload's .dsc is signed by the tag2upload service (its signature's
  // reasons are the OpenPGP family's above, with subject 'upload'), and names the tag.
  UPLOAD_NOT_FOR_TAG: {
    layer: 'binding',
    effect: 'mismatch',
    meaning: "The upload's Source or Version is not the package and version the tag asks to upload.",
    action: 'Check that the right upload was given; an archive upload of another version under this tag is an alarm.',
  },
  GIT_TAG_INFO_MISSING: {
    layer: 'binding',
    effect: 'mismatch',
    meaning:
      'The .dsc has no Git-Tag-Info field (or no Git-Tag-Tagger): it does not claim to come from a tag, but tag2upload always adds them.',
    action: 'Check that the upload is a tag2upload upload; otherwise investigate.',
  },
  TAG_OBJECT_MISMATCH: {
    layer: 'binding',
    effect: 'mismatch',
    meaning: 'Git-Tag-Info tag= names another tag object than the one fetched and authenticated: the upload was made from another tag.',
    action: SUSPECT_UPLOAD_PATH,
  },
  TAG_SIGNER_MISMATCH: {
    layer: 'binding',
    effect: 'mismatch',
    meaning: "Git-Tag-Info fp= is not the fingerprint of the key that made the tag's signature.",
    action: SUSPECT_UPLOAD_PATH,
  },
  TAG_TAGGER_MISMATCH: {
    layer: 'binding',
    effect: 'mismatch',
    meaning:
      "Git-Tag-Tagger is not the tag's tagger (name and address as in the tag's tagger header, compared byte for byte: dgit copies the header's bytes, UTF-8 or not).",
    action: SUSPECT_UPLOAD_PATH,
  },
  DGIT_FIELD_MISMATCH: {
    layer: 'binding',
    effect: 'mismatch',
    meaning:
      'The Dgit field is missing or malformed, or does not name distro debian, archive/debian/<version> and https://git.dgit.debian.org/<source>.',
    action: SUSPECT_UPLOAD_PATH,
  },
  // The archive watcher reads the tag from both copies before queueing: dgit-repos
  // (where tag2upload pushes it) and the maintainer's Vcs-Git (where git-debpush pushed it).
  TAG_COPIES_DIFFER: {
    layer: 'binding',
    effect: 'mismatch',
    meaning:
      "The tag named by an archive upload's Git-Tag-Info is missing from, or names another object in, dgit-repos or the package's Vcs-Git repository.",
    action:
      'Compare the two tag objects (git cat-file tag) and ask the maintainer; a tag that moved after the upload, or exists in one copy only, deserves an explanation.',
  },

  // content: the upload's unpacked content against the tag's tree.
  CONTENT_MISMATCH: {
    layer: 'content',
    effect: 'mismatch',
    meaning: "The upload, unpacked by dpkg-source -x, does not hold the tag's tree: files added, removed, changed or with other modes.",
    action: SUSPECT_UPLOAD_PATH,
  },
  ORIG_CONTENT_MISMATCH: {
    layer: 'content',
    effect: 'mismatch',
    meaning: "The orig's content (the upload unpacked without patches, debian/ set aside) is not the tree of the tag's upstream= commit.",
    action: SUSPECT_UPLOAD_PATH,
  },
  UPLOAD_UNPACK_FAILED: {
    layer: 'content',
    effect: 'mismatch',
    meaning: 'dpkg-source -x refused to unpack the upload (bad patch, bad tarball, unsafe path): the service never uploads such a package.',
    action: SUSPECT_UPLOAD_PATH,
  },
  UPLOAD_UNPACK_REFUSED: {
    layer: 'content',
    effect: 'unverifiable',
    meaning:
      "dpkg-source -x refuses to unpack the upload because a symlink under debian/ points outside the source tree (Dpkg::Path::check_directory_traversal), which dpkg-source -b and so tag2upload accept: the content layer cannot compare. When the rebuild from the tag reproduces the upload byte for byte, the upload is what the tag says and this is a note; the verdict is the bits layer's.",
    action:
      "None when the bits layer reproduced the upload; Debian's own tools will not unpack it either, which is the maintainer's to fix.",
  },
  CONTENT_UNSUPPORTED: {
    layer: 'content',
    effect: 'unverifiable',
    meaning: 'The quilt mode or source format is one the content layer does not know how to compare with the tag.',
    action: 'None: the content layer cannot be judged for this upload; a bug report with the tag helps.',
  },
  ORIG_EXPORT_ATTRIBUTES: {
    layer: 'content',
    effect: 'note',
    meaning:
      "The orig is git archive's rendering of the upstream commit: .gitattributes export-ignore/export-subst (honoured by dgit before 14) shaped it.",
    action: 'None; the orig was compared with what git archive makes of the upstream commit.',
  },
  ORIG_NOT_COMPARED: {
    layer: 'content',
    effect: 'note',
    meaning: 'The orig was not compared with an upstream commit (quilt mode baredebian+tarball: the tarball is the upstream source).',
    action: "None; the tag's debian/ directory was still compared.",
  },

  // bits: the source package rebuilt from the tag, as tag2upload's builder would, against the upload.
  RECONSTRUCTION_MISMATCH: {
    layer: 'bits',
    effect: 'mismatch',
    meaning:
      'A file named in the .dsc differs (size or SHA-256) from the one rebuilt from the tag under every builder profile tried, or one side lacks it.',
    action: SUSPECT_UPLOAD_PATH,
  },
  DSC_FIELD_MISMATCH: {
    layer: 'bits',
    effect: 'mismatch',
    meaning:
      "A field of the upload's .dsc body differs from the rebuilt .dsc (including Git-Tag-Info and Git-Tag-Tagger when rebuilt from the repository; Dgit has its own code, DSC_DGIT_FIELD_MISMATCH).",
    action: SUSPECT_UPLOAD_PATH,
  },
  DSC_DGIT_FIELD_MISMATCH: {
    layer: 'bits',
    effect: 'mismatch',
    meaning:
      "The upload's Dgit field differs from the rebuilt one. When only its commit differs, and every file and other field agrees, the verifier checks whether that commit is dgit-repos' pseudo-merge of the rebuilt dgit view (DGIT_VIEW_PSEUDOMERGE, DGIT_VIEW_MISMATCH, DGIT_VIEW_UNCHECKED).",
    action: SUSPECT_UPLOAD_PATH,
  },
  BUILD_FAILED: {
    layer: 'bits',
    effect: 'unverifiable',
    meaning:
      "tag2upload's build steps (fetch, git deborig, dgit build-source, the added fields) failed in the sandbox for the tag or tree.",
    action: 'See the message; a tag the real builder could build but the verifier cannot deserves a bug report.',
  },
  BUILD_TIMEOUT: {
    layer: 'bits',
    effect: 'unverifiable',
    meaning: 'A rebuild exceeded its time limit and was killed.',
    action: 'Retry, or raise the time limit for large packages.',
  },
  ROOTFS_UNAVAILABLE: {
    layer: 'bits',
    effect: 'unverifiable',
    meaning: "A builder profile's root filesystem is not cached and could not be built (mmdebstrap, network to the mirror).",
    action: 'Run `t2u-verify sandbox build --profile NAME` with network access to the Debian mirror.',
  },
  SOURCE_FORMAT_UNSUPPORTED: {
    layer: 'bits',
    effect: 'unverifiable',
    meaning: 'The source format, or the input, is one the reconstruction does not handle.',
    action: 'None: the bits layer cannot be judged for this upload.',
  },
  ORIG_TREE_MISMATCH: {
    layer: 'content',
    effect: 'mismatch',
    meaning: "dgit refused to build with the upload's orig: the orig and debian/patches do not give the tag's (or tree's) upstream files.",
    action: SUSPECT_UPLOAD_PATH,
  },
  DGIT_VIEW_NOT_REPRODUCIBLE: {
    layer: 'bits',
    effect: 'note',
    meaning:
      "The Dgit field's commit is dgit's own quilt-fixup commit (linear and smash modes), made with the builder's git identity and clock: only the service knows its id. Everything else must still be identical (verdict equivalent).",
    action: 'None; the files and the rest of the .dsc were compared byte for byte.',
  },
  CHECKOUT_MTIME_LEAK: {
    layer: 'bits',
    effect: 'note',
    meaning:
      "A rebuilt tarball differs from the upload's only in member mtimes, all between the tag's date (less a day of clock skew) and the changelog date: the changelog was dated after the builder's checkout, so dpkg-source's --clamp-mtime kept the checkout's mtimes (verdict equivalent).",
    action: "None; every other header byte and all content were compared. The uploader's clock was probably ahead of the builder's.",
  },
  UPSTREAM_SIGNATURE_INVALID: {
    layer: 'content',
    effect: 'mismatch',
    meaning:
      "An upstream signature the upload carries (SRC_UVER.orig*.tar.*.asc) is by a key of the tree's debian/upstream/signing-key.asc but does not verify over its orig (gpgv's BADSIG), or holds no signature at all: the orig or the .asc was changed after signing.",
    action: SUSPECT_UPLOAD_PATH,
  },
  UPSTREAM_SIGNATURE_GOOD: {
    layer: 'content',
    effect: 'note',
    meaning:
      "An upstream signature the upload carries verifies over its orig by a key of the tree's debian/upstream/signing-key.asc (gpgv); the note names the key and says whether the tree's copy of it has expired, and whether dpkg-source -b's own check (sqv or sop, stricter) warned, which does not stop tag2upload's builder.",
    action: 'None.',
  },
  UPSTREAM_SIGNATURE_UNVERIFIED: {
    layer: 'content',
    effect: 'note',
    meaning:
      "No signature in an upstream .asc the upload carries is by a key of the tree's debian/upstream/signing-key.asc: tag2upload's builder uploads it with a warning, and whether the orig is upstream's cannot be told from the tree.",
    action: "If the orig matters, fetch upstream's current key and check the .asc by hand.",
  },
  DGIT_VIEW_PSEUDOMERGE: {
    layer: 'bits',
    effect: 'note',
    meaning:
      "The Dgit field names dgit-repos' pseudo-merge of the rebuilt dgit view with the archive's history (dgit's splitbrain_pseudomerge): its tree and first parent are the rebuilt view's. The archive history itself is not rebuilt (verdict equivalent).",
    action: 'None; the files and the rest of the .dsc were compared byte for byte.',
  },
  DGIT_VIEW_UNCHECKED: {
    layer: 'bits',
    effect: 'unverifiable',
    meaning:
      "The Dgit field's commit is not the rebuilt dgit view, and dgit-repos could not be read to see whether it is a pseudo-merge over archive history.",
    action: 'Retry when dgit-repos (git.dgit.debian.org, or dgitReposUrl) is reachable.',
  },
  DGIT_VIEW_MISMATCH: {
    layer: 'bits',
    effect: 'mismatch',
    meaning:
      "The Dgit field's commit is neither the rebuilt dgit view nor a pseudo-merge of it (dgit-repos' archive/debian tag, its tree, parents or message say otherwise).",
    action: SUSPECT_UPLOAD_PATH,
  },
  ORIG_NOT_REBUILT: {
    layer: 'bits',
    effect: 'note',
    meaning:
      "An orig named in the .dsc was taken from the upload as the archive's existing orig (as the builder does), not rebuilt by git deborig: its bytes are not reproduced, only used.",
    action: 'The content layer must check the orig against the upstream commit.',
  },
  TOOLCHAINS_DISAGREE: {
    layer: 'bits',
    effect: 'unverifiable',
    meaning:
      "dgit's build and the verifier's own TypeScript implementation made different bytes from the same tag: one of them is wrong, so neither answer is trusted.",
    action: 'Investigate with both outputs (a bug in either toolchain, or a compromised builder image); report it.',
  },
  UPLOAD_SIGNATURE_NOT_CHECKED: {
    layer: 'binding',
    effect: 'note',
    meaning: '`reproduce` was given no --upload-keyring: the bits were compared, but nothing says the tag2upload service signed this .dsc.',
    action:
      "Give --upload-keyring (Debian's is /usr/share/keyrings/debian-tag2upload.pgp from debian-tag2upload-keyring 1.2 or later), or use `verify`, which checks it.",
  },
  TAG_FIELDS_NOT_CHECKED: {
    layer: 'bits',
    effect: 'note',
    meaning: 'Rebuilt from a plain tree without git: Dgit, Git-Tag-Info and Git-Tag-Tagger were taken from the upload, not derived.',
    action: 'Rebuild from the repository and tag to check them.',
  },
  // transparency: checking a verifier's log and attestations (docs/transparency.md).
  LOG_UNREACHABLE: {
    layer: 'transparency',
    effect: 'unverifiable',
    meaning: "The verifier's log (its checkpoint, a tile or an attestation) could not be fetched, or answered what no log answers.",
    action: 'Retry later; if it persists, ask the operator of that verifier.',
  },
  LOG_SIGNATURE_INVALID: {
    layer: 'transparency',
    effect: 'mismatch',
    meaning: "The log's checkpoint is not signed by the configured key, or is not a checkpoint of the key's log.",
    action: "Check the configured vkey against the one the operator publishes; if it is right, the log is not the operator's.",
  },
  LOG_COSIGNATURE_MISSING: {
    layer: 'transparency',
    effect: 'unverifiable',
    meaning:
      'The checkpoint lacks a valid cosignature by a witness the configuration requires: nothing shows that others see the same log.',
    action: 'Retry later (witnesses cosign each new checkpoint); if it persists, ask the operators of the log and the witness.',
  },
  LOG_TILES_INVALID: {
    layer: 'transparency',
    effect: 'mismatch',
    meaning: "The log's tiles or entries do not rebuild the root hash its signed checkpoint commits to.",
    action: 'Keep the checkpoint and the tiles as evidence; do not trust this log until its operator explains it.',
  },
  LOG_INCONSISTENT: {
    layer: 'transparency',
    effect: 'mismatch',
    meaning:
      'The log signed a checkpoint that does not extend one it signed before (history rewritten, or a split view): both signed checkpoints are the evidence.',
    action: "Publish both signed checkpoints; stop trusting this log's attestations until its operator explains them.",
  },
  ATTESTATION_MISSING: {
    layer: 'transparency',
    effect: 'unverifiable',
    meaning: 'The verifier has no attestation for this .dsc in its log.',
    action: 'Ask the verifier to verify the upload, or wait for it to do so.',
  },
  ATTESTATION_SIGNATURE_INVALID: {
    layer: 'transparency',
    effect: 'mismatch',
    meaning: "An attestation is not signed by the verifier's key, or is not a verdict statement about this .dsc.",
    action: 'Ignore it; ask the operator why the log holds it.',
  },
  ATTESTATION_NOT_IN_LOG: {
    layer: 'transparency',
    effect: 'mismatch',
    meaning: "An attestation's inclusion proof does not place it in the verifier's signed log: it was shown, not published.",
    action: 'Do not count it; keep it as evidence of the verifier showing unlogged verdicts.',
  },
  // service: the service's own machinery, seen by operators (the archive watcher's status, logs).
  STORE_FAILED: {
    layer: 'service',
    effect: 'unverifiable',
    meaning: "The service's store (SQLite or PostgreSQL) refused or failed a read or a write: nothing was lost, but the step was not done.",
    action: "Check the store (disk space, the database's log, its connection limit); the step is retried at the next poll.",
  },
  INTERNAL_ERROR: {
    layer: 'service',
    effect: 'unverifiable',
    meaning: 'An error the service has no reason code for: a bug, or a failure of the machine under it.',
    action: "Report it with the service's log line; the step is retried at the next poll.",
  },
} as const satisfies Record<string, ReasonInfo>;

export type ReasonCode = keyof typeof REASONS;

export interface Reason {
  readonly code: ReasonCode;
  readonly layer: Layer;
  /** Set on the OpenPGP family's reasons: whose signature the reason is about. */
  readonly subject?: Subject;
  readonly message: string;
}

/** The registry's entry for `code` about `subject` (the tag's entry when the code has no other). */
export function reasonInfo(code: ReasonCode, subject?: Subject): SubjectInfo {
  const info: ReasonInfo = REASONS[code];
  return subject === 'upload' && info.upload !== undefined ? info.upload : info;
}

/** What a reason does to the verdict. */
export function effectOf(r: Pick<Reason, 'code' | 'subject'>): Effect {
  return reasonInfo(r.code, r.subject).effect;
}

/** Builds a reason for `code`; the layer comes from the registry (the subject's entry, for the OpenPGP family). */
export function reason(code: ReasonCode, message: string, subject?: Subject): Reason {
  const { layer } = reasonInfo(code, subject);
  return subject === undefined ? { code, layer, message } : { code, layer, subject, message };
}

/** The same finding about another subject (the key judgement is made once, for whichever signature). */
export function withSubject(r: Reason, subject: Subject): Reason {
  return reason(r.code, r.message, subject);
}

/**
 * Codes of earlier versions, each the OpenPGP family's code about the upload
 * now: reports stored before are read with these (src/report/stored-report.ts).
 */
export const RENAMED_CODES: Readonly<Record<string, { readonly code: ReasonCode; readonly subject: Subject }>> = {
  UPLOAD_SIGNATURE_MISSING: { code: 'SIGNATURE_MISSING', subject: 'upload' },
  UPLOAD_SIGNATURE_MALFORMED: { code: 'SIGNATURE_MALFORMED', subject: 'upload' },
  UPLOAD_SIGNATURE_INVALID: { code: 'SIGNATURE_INVALID', subject: 'upload' },
  UPLOAD_SIGNER_UNKNOWN: { code: 'KEY_UNKNOWN', subject: 'upload' },
  UPLOAD_KEY_EXPIRED: { code: 'KEY_EXPIRED', subject: 'upload' },
  UPLOAD_KEY_REVOKED: { code: 'KEY_REVOKED', subject: 'upload' },
  // "could not sign at the signature time": now split into KEY_NOT_YET_VALID, KEY_NOT_SIGNING, WEAK_KEY and SHA1_KEY_BINDING.
  UPLOAD_KEY_UNUSABLE: { code: 'KEY_NOT_SIGNING', subject: 'upload' },
  UPLOAD_WEAK_DIGEST: { code: 'WEAK_DIGEST', subject: 'upload' },
  UPLOAD_KEYRING_UNAVAILABLE: { code: 'KEYRING_UNAVAILABLE', subject: 'upload' },
};
