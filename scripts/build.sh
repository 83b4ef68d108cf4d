#!/usr/bin/env bash
# The compiled CLI (dist/) and its bundle (dist/bundle/, which
# bin/t2u-verify.js runs; scripts/bundle.mjs), rebuilt only when what they are
# made from changed: tsc takes most of a minute, and `npm start` and `npm test`
# run this every time. The stamp is the hash of the sources (names and
# contents), the compiler's and the bundler's versions, the TypeScript
# configuration and the bundle script.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp="$( (find src -type f -name '*.ts' -print0 | sort -z | xargs -0 sha256sum; cat tsconfig.json tsconfig.build.json node_modules/typescript/package.json scripts/bundle.mjs node_modules/esbuild/package.json) | sha256sum | cut -c1-64)"
if [[ -f dist/bundle/main.js && "$(cat dist/.build-stamp 2>/dev/null)" == "$stamp" ]]; then
  exit 0
fi
echo "build: compiling (tsc -p tsconfig.build.json) and bundling (scripts/bundle.mjs)" >&2
rm -rf dist
npx tsc -p tsconfig.build.json
node scripts/bundle.mjs
echo "$stamp" > dist/.build-stamp
