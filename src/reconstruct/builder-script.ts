// The shell script and Perl helper that run inside the sandbox to build one
// tag the way tag2upload's builder does: dgit-infrastructure 12.16's
// dgit-repos-server (mode tag2upload9) steps tag2upload_fetch,
// tag2upload_obtain_origs and the build half of tag2upload_push, then the
// fields the oracle's push_mktags adds. Both are our own code, written into
// the sandbox's work directory; only their data comes from the repository.

import { TAKE_TAG_SH } from '../sandbox/index.js';

/**
 * `mver`: MVER is VER without its epoch, as `sed 's/^[0-9]*://'` makes it of
 * the one line VER is (what precedes the first colon goes with it when it is
 * all digits), without a process. A plain string: the shell's `${` is not a
 * template's.
 */
const MVER_SH = [
  'mver() {',
  '  case $VER in',
  '    *:*) case ${VER%%:*} in *[!0-9]*) MVER=$VER ;; *) MVER=${VER#*:} ;; esac ;;',
  '    *) MVER=$VER ;;',
  '  esac',
  '}',
].join('\n');

/**
 * `source_version FILE`: SRC and VER, the Source and Version dpkg-parsechangelog
 * gives for the changelog FILE, from one run of it (-S FIELD shows one field
 * a run): each its field's line, the first of that name (a continuation line
 * starts with a space); its failure is the script's. A plain string, as MVER_SH.
 */
const SOURCE_VERSION_SH = [
  'source_version() {',
  '  CL=$(dpkg-parsechangelog -l "$1")',
  '  SRC= VER= S= V=',
  '  while IFS= read -r line; do',
  '    case $line in',
  '      "Source: "*) [ -n "$S" ] || { S=1; SRC=${line#Source: }; } ;;',
  '      "Version: "*) [ -n "$V" ] || { V=1; VER=${line#Version: }; } ;;',
  '    esac',
  '  done <<EOF',
  '$CL',
  'EOF',
  '}',
].join('\n');

/**
 * `take_items` (BUILD_SCRIPT, T2U_WARM): the tag's items, from standard
 * input. A plain string, as MVER_SH.
 */
const TAKE_ITEMS_SH = [
  'take_items() {',
  '  while IFS= read -r L; do',
  '    case $L in',
  '      go) return 0 ;;',
  '      T2U_TAG=*) T2U_TAG=${L#*=} ;;',
  '      T2U_TAG_OBJECT=*) T2U_TAG_OBJECT=${L#*=} ;;',
  '      T2U_SOURCE=*) T2U_SOURCE=${L#*=} ;;',
  '      T2U_VERSION=*) T2U_VERSION=${L#*=} ;;',
  '      T2U_QUILT=*) T2U_QUILT=${L#*=} ;;',
  '      T2U_UPSTREAM_TAG=*) T2U_UPSTREAM_TAG=${L#*=} ;;',
  '      T2U_UPSTREAM=*) T2U_UPSTREAM=${L#*=} ;;',
  '      *) echo "not an item of the tag: $L" >&2; exit 65 ;;',
  '    esac',
  '  done',
  '  exit 69',
  '}',
].join('\n');

/**
 * Shared by both scripts: the umask, the playground, the `meta`/`fact`
 * writers (a step's start in nanoseconds since the epoch as `at.STEP`), and
 * `build_source`, dgit's build-source with the products the archive does not
 * keep left out (see NO_PRODUCT_SCRIPTS).
 */
const PRELUDE = String.raw`set -eu
umask "$T2U_UMASK"
mkdir -p /work/pg/work /work/pg/bpd /work/out
meta() { printf '%s=%s\n' "$1" "$2" >> /work/out/meta; }
fact() { printf 'step=%s\nat.%s=%s\n' "$1" "$1" "$(date +%s%N)" >> /work/out/meta; }
# build_source STEM ARGS...: dgit build-source in builder mode; STEM is
# SOURCE_VERSION-without-epoch, the name dgit gives the .buildinfo and
# .git.tar.xz (srcfn). dgit 17's build-source ends by unpacking the .dsc it
# made and comparing it with the dgit view (build_source_check_dsc_vs_git,
# dgit-distro.*.build-source-check-correspondence); 12.16's build-source does
# not, and neither does this rebuild under either dgit: the verifier's
# content layer makes that comparison on the upload itself, and the check
# writes nothing the products depend on. --threads-max=1: dpkg-source's xz
# at one thread's memory; Dpkg::Compression then passes -T+1 instead of -T0,
# "multi-threaded mode with a single thread", the same bytes (its own
# comment: -T1 would be the other format), and unxz -T1.
# dgit_build_source runs it and returns its status; when dgit was started
# early (DGH, dgit_start) it hands dgit its arguments and environment
# instead (dgit_go) and returns at once, the caller waiting for DGH.
# build_source's failure is the script's (exit 66, the log's end on
# standard error).
DGH=
dgit_build_source() {
  T2U_STEM=$1; export T2U_STEM; shift
  set -- -wn "-p$SRC" --build-products-dir=../bpd -cdgit-distro.debian.build-source-check-correspondence=false "$@" --tag2upload-builder-mode --split-view=always --new --trust-changelog \
    --dpkg-source:--threads-max=1 \
    --dpkg-genbuildinfo=/work/bin/no-buildinfo --dpkg-query=/work/bin/no-installed \
    --mini-git-tag-fsck=/work/bin/no-git-tarball --dpkg-genchanges=/work/bin/no-changes \
    build-source
  if [ -n "$DGH" ]; then
    dgit_go "$@"
    return 0
  fi
  dgit "$@" > /work/out/build.log 2>&1 3>&-
}
build_failed() {
  tail -n 40 /work/out/build.log >&2
  exit 66
}
build_source() {
  dgit_build_source "$@" || build_failed
}
${MVER_SH}
# given_origs: whether /src/origs has an entry that ls lists (not a dot file), without a process.
given_origs() {
  for f in /src/origs/*; do if [ -e "$f" ] || [ -L "$f" ]; then return 0; fi; done
  return 1
}
# add-fields.pl starts before dgit builds, in the background, so that perl
# has compiled Debian::Dgit and Dpkg::Control by the time the .dsc exists;
# niced, so that it takes a core dgit would use only when dgit leaves it.
# It waits for one line on the FIFO /tmp/t2u-go (made while the script goes
# on). fields_open: opens it, fd 4 for the helper to read (closed in the
# script once the helper has started) and fd 3 for the script alone to write
# (closed for dgit), so the helper reads end of file and stops when the
# script stops first. fields_go LINE: sends the line. fields_done: the
# helper's failure is the script's (its exit status, and what it wrote to
# standard error, kept in /tmp/t2u-fields.err).
mkfifo /tmp/t2u-go /tmp/t2u-deborig /tmp/t2u-dgit &
MKFIFO=$!
fifos_made() {
  [ -z "$MKFIFO" ] || wait "$MKFIFO"
  MKFIFO=
}
fields_open() {
  fifos_made
  exec 3<>/tmp/t2u-go 4</tmp/t2u-go
}
fields_go() {
  printf '%s\n' "$1" >&3
  exec 3>&-
}
fields_done() {
  wait "$AF" || { st=$?; cat /tmp/t2u-fields.err >&2; exit "$st"; }
  [ ! -s /tmp/t2u-fields.err ] || cat /tmp/t2u-fields.err >&2
}
cd /work/pg/work`;

/**
 * Inputs (environment): T2U_UMASK, T2U_REPO (the read-only source: a
 * repository or a bundle), T2U_UPSTREAM_OPT (the profile's dgit spelling),
 * and the tag's items (T2U_TAG, T2U_TAG_OBJECT, T2U_SOURCE, T2U_VERSION,
 * T2U_QUILT, T2U_UPSTREAM_TAG, T2U_UPSTREAM); with T2U_WARM, the items come
 * on standard input instead (take_items). Given origs are bound read-only in
 * /src/origs. Writes the build products to /work/pg/bpd and `key=value`
 * facts to /work/out/meta.
 */
export const BUILD_SCRIPT = String.raw`${PRELUDE}
# git deborig, when it will make the orig, starts compiling before the
# checkout (deborig_start): git runs it as a program of its exec path
# (GIT_EXEC_PATH set, the exec path first in PATH), and so does this, with
# T2uDeborigWait (DEBORIG_WAIT_PM) loaded first by -M: it loads the modules
# the program's use lines name and waits for its go block on fd 6, read
# from the FIFO /tmp/t2u-deborig, which only the script holds for writing
# (fd 5); deborig_go sends it, with the upstream commit as the program's
# argument, and deborig_drop ends it unused. A git-deborig that is no
# /usr/bin/perl program is run by git as it is, when its turn comes.
DBH= BESIDE=
deborig_start() {
  fifos_made
  exec 5<>/tmp/t2u-deborig 6</tmp/t2u-deborig
  (
    GIT_EXEC_PATH=$(git --exec-path) && PATH=$GIT_EXEC_PATH:$PATH && export GIT_EXEC_PATH PATH       && DB=$(command -v git-deborig) && IFS= read -r L < "$DB" && [ "$L" = '#!/usr/bin/perl' ]       || { : > /tmp/t2u-deborig-plain; exit 0; }
    exec /usr/bin/perl -I/work/perl5 -MT2uDeborigWait "$DB" > /dev/null
  ) 2> /tmp/t2u-deborig.err 5>&- 8>&- &
  DBH=$!
  exec 6<&-
}
# deborig_go: lets it run on the upstream commit. deborig_end: waits for it;
# its status is git deborig's, and what it wrote to standard error is the
# script's. deborig_drop: it was started for nothing (the tag names no
# upstream commit): end of file on its FIFO, and it exits.
deborig_go() {
  printf 'go 1\narg:%s\n' "$UC" >&5
  exec 5>&-
}
deborig_end() {
  wait "$DBH" || { st=$?; cat /tmp/t2u-deborig.err >&2; return "$st"; }
  [ ! -s /tmp/t2u-deborig.err ] || cat /tmp/t2u-deborig.err >&2
  [ ! -e /tmp/t2u-deborig-plain ] || git deborig "$UC" > /dev/null
}
deborig_drop() {
  exec 5>&-
  wait "$DBH" || :
  DBH=
}
deborig_run() {
  deborig_go
  deborig_end || exit $?
}
# dgit_start: dgit compiles now, and runs from the build step on
# (T2U_EARLY, small uploads only), as perl runs a #!/usr/bin/perl program,
# with T2uDgitWait (DGIT_WAIT_PM) loaded first by -M: its INIT block, which
# perl runs once the program is compiled and before any of it runs, waits
# for its go block on fd 9, read from the FIFO /tmp/t2u-dgit, which only the
# script holds for writing (fd 8): dgit_go sends it, with dgit's arguments
# and what its environment lacks. At end of file the build stopped first,
# and it exits without running anything of dgit. A dgit that is no
# /usr/bin/perl program runs as it is, when its turn comes.
dgit_start() {
  DGP=$(command -v dgit) && IFS= read -r L < "$DGP" && case $L in '#!/usr/bin/perl' | '#!/usr/bin/perl '*) true ;; *) false ;; esac || return 0
  fifos_made
  exec 8<>/tmp/t2u-dgit
  /usr/bin/perl -I/work/perl5 -MT2uDgitWait "$DGP" > /work/out/build.log 2>&1 9</tmp/t2u-dgit 8>&- 5>&- 3>&- &
  DGH=$!
}
# dgit_go ARGS...: dgit's whole argument list, and T2U_STEM (the
# no-product programs read it) and, beside git deborig, the PATH that
# holds dpkg-parsechangelog back (ORIGS_WAIT_SH): "go N", then N lines,
# each "arg:" or "env:NAME=" and its value (none has a newline: the host
# refuses such an item, build.ts itemsOfTag).
dgit_go() {
  N=$(( $# + 1 ))
  [ -z "$BESIDE" ] || N=$(( N + 1 ))
  {
    printf 'go %s\nenv:T2U_STEM=%s\n' "$N" "$T2U_STEM"
    [ -z "$BESIDE" ] || printf 'env:PATH=%s\n' "/work/origs-wait:$PATH"
    printf 'arg:%s\n' "$@"
  } >&8
  exec 8>&-
}
# take_items: a warm build (T2U_WARM) was started before the tag was
# authenticated, to compile dgit and git deborig meanwhile (build.ts
# warmBuild); the tag's items come on standard input once it was, one
# NAME=VALUE line each, then "go". At end of input without it the build was
# not wanted, and the script exits 69 having read nothing of the source.
${TAKE_ITEMS_SH}
if [ -n "$T2U_WARM" ]; then
  [ -z "$T2U_WARM_DEBORIG" ] || given_origs || deborig_start
  dgit_start
  T2U_TAG= T2U_TAG_OBJECT= T2U_SOURCE= T2U_VERSION= T2U_QUILT= T2U_UPSTREAM_TAG= T2U_UPSTREAM=
  take_items
  meta warm 1
fi
fact init
if [ -z "$DBH" ] && ! given_origs && [ -n "$T2U_UPSTREAM" ]; then
  deborig_start
elif [ -n "$DBH" ] && [ -z "$T2U_UPSTREAM" ]; then
  deborig_drop
fi
# Beside dgit (T2U_EARLY, small uploads only: their wall time is
# dgit's start plus git deborig's, and git deborig's xz would otherwise meet
# dgit's in memory): git deborig runs while dgit starts, and dgit waits for
# it at its first dpkg-parsechangelog. dgit learns the version, without
# which it can name no orig, from that run (build_or_push_prep_early, the
# first thing build-source does, in dgit 12 and 17); before it, dgit only
# reads its options and git's configuration, while git deborig swaps
# .git/info/attributes for its own during git archive. The dpkg-parsechangelog
# first in dgit's PATH (ORIGS_WAIT_SH, /work/origs-wait) takes a shared lock
# on /tmp/t2u-origs.lock, which the script holds (fd 7) until git deborig has
# ended, then runs the real one if /tmp/t2u-origs.status says ok. It leaves
# /tmp/t2u-origs.waited: a dgit that never ran it was not held back, and the
# build is not trusted (exit 68: the host builds again, git deborig first).
origs_hold() {
  : > /tmp/t2u-origs.status
  exec 7> /tmp/t2u-origs.lock
  flock -x 7
}
origs_release() {
  printf '%s\n' "$1" > /tmp/t2u-origs.status
  flock -u 7
  exec 7>&-
}
# The tag's items, as the host read them with the verifier's one tag parser
# (build.ts itemsOfTag); the init step checks below that the repository's
# tag is the very object they were read from.
SRC=$T2U_SOURCE; VER=$T2U_VERSION; QUILT=$T2U_QUILT; UT=$T2U_UPSTREAM_TAG; UC=$T2U_UPSTREAM
[ -n "$SRC" ] && [ -n "$VER" ] || { echo "the tag has no source= or version= item" >&2; exit 65; }
mver
DSC=$SRC'_'$MVER.dsc
# tag2upload_push, build half (cmd_push_source: build_check_quilt_splitbrain,
# build_source); -d debian and --since-version=_ stand for what the service
# learns from the archive; --dgit-view-save keeps the split-brain view that
# dopush names in the Dgit field.
set -- -d debian --since-version=_
if [ -n "$QUILT" ]; then
  set -- "$@" "--quilt=$QUILT"
  case "$QUILT" in *baredebian*) set -- "$@" "--upstream-commitish=refs/tags/$UT";; esac
fi
[ -z "$UT" ] || set -- "$@" "$T2U_UPSTREAM_OPT=$UT"
[ -z "$UC" ] || set -- "$@" "$T2U_UPSTREAM_OPT-commit=$UC"
set -- "$SRC"_"$MVER" "$@" --dgit-view-save=refs/heads/t2u-dgit-view
# A small upload (T2U_EARLY): dgit is compiled while the tag is checked
# out (a warm build's already is). When git deborig makes the orig, it runs
# beside dgit's start (BESIDE, above).
[ -z "$T2U_EARLY" ] || [ -z "$DBH" ] || BESIDE=1
[ -z "$T2U_EARLY" ] || [ -n "$DGH" ] || dgit_start
# tag2upload_fetch: git init; dgit setup-gitattributes (neutralises in-tree
# .gitattributes through .git/info/attributes); fetch the tag (and the
# upstream tag) without other tags; check the tag out.
dg() { dgit -wn "-p$SRC" --build-products-dir=../bpd "$@"; }
git init -q
# take_tag NAME: refs/tags/NAME of the source, shared, not fetched (src/sandbox/take-tag.ts).
${TAKE_TAG_SH}
take_tag "$T2U_TAG"
# The ref's type and object in one git: an annotated tag, and the very object
# whose [dgit ...] items the verifier's one tag parser (interpret/tag-message.ts,
# dgit-repos-server's tag2upload_parsetag: only body lines) read.
TT=$(printf 'refs/tags/%s\n' "$T2U_TAG" | git cat-file --batch-check='%(objecttype) %(objectname)')
case $TT in
  "tag $T2U_TAG_OBJECT") ;;
  "tag "*) echo "refs/tags/$T2U_TAG is not the tag object whose items were read" >&2; exit 65 ;;
  *) echo "refs/tags/$T2U_TAG is not an annotated tag" >&2; exit 65 ;;
esac
git cat-file tag "$T2U_TAG_OBJECT" > /work/out/tag.raw
meta source "$SRC"; meta version "$VER"; meta quilt "$QUILT"; meta upstreamTag "$UT"; meta upstreamCommit "$UC"
# /work/gitattributes: what this rootfs's dgit setup-gitattributes writes
# into a fresh repository (src/reconstruct/gitattributes.ts).
if [ -f /work/gitattributes ]; then cp /work/gitattributes .git/info/attributes; else dg setup-gitattributes >/dev/null; fi
[ -z "$UT" ] || take_tag "$UT"
git checkout -q "refs/tags/$T2U_TAG"
fact origs
# tag2upload_obtain_origs: the archive's origs when it has them, else git deborig.
if given_origs; then
  # Copied from their read-only binding: the one copy of them this build makes.
  cp /src/origs/* ../bpd/
  meta origs given
elif [ -n "$UC" ]; then
  [ "$(git rev-parse "refs/tags/$UT^{commit}")" = "$UC" ] || { echo "upstream-tag $UT is not upstream=$UC" >&2; exit 65; }
  if [ -n "$BESIDE" ]; then
    origs_hold
    deborig_go
  else
    deborig_run
    meta origs deborig
  fi
else
  meta origs none
fi
fact build
# What the fields step takes from the tag object alone, worked out while dgit
# builds (mostly on one core), and add-fields.pl started; failures wait for
# the fields step (fields_done), as if they had happened there.
# Git-Tag-Info fp=: the key that made the signature (gpgv's VALIDSIG), which
# the signature's hashed Issuer Fingerprint subpacket names; a subkey when a
# subkey signed. Authenticity is checked elsewhere (layer 1).
# tag2upload_parsetag's $t2u_tagger: the tagger header up to the angle-addr.
# The tag's date: where the window of a checkout mtime leaking past
# dpkg-source's --clamp-mtime begins.
fields_open
(
  sed -n '/^-----BEGIN PGP SIGNATURE-----/,$p' /work/out/tag.raw > /work/out/tag.sig
  FPR=$(GNUPGHOME=/tmp/gnupg-list gpg --batch --list-packets /work/out/tag.sig 2>/dev/null \
    | sed -n 's/^[[:space:]]*hashed subpkt 33 len [0-9]* (issuer fpr v[0-9] \([0-9A-Fa-f]*\))$/\1/p' | head -n 1)
  [ -n "$FPR" ] || { echo "the tag's signature names no issuer fingerprint" >&2; exit 67; }
  TAGGER=$(perl -ne 'if (/^tagger ([^\n\r]+ <[^<>\s]+>) \d+ [-+]\d+$/) { print $1; exit } exit 1 if /^$/' /work/out/tag.raw) \
    || { echo "the tag has no usable tagger header" >&2; exit 65; }
  printf 'fingerprint=%s\ntaggerTime=%s\n' "$FPR" "$(sed -n '/^$/q; s/^tagger .* \([0-9][0-9]*\) [-+][0-9][0-9][0-9][0-9]$/\1/p' /work/out/tag.raw)" > /tmp/t2u-tag-meta
  exec nice -n 10 perl /work/add-fields.pl "../bpd/$DSC" "$SRC" "$VER" "$T2U_TAG_OBJECT" "$FPR" "$TAGGER" <&4 4<&-
) 2> /tmp/t2u-fields.err 3>&- 7>&- 8>&- &
AF=$!
exec 4<&-
if [ -n "$DGH" ]; then
  dgit_build_source "$@"
  BS=$DGH
  meta dgitEarly 1
elif [ -n "$BESIDE" ]; then
  (
    PATH=/work/origs-wait:$PATH
    export PATH
    dgit_build_source "$@"
  ) 7>&- &
  BS=$!
fi
if [ -n "$BESIDE" ]; then
  if deborig_end; then
    origs_release ok
    meta origs deborig
    meta deborigBeside 1
    BST=0
    wait "$BS" || BST=$?
    [ -e /tmp/t2u-origs.waited ] || { echo "dgit did not wait for git deborig" >&2; exit 68; }
    [ "$BST" -eq 0 ] || build_failed
  else
    st=$?
    origs_release failed
    wait "$BS" || :
    # git deborig's failure is the origs step's, as when it runs first.
    printf 'step=origs\n' >> /work/out/meta
    exit "$st"
  fi
elif [ -n "$DGH" ]; then
  wait "$DGH" || build_failed
else
  build_source "$@"
fi
fact fields
# dopush: the dgit view is the split-brain cache's commit for quilt formats,
# HEAD otherwise (splitbrain_pseudomerge returns it unchanged for a package
# new to the archive).
HEAD=$(git rev-parse -q --verify refs/heads/t2u-dgit-view || git rev-parse HEAD)
fields_go "$HEAD"
# dgit's commit_admin ("Commit Debian 3.0 (quilt) metadata", linear and
# smash modes) commits in the dgit view with the builder's own git identity
# and clock, unlike quiltify_splitting, which takes them from the changelog.
if git log -1 --format=%B "$HEAD" | grep -q '^\[dgit ([^)]*) quilt-fixup\]$'; then meta dgitViewBuilderCommit 1; fi
meta dgitViewTree "$(git rev-parse "$HEAD^{tree}")"
fields_done
while IFS= read -r line; do printf '%s\n' "$line"; done < /tmp/t2u-tag-meta >> /work/out/meta
meta dsc "$DSC"; meta tagObject "$T2U_TAG_OBJECT"; meta dgitView "$HEAD"
fact done
`;

/**
 * A plain tree (dpkg-source -x) turned into what the tag's checkout would
 * have been, then built the same way. Inputs (environment): T2U_UMASK,
 * T2U_TREE (read-only), the upload's Dgit, Git-Tag-Info and Git-Tag-Tagger in
 * T2U_FIELD_DGIT, T2U_FIELD_INFO, T2U_FIELD_TAGGER_HEX (the tagger's bytes in hex; empty: not added).
 */
export const TREE_SCRIPT = String.raw`${PRELUDE}
fact init
${SOURCE_VERSION_SH}
source_version "$T2U_TREE/debian/changelog"
meta source "$SRC"; meta version "$VER"
mver
DSC=$SRC'_'$MVER.dsc
dg() { dgit -wn "-p$SRC" --build-products-dir=../bpd "$@"; }
git init -q
# Before anything is added: in-tree .gitattributes must not filter the files.
if [ -f /work/gitattributes ]; then cp /work/gitattributes .git/info/attributes; else dg setup-gitattributes >/dev/null; fi
# dpkg-source -x leaves its quilt state in .pc/ (patches applied); with no
# .pc/applied-patches the patches were not applied (--skip-patches).
cp -R "$T2U_TREE/." .
QUILT=
FROM_PC=
if [ -f .pc/applied-patches ]; then
  FROM_PC=1
  # Applied: built as --quilt=linear (dgit finds the patches already there).
  # But a patch may create, delete or change a symlink or a file's mode,
  # which linear cannot represent as a patch (dgit's
  # quiltify_trees_differ: "cannot represent change"); the tag then had the
  # patches unapplied (gbp, unapplied), as tag2upload requires, and so does
  # the rebuild: dpkg's own Dpkg::Source::Quilt pops them with the backups
  # dpkg-source -x kept in .pc/, and the tree is built as --quilt=gbp.
  QUILT=linear
  mv .pc /work/pc
  git add -A -f
  APPLIED=$(git write-tree)
  mv /work/pc .pc
  perl -MDpkg::Source::Quilt -e 'my $q = Dpkg::Source::Quilt->new("."); $q->pop() while defined $q->top();'
  rm -rf .pc
  git add -A -f
  UNAPPLIED=$(git write-tree)
  # Outside debian/, a path that is a symlink (120000) or no plain file on
  # either side (git's raw format ":OLD NEW ..."; 000000 is absent); changes
  # between 100644 and 100755, creations and deletions of plain files are
  # what linear represents.
  if git diff-tree -r --raw --no-renames "$UNAPPLIED" "$APPLIED" -- . ':(exclude)debian' \
      | awk '{ o = substr($1, 2); n = $2; for (i = 0; i < 2; i++) { m = i ? n : o; if (m != "000000" && m != "100644" && m != "100755") bad = 1 } } END { exit bad ? 0 : 1 }'; then
    QUILT=gbp
    git read-tree "$UNAPPLIED"
  else
    git read-tree "$APPLIED"
  fi
elif [ -s debian/patches/series ]; then
  QUILT=gbp
fi
rm -rf .pc
meta quilt "$QUILT"
# What a checkout makes: every file through git (-f: .gitignore'd files are
# in the package too), then written afresh, so modes are git's (0644 or 0755
# under umask 022) and mtimes the checkout's (clamped to the changelog date
# by dpkg-source's tar).
[ -n "$FROM_PC" ] || git add -A -f
git commit -q --no-verify -m tree
# dgit's builder mode reads (and keeps) the DEP-14 tag of the version it builds.
git tag -a -m tree "debian/$(printf '%s' "$VER" | tr ':~' '%_')"
find . -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
git reset -q --hard
fact origs
if given_origs; then cp /src/origs/* ../bpd/; meta origs given; else meta origs none; fi
fact build
set -- -d debian --since-version=_
[ -z "$QUILT" ] || set -- "$@" "--quilt=$QUILT"
# add-fields.pl, started to compile while dgit builds (fields_done).
fields_open
nice -n 10 perl /work/add-fields.pl --verbatim "../bpd/$DSC" "$T2U_FIELD_DGIT" "$T2U_FIELD_INFO" "$T2U_FIELD_TAGGER_HEX" <&4 4<&- 3>&- 2> /tmp/t2u-fields.err &
AF=$!
exec 4<&-
build_source "$SRC"_"$MVER" "$@"
fact fields
meta dsc "$DSC"
fields_go go
fields_done
fact done
`;

/**
 * The fields tag2upload adds to the .dsc, by the code path of dgit 12.16's
 * push_mktags: parsed with Debian::Dgit::parsecontrol (a
 * Dpkg::Control::Hash), `Dgit` set, then the --dsc-control-add fields of
 * dgit-repos-server's tag2upload_push in sorted key order (Git-Tag-Info,
 * Git-Tag-Tagger), then saved. dgit 17 keeps parsecontrol in Debian::Dgit.
 */
export const ADD_FIELDS_PL = String.raw`use strict;
use warnings;
use Debian::Dgit qw(parsecontrol debiantag_new);
# Started before the build: one line on standard input says the .dsc is
# there (and, for a tag, names the dgit view); at end of input without one
# the build stopped first, and nothing is done.
my $go = <STDIN>;
exit 1 unless defined $go && $go =~ s/\n\z//;
my ($dscfn, $dgit, %control_add);
if (@ARGV && $ARGV[0] eq '--verbatim') {
  # A plain tree: the upload's own values, added by the same code path.
  (undef, $dscfn, $dgit, my $info, my $taggerhex) = @ARGV;
  die "usage: add-fields.pl --verbatim DSC DGIT GIT-TAG-INFO GIT-TAG-TAGGER-HEX < GO-LINE\n" unless defined $taggerhex;
  $control_add{'Git-Tag-Info'} = $info if length $info;
  # The tagger's bytes, whatever they are, as dgit copies them from the tag.
  $control_add{'Git-Tag-Tagger'} = pack('H*', $taggerhex) if length $taggerhex;
} else {
  my ($package, $version, $tagval, $tagfp, $tagger);
  ($dscfn, $package, $version, $tagval, $tagfp, $tagger) = @ARGV;
  die "usage: add-fields.pl DSC SOURCE VERSION TAG-OBJECT FP TAGGER < DGIT-VIEW-LINE\n" unless defined $tagger;
  my $head = $go;
  # dgit-repos-server tag2upload_push: "Downcase it for display consistency".
  $tagfp = lc $tagfp;
  %control_add = ('Git-Tag-Tagger' => $tagger, 'Git-Tag-Info' => "tag=$tagval fp=$tagfp");
  # dgit's default dgit-distro.debian.git-url, with git-url-suffix ''.
  $dgit = join ' ', $head, 'debian', debiantag_new($version, 'debian'), "https://git.dgit.debian.org/$package";
}
my $dsc = parsecontrol($dscfn, 'source package');
$dsc->{Dgit} = $dgit if length $dgit;
foreach my $field (sort keys %control_add) {
  die "dsc already contains field $field\n" if exists $dsc->{$field};
  $dsc->{$field} = $control_add{$field};
}
$dsc->save("$dscfn.tmp") or die "$dscfn.tmp: $!\n";
rename "$dscfn.tmp", $dscfn or die "$dscfn: $!\n";
`;

/**
 * `take_go`, in each waiting module: reads the go block the script sends
 * on fd FD ("go N", then N lines: "arg:VALUE", the program's arguments in
 * order, or "env:NAME=VALUE"), sets @ARGV and those variables, and returns
 * true; false at end of file (the build stopped first) or on anything else.
 */
function takeGoPl(fd: number): string {
  return String.raw`sub take_go {
  open my $go, '<&=', ${fd} or return 0;
  my $head = <$go>;
  return 0 unless defined $head && $head =~ /\Ago (\d{1,4})\n\z/;
  my (@argv, %env);
  for (1 .. $1) {
    my $l = <$go>;
    return 0 unless defined $l && $l =~ s/\n\z//;
    if ($l =~ /\Aarg:(.*)\z/s) { push @argv, $1 }
    elsif ($l =~ /\Aenv:([A-Za-z_][A-Za-z0-9_]*)=(.*)\z/s) { $env{$1} = $2 }
    else { return 0 }
  }
  close $go;
  @ARGV = @argv;
  $ENV{$_} = $env{$_} for keys %env;
  return 1;
}`;
}

/**
 * T2uDeborigWait.pm, loaded by `perl -MT2uDeborigWait` before git-deborig is
 * compiled (BUILD_SCRIPT, deborig_start): it loads the modules the program's
 * own `use` lines name (one that fails is left to the program's `use` to
 * report), then waits for its go block on fd 6 (take_go: the upstream
 * commit, its one argument); at end of file the build stopped first, or
 * did not need it, and it exits. The program then runs as it would under
 * git, its messages and exit status its own.
 */
export const DEBORIG_WAIT_PM = String.raw`package T2uDeborigWait;
use strict;
use warnings;
if (open my $fh, '<', $0) {
  while (my $l = <$fh>) {
    next unless $l =~ /^use ([A-Za-z][\w:]*)/;
    (my $file = "$1.pm") =~ s{::}{/}g;
    eval { require $file };
  }
  close $fh;
}
${takeGoPl(6)}
take_go() or exit 1;
1;
`;

/**
 * T2uDgitWait.pm, loaded by `perl -MT2uDgitWait` before dgit is compiled
 * (BUILD_SCRIPT, dgit_start): its INIT block, which perl runs once the
 * program is compiled and before any of it runs, waits for its go block on
 * fd 9 (take_go: dgit's arguments, T2U_STEM, and the PATH beside git
 * deborig). At end of file the build stopped first: it exits at once,
 * without dgit's END blocks (nothing of dgit has run). Then dgit runs as it
 * would have been started with those arguments and that environment, in the
 * directory it was started in, its messages and exit status its own:
 * nothing of dgit (12.16, 17) reads its arguments or environment before
 * its main program runs.
 */
export const DGIT_WAIT_PM = String.raw`package T2uDgitWait;
use strict;
use warnings;
use POSIX ();
${takeGoPl(9)}
INIT {
  take_go() or POSIX::_exit(1);
}
1;
`;

/**
 * /work/origs-wait/dpkg-parsechangelog, first in dgit's PATH when git deborig
 * runs beside dgit's start (BUILD_SCRIPT, origs_hold): it waits until the
 * script's origs step has ended, then is the real dpkg-parsechangelog, or
 * fails if that step failed. It leaves /tmp/t2u-origs.waited, which the
 * script checks after dgit.
 */
export const ORIGS_WAIT_SH = String.raw`#!/bin/sh
: > /tmp/t2u-origs.waited
exec 8< /tmp/t2u-origs.lock
flock -s 8
exec 8<&-
IFS= read -r S < /tmp/t2u-origs.status || S=
[ "$S" = ok ] || { echo "dpkg-parsechangelog: not run: the origs step failed" >&2; exit 1; }
exec /usr/bin/dpkg-parsechangelog "$@"
`;

/**
 * Stand-ins for the four programs dgit's builder mode runs after
 * `dpkg-source -b` has written the .dsc and every file it names
 * (build_source in dgit 12.16 and 17: dpkg-genbuildinfo, dpkg-query for the
 * buildinfo's Installed-Build-Depends, `mini-git-tag-fsck --prepare` for the
 * SRC_VER.git.tar.xz, dpkg-genchanges for the .changes; each is a dgit
 * program option). What they make goes into the upload's .changes, not into
 * the archive's Sources: the .dsc and its files are final before they run,
 * and dgit only parses the .buildinfo and moves the files by name. They take
 * about a quarter of a build (measured: 0.8 s of 3.0 s for a gbp tag), so the
 * rebuild writes placeholders instead: a one-field .buildinfo dgit can parse
 * and empty files. Nothing compares them. Keys: file names under /work/bin.
 */
export const NO_PRODUCT_SCRIPTS: Readonly<Record<string, string>> = Object.freeze({
  'no-buildinfo': String.raw`#!/bin/sh
# dpkg-genbuildinfo --build=source, run in the playtree: dgit parses ../STEM_source.buildinfo next.
set -eu
printf 'Format: 1.0\n' > "../$T2U_STEM"_source.buildinfo
`,
  'no-installed': String.raw`#!/bin/sh
# dpkg-query -W: the buildinfo's Installed-Build-Depends, which nothing reads.
exit 0
`,
  'no-git-tarball': String.raw`#!/bin/sh
# mini-git-tag-fsck --prepare: dgit moves ../STEM.git.tar.xz into the build products next.
set -eu
: > "../$T2U_STEM.git.tar.xz"
`,
  'no-changes': String.raw`#!/bin/sh
# dpkg-genchanges: its standard output is the .changes, left empty.
exit 0
`,
});
