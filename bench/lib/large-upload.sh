#!/bin/bash
# Makes one upload with a large orig for bench/memory.bench.ts, the way
# fixtures/uploads/make.sh makes the upload fixtures (its helpers, the
# trixie builder rootfs, offline): a gbp package whose upstream/2.0 adds
# CONTENT_BYTES of data in files of 4 MiB (so the orig is about as large),
# tagged by the real `git debpush`, built by dgit's builder mode (git deborig
# makes the orig), signed with the test service key.
# CONTENT is `random` (the default: incompressible bytes, the worst case for
# every compressor's speed and resident set) or `text`: lines of words, each
# file its own sequence of 1 KiB paragraphs drawn from 64 (low entropy, not
# one repeated block), which xz compresses at about 20 MB/s instead of about
# 1 MB/s, so that a 1 GiB orig is made in minutes, not hours.
# Usage: bench/lib/large-upload.sh CONTENT_BYTES OUT [random|text]
# Writes OUT/t2u-large.git (a bare mirror of the source repository),
# OUT/upload/ (the .dsc and its files) and OUT/upload.json.
set -euo pipefail

CONTENT_BYTES=$1
OUT=$2
CONTENT=${3:-random}
case $CONTENT in random | text) ;; *) echo "$0: CONTENT is random or text, not $CONTENT" >&2; exit 2 ;; esac
# shellcheck source=../../fixtures/uploads/lib/start.sh
. "$(dirname "$0")/../../fixtures/uploads/lib/start.sh"

start_work large-upload

G=$W/src/t2u-large
tick; as_key rsa3072
make_patches_unapplied "$G" t2u-large
# upstream/2.0: the data, in files of 4 MiB.
R git -C "$G" checkout -q upstream
mkdir -p "$G/data/large"
if [ "$CONTENT" = random ]; then
  left=$CONTENT_BYTES i=0
  while [ "$left" -gt 0 ]; do
    n=$(( left < 4194304 ? left : 4194304 ))
    head -c "$n" /dev/urandom > "$G/data/large/part-$(printf %05d "$i")"
    left=$(( left - n )) i=$(( i + 1 ))
  done
else
  perl "$(dirname "$0")/text-parts.pl" "$CONTENT_BYTES" "$G/data/large"
fi
R git -C "$G" -c core.compression=1 add -A
R git -C "$G" commit -q -m "Upstream 2.0"
R git -C "$G" tag -a -m "Upstream 2.0" upstream/2.0
R git -C "$G" checkout -q main
R git -C "$G" merge -q --no-edit upstream/2.0
new_version "$G" t2u-large 2.0-1
debpush "$G" --gbp --upstream=upstream/2.0

t2u_build "$G" debian/2.0-1 "$W/pg"
tick
service_sign "$SERVICE_FPR" "$BUILD_CHANGES"

rm -rf "$OUT/t2u-large.git" "$OUT/upload"
mkdir -p "$OUT/upload"
git clone -q --mirror "$G" "$OUT/t2u-large.git"
cp "$BUILD_DSC" "$OUT/upload/"
for f in $(perl -ne 'if (/^Checksums-Sha256:/) { $in = 1; next } if ($in) { last unless /^ /; print((split)[2], "\n") }' "$BUILD_DSC"); do cp "$W/pg/bpd/$f" "$OUT/upload/"; done
jq -n --arg dsc "$(basename "$BUILD_DSC")" --arg tag debian/2.0-1 '{dsc: $dsc, tag: $tag}' > "$OUT/upload.json"
