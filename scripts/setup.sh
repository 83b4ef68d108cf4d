#!/usr/bin/env bash
# One-step set-up on a Debian machine: the Debian packages the verifier runs
# (git, gpgv, bubblewrap for the sandbox, mmdebstrap to build its root
# filesystem), the npm dependencies, and the compiled CLI. Idempotent and quick
# when nothing changed; `npm start` and `npm test` run it first.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the runtime needs git, gpgv, bwrap, mmdebstrap; the test
# suite also uses gpg (fixture checks), git's http-backend and dpkg-dev.
packages=(git gnupg gpgv bubblewrap mmdebstrap dpkg-dev xz-utils ca-certificates curl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 2
  fi
  echo "setup: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm dependencies, reinstalled only when the lock file or Node changes.
stamp="$(sha256sum package-lock.json | cut -c1-64)-$(node --version)"
if [[ ! -d node_modules || "$(cat .setup-stamp 2>/dev/null)" != "$stamp" ]]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$stamp" > .setup-stamp
fi

npx tsc -p tsconfig.build.json
