#!/usr/bin/env bash
# Release step: the package installs, runs on its embedded Node with no Node on the PATH, verifies and uninstalls.
#   ops/release/scripts/install-check.sh PACKAGE.tar.gz
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 PACKAGE.tar.gz" >&2; exit 2; }
pkg=$(realpath "$1")
work=$(mktemp -d); pid=''
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
tar -xzf "$pkg" -C "$work"
script=$(echo "$work"/raypher-*/install.sh)
prefix=$work/prefix; home=$prefix/.raypher
# A PATH without node: only the system tools the installer and the daemon call.
mkdir -p "$work/tools"
for t in sh bash dirname readlink cat sed sha256sum stat find wc cmp mkdir rm rmdir ln mv cp chmod chgrp date id tr getent getconf uname sleep; do
  ln -s "$(command -v "$t")" "$work/tools/$t"
done
mkdir -p "$home"; printf '[health]\nlisten_port = 0\n\n[proxy]\nlisten_port = 0\n' > "$home/config.toml"
PATH=$work/tools "$script" --user --prefix "$prefix" --no-start
PATH=$work/tools "$prefix/.local/bin/raypher" run --home "$home" > "$work/raypher.log" 2>&1 &
pid=$!
for _ in $(seq 1 60); do
  PATH=$work/tools "$prefix/.local/bin/raypherctl" --home "$home" status >/dev/null 2>&1 && break
  sleep 1
done
PATH=$work/tools "$prefix/.local/lib/raypher/current/install.sh" --user --prefix "$prefix" --verify
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=''
PATH=$work/tools "$script" --user --prefix "$prefix" --uninstall --yes --purge
left=$(find "$prefix" -mindepth 1 | head -5)
[ -z "$left" ] || { echo "install-check: left behind after --purge: $left" >&2; exit 1; }
echo "install-check: $(basename "$pkg") installs, runs, verifies and uninstalls"
