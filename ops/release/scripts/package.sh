#!/usr/bin/env bash
# Release step: the Linux package for this runner's architecture (native modules are built for it by npm ci).
#   ops/release/scripts/package.sh OUT [x64|arm64]   → prints the package path
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 OUT [x64|arm64]" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/../../.." && pwd)
arch=${2:-$(node -p 'process.arch')}
node "$repo/ops/release/bin/raypher-release.js" package --out "$1" --arch "$arch" --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).path))'
