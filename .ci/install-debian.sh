#!/bin/sh
# Installs the Debian/Ubuntu packages Osmosis needs in CI: OpenBLAS for the optional blas backend
# (native/blas) and the toolchain node-gyp builds it with. Idempotent: installs only what is
# missing, and says in one line what it did.
set -eu

PACKAGES="libopenblas-dev libopenblas0-pthread g++ make python3"

missing=""
for pkg in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing="$missing $pkg"
  fi
done

if [ -z "$missing" ]; then
  echo "install-debian: already installed: $PACKAGES"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# sudo drops the environment, so DEBIAN_FRONTEND is passed through env. apt's chatter is kept
# and shown only when something fails.
apt_get() { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -qq "$@"; }
# shellcheck disable=SC2086 # $missing is a space-separated package list
if ! log=$({ apt_get update && apt_get install -y --no-install-recommends $missing; } 2>&1); then
  echo "$log" >&2
  echo "install-debian: failed to install$missing" >&2
  exit 1
fi
echo "install-debian: installed$missing"
