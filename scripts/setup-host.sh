#!/usr/bin/env bash
# Installs the system packages kiln's tests use, when run as root on a
# Debian-like host and they are missing. Idempotent and quiet when all is there.
set -euo pipefail
PKGS=(uidmap util-linux busybox-static zstd xz-utils bzip2 iproute2 skopeo umoci docker-registry docker.io runc buildah debootstrap apache2-utils openssl curl git)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "setup: missing packages ${missing[*]}; install them (as root: apt-get install ${missing[*]})" >&2
  echo "setup: tests that need them will be skipped" >&2
  exit 0
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
