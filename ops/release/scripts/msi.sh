#!/usr/bin/env bash
# Builds the Windows MSI on Linux with wixl (Debian: wixl, msitools) from a staged Windows tree.
#   ops/release/scripts/msi.sh STAGE_DIR VERSION OUT.msi
# STAGE_DIR holds node.exe, raypher-service.exe (WinSW) and app/ (staged on a Windows runner, see release.yml);
# raypher-service.xml comes from installers/windows/. Prints the MSI's path.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 STAGE_DIR VERSION OUT.msi" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/../../.." && pwd)
stage=$(cd "$1" && pwd); version=$2; out=$(realpath -m "$3")
for f in node.exe raypher-service.exe app; do [ -e "$stage/$f" ] || { echo "msi.sh: $stage/$f is missing; stage the Windows tree first" >&2; exit 1; }; done
command -v wixl >/dev/null && command -v wixl-heat >/dev/null || { echo "msi.sh: wixl is not installed (apt-get install wixl msitools)" >&2; exit 1; }
cp "$repo/installers/windows/raypher-service.xml" "$stage/raypher-service.xml"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# wixl resolves Source= relative to the working directory: run from the stage with SourceDir=".".
(cd "$stage" && find app -type f | sort | wixl-heat --prefix app/ --var var.AppDir --directory-ref APPDIR --component-group AppFiles --win64 > "$work/app-files.wxs")
mkdir -p "$(dirname "$out")"; rm -f "$out"
(cd "$stage" && wixl -a x64 -D "Version=$version" -D SourceDir=. -D AppDir=app -D Win64=yes -o "$out" "$repo/installers/windows/raypher.wxs" "$work/app-files.wxs")
echo "$out"
