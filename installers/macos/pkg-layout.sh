#!/usr/bin/env bash
# Lays out the macOS pkg root from an unpacked darwin tree and, on a Mac, builds the pkg with pkgbuild.
#   installers/macos/pkg-layout.sh TREE VERSION OUT_DIR
# TREE is the package tree (bin/, node/, supervisor/, cli/, workers/, node_modules/) staged on a macOS runner
# with node-darwin-<arch> from the npm registry. On Linux only the layout is written (pkgbuild is macOS-only).
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 TREE VERSION OUT_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
tree=$(cd "$1" && pwd); version=$2; out=$(realpath -m "$3")
root=$out/root; scripts=$out/scripts
rm -rf "$root" "$scripts"
mkdir -p "$root/usr/local/raypher/$version" "$root/Library/LaunchDaemons" "$scripts"
cp -R "$tree/." "$root/usr/local/raypher/$version/"
ln -sfn "$version" "$root/usr/local/raypher/current"
install -m 0644 "$here/com.raypher.daemon.plist" "$root/Library/LaunchDaemons/com.raypher.daemon.plist"
install -m 0755 "$here/postinstall" "$scripts/postinstall"
if command -v pkgbuild >/dev/null; then
  pkgbuild --root "$root" --scripts "$scripts" --identifier com.raypher.daemon --version "$version" --install-location / "$out/raypher-$version-macos.pkg"
  echo "$out/raypher-$version-macos.pkg"
else
  echo "pkg-layout: pkgbuild is not available (it is macOS-only); wrote the layout to $out" >&2
  echo "$root"
fi
