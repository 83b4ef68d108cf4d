#!/usr/bin/env bash
# One-step set-up on a Debian machine: the Debian packages the verifier runs
# (git, gpgv, bubblewrap for the sandbox, mmdebstrap to build its root
# filesystem), the npm dependencies, and the compiled CLI. Idempotent and quick
# when nothing changed; `npm start` and `npm test` run it first.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the runtime needs git, gpgv, bwrap, mmdebstrap; the test
# suite also uses gpg (fixture checks), git's http-backend, dpkg-dev, xz-utils,
# bzip2 and zstd (the stages' unit tests run the host's tools in the sandbox:
# test/helpers/host-sandbox.ts), ssh-keygen
# (SSH-signed fixture tags) and python3; debian-archive-keyring verifies InRelease;
# Go and golang.org/x/mod (sumdb/note, sumdb/tlog) check the transparency log
# independently. podman and runc build and run the service image
# (test/e2e/container.test.ts); systemd's systemd-analyze checks the units.
packages=(git gnupg gpgv bubblewrap mmdebstrap dpkg-dev xz-utils bzip2 zstd ca-certificates curl debian-archive-keyring openssh-client python3 util-linux postgresql chromium golang-go golang-golang-x-mod-dev podman runc systemd)
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

# The tests fetch Debian's keyring package with `apt-get download`, which needs
# package lists even when nothing had to be installed.
if [[ $(id -u) -eq 0 ]] && ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
  apt-get update -qq
fi

# npm dependencies, reinstalled only when the lock file or Node changes.
stamp="$(sha256sum package-lock.json | cut -c1-64)-$(node --version)"
if [[ ! -d node_modules || "$(cat .setup-stamp 2>/dev/null)" != "$stamp" ]]; then
  # `npm ci`: exactly the lock file, which lists every platform's optional
  # packages (rollup's binaries), so it installs unchanged on any machine.
  echo "setup: npm ci (from package-lock.json)" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$stamp" > .setup-stamp
fi

bash scripts/build.sh
