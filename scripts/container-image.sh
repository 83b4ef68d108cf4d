#!/usr/bin/env bash
# Builds the service image from Containerfile with Debian's podman, on a base
# made locally: a Debian minbase root filesystem by mmdebstrap, imported as an
# image and passed as BASE (the Containerfile's default stays Debian's image
# from the registry). Prints the image name on stdout.
#
# Cached under $T2U_VERIFY_CACHE (else /var/cache/t2u-verify for root, else
# ~/.cache/t2u-verify), in container/: the base tarball under a key of its
# recipe, and podman's storage, so the image's layers (apt, npm ci) are
# rebuilt only when what they are made from changes.
#
# Rootful podman with overlay storage and cgroupfs, no systemd needed (vfs
# works too, but copies every layer whole: about 40 GB for this image, against
# about 2 GB); podman's default rlimits are dropped (a container that raises
# RLIMIT_NPROC past the host's fails to start) by a containers.conf of our own.
set -euo pipefail
cd "$(dirname "$0")/.."
suite=${T2U_IMAGE_SUITE:-trixie}
mirror=${T2U_IMAGE_MIRROR:-http://deb.debian.org/debian}
if [[ -n "${T2U_VERIFY_CACHE:-}" ]]; then cache=$T2U_VERIFY_CACHE
elif [[ $(id -u) -eq 0 ]]; then cache=/var/cache/t2u-verify
else cache=${XDG_CACHE_HOME:-$HOME/.cache}/t2u-verify; fi
dir=$cache/container
mkdir -p "$dir"

# podman's own configuration, not the host's.
cat > "$dir/containers.conf" <<CONF
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
CONF
export CONTAINERS_CONF=$dir/containers.conf
podman=(podman --root "$dir/overlay" --runroot "$dir/run-overlay" --storage-driver overlay)

recipe="mmdebstrap --variant=minbase --format=tar --architectures=$(dpkg --print-architecture) $suite $mirror"
key=$(printf '%s' "$recipe" | sha256sum | cut -c1-16)
base=$dir/base-$suite-$key.tar
if [[ ! -s $base ]]; then
  echo "container-image: $recipe" >&2
  mmdebstrap --variant=minbase --format=tar --skip=output/dev --architectures="$(dpkg --print-architecture)" "$suite" "$base.tmp" "$mirror" >&2
  mv "$base.tmp" "$base"
fi
base_image=localhost/t2u-verify-base:$suite-$key
if ! "${podman[@]}" image exists "$base_image"; then
  "${podman[@]}" import "$base" "$base_image" >&2
fi

# Behind a TLS-intercepting proxy, npm's CA file reaches the build too.
build_args=(--build-arg "BASE=$base_image")
cafile=$(npm config get cafile 2>/dev/null || true)
if [[ -n "$cafile" && "$cafile" != null && -f "$cafile" ]]; then
  build_args+=(--volume "$cafile:/run/build-ca.crt:ro" --build-arg npm_config_cafile=/run/build-ca.crt --build-arg NODE_EXTRA_CA_CERTS=/run/build-ca.crt)
fi

image=localhost/t2u-verify:test
iid=$dir/iid
rm -f "$iid"
# podman 4.3 (bookworm) here sometimes stays alive after "Successfully
# tagged": wait for it, or for the image id file and a short grace.
"${podman[@]}" build --network host --iidfile "$iid" "${build_args[@]}" -t "$image" -f Containerfile . >&2 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  if [[ -s $iid ]]; then
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill "$pid" 2>/dev/null || true
    break
  fi
  sleep 1
done
wait "$pid" 2>/dev/null || true
[[ -s $iid ]] || { echo "container-image: podman build failed" >&2; exit 1; }
echo "$image"
