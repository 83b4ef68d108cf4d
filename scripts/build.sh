#!/usr/bin/env bash
# The compiled CLI (dist/), rebuilt only when what it is compiled from
# changed: tsc takes most of a minute, and `npm start` and `npm test` run this
# every time. The stamp is the hash of the sources (names and contents), the
# compiler's version and the TypeScript configuration.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp="$( (find src -type f -name '*.ts' -print0 | sort -z | xargs -0 sha256sum; cat tsconfig.json tsconfig.build.json node_modules/typescript/package.json) | sha256sum | cut -c1-64)"
if [[ -f dist/cli/main.js && "$(cat dist/.build-stamp 2>/dev/null)" == "$stamp" ]]; then
  exit 0
fi
echo "build: compiling (tsc -p tsconfig.build.json)" >&2
rm -rf dist
npx tsc -p tsconfig.build.json
echo "$stamp" > dist/.build-stamp
