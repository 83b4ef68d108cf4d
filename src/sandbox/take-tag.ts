// The shell function by which a sandboxed script takes a tag of the
// read-only repository bound for it (the verifier's object store, or a
// user's repository) into the repository it works in: the rebuild
// (reconstruct/builder-script.ts) and the content check (compare/content.ts).
// The source's object store is shared read-only (git's alternates, its
// shallow list copied) instead of fetched: the objects are the same, and a
// fetch would pack them and index-pack them a second time, which for a large
// history costs more than the build. A bundle (or a repository git cannot
// find objects/ in, such as a linked worktree) is fetched; --update-shallow
// takes a shallow source's boundaries as the verifier's own fetch left them.

/**
 * Defines `take_tag NAME` (refs/tags/NAME of the source, with every object it
 * reaches, or exit 65 when the source has no such tag) for a script whose
 * source is "$T2U_REPO" and whose own repository is the current one (git
 * init done). Uses the variables GD and oid.
 */
export const TAKE_TAG_SH = String.raw`GD=
for d in "$T2U_REPO" "$T2U_REPO/.git"; do
  if [ -d "$d/objects" ] && [ -f "$d/HEAD" ]; then GD=$d; break; fi
done
if [ -n "$GD" ]; then
  printf '%s\n' "$GD/objects" > "$(git rev-parse --git-dir)/objects/info/alternates"
  [ ! -f "$GD/shallow" ] || cp "$GD/shallow" "$(git rev-parse --git-dir)/shallow"
fi
take_tag() {
  if [ -n "$GD" ]; then
    oid=$(git --git-dir="$GD" rev-parse -q --verify "refs/tags/$1") || { echo "the repository has no tag $1" >&2; exit 65; }
    git update-ref "refs/tags/$1" "$oid"
  else
    git fetch -q --update-shallow "$T2U_REPO" --no-tags "refs/tags/$1:refs/tags/$1"
  fi
}`;
