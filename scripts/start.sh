#!/bin/bash
# `npm start`: set up (scripts/setup.sh), then run the verification service on
# its embedded defaults: SQLite and the local sandbox, listening on
# 127.0.0.1:8080, state under $T2U_DATA_DIR (default ./data). A webhook secret
# and an API token are generated on first start (mode 0600 files in the data
# directory) unless given in $T2U_WEBHOOK_SECRET / $T2U_API_TOKEN, which serve
# reads itself; either way they are not on the command line. Extra
# arguments go to `t2u-verify serve` (e.g. --listen, --upload-keyring,
# --workers); `npm start -- --help` lists them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
data=${T2U_DATA_DIR:-$PWD/data}
mkdir -p "$data"
chmod 0700 "$data"
secret_file() {
  local f=$data/$1
  if [ ! -s "$f" ]; then
    (umask 077 && node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("hex"))' > "$f")
    echo "t2u-verify: generated $f" >&2
  fi
}
# The secrets reach serve through files or its environment, never its command
# line (which every user sees in ps).
secrets=()
[ -n "${T2U_WEBHOOK_SECRET:-}" ] || { secret_file webhook-secret; secrets+=(--webhook-secret-file "$data/webhook-secret"); }
[ -n "${T2U_API_TOKEN:-}" ] || { secret_file api-token; secrets+=(--api-token-file "$data/api-token"); }
exec node bin/t2u-verify.js serve --data-dir "$data" "${secrets[@]}" "$@"
