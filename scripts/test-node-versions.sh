#!/usr/bin/env bash
# Runs the unit tests that need no native module and no sandbox on newer
# Node releases than Debian's (trixie's nodejs is 20, which stays supported),
# so that moving to them costs nothing when it comes: Node 22 and 24 by
# default, or the majors given as arguments. Each Node comes from the `node`
# package on the npm registry, installed once per major under the cache
# directory ($T2U_VERIFY_CACHE, else /var/cache/t2u-verify for root, else
# ~/.cache/t2u-verify) in node/MAJOR.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -n "${T2U_VERIFY_CACHE:-}" ]]; then cache=$T2U_VERIFY_CACHE
elif [[ $(id -u) -eq 0 ]]; then cache=/var/cache/t2u-verify
else cache=${XDG_CACHE_HOME:-$HOME/.cache}/t2u-verify; fi
majors=("$@")
((${#majors[@]})) || majors=(22 24)

# Pure TypeScript (and Debian's tools as oracles): no better-sqlite3, whose
# binary is built for the Node that installed it, and no sandbox builds.
tests=(
  test/deb822 test/interpret test/gitobj test/report test/config
  test/compare/unified-diff.test.ts test/fetch/pkt-line.test.ts test/net/url-policy.test.ts
  test/pipeline/locate-tag.test.ts test/cli/man-pages.test.ts test/cli/secret-sources.test.ts
  test/compare/field-difference.test.ts
)

for major in "${majors[@]}"; do
  prefix=$cache/node/$major
  node=$prefix/node_modules/.bin/node
  if [[ ! -x $node ]]; then
    echo "test-node-versions: installing node@$major from the npm registry into $prefix" >&2
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "node@$major" >&2
  fi
  echo "test-node-versions: Node $("$node" --version)" >&2
  "$node" node_modules/vitest/vitest.mjs run "${tests[@]}"
done
