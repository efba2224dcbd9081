#!/usr/bin/env bash
# `make demo`: on a fresh machine (no Docker Hub), build a base image with
# kiln, build the seed example (examples/hello) on it and run it.
#   base: Alpine's minirootfs from ../shared/images when present, built the
#         way Alpine's official image is (FROM scratch / ADD / CMD);
#         otherwise Debian bookworm from debootstrap, `kiln import`ed.
# The demo uses its own store (KILN_ROOT, default /var/tmp/kiln-demo).
set -euo pipefail
cd "$(dirname "$0")/.."

KILN="$PWD/dist/kiln"
export KILN_ROOT="${KILN_ROOT:-/var/tmp/kiln-demo}"
SHARED="${KILN_SHARED:-$PWD/../shared}"
MINIROOTFS="$SHARED/images/alpine-minirootfs-3.20.3-x86_64.tar.gz"
DEBIAN_TARBALL="${KILN_DEBIAN_TARBALL:-/var/tmp/kiln-e2e/debian-bookworm-minbase.tar.gz}"

work=$(mktemp -d /var/tmp/kiln-demo-XXXXXX)
trap 'rm -rf "$work"' EXIT
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# A Debian rootfs tarball, made once and cached (debootstrap takes minutes).
debian_tarball() {
  if [ ! -s "$DEBIAN_TARBALL" ]; then
    mkdir -p "$(dirname "$DEBIAN_TARBALL")"
    debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
      || { tail -20 "$work/debootstrap.log"; exit 1; }
    tar -C "$work/rootfs" -czf "$DEBIAN_TARBALL.tmp" . && mv "$DEBIAN_TARBALL.tmp" "$DEBIAN_TARBALL"
  fi
  echo "$DEBIAN_TARBALL"
}

if [ -f "$MINIROOTFS" ]; then
  step "kiln build: alpine:3.20 from the official minirootfs (FROM scratch / ADD / CMD)"
  cp examples/alpine/Dockerfile "$MINIROOTFS" "$work/"
  "$KILN" build -t alpine:3.20 -t alpine:latest "$work"
  base=alpine:3.20
else
  step "No Alpine minirootfs in $SHARED/images: a Debian base from debootstrap"
  "$KILN" import "$(debian_tarball)" debian:bookworm
  base=debian:bookworm
fi

step "kiln build -t kiln-hello examples/hello"
"$KILN" build --build-arg "BASE=$base" -t kiln-hello examples/hello

step "kiln build again: every step comes from the cache"
"$KILN" build --build-arg "BASE=$base" -t kiln-hello examples/hello | grep -E '^Step|Using cache|Successfully'

step "kiln run --rm kiln-hello"
"$KILN" run --rm kiln-hello
