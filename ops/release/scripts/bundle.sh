#!/usr/bin/env bash
# Release step: the worker bundle the updater installs (byte-reproducible from the commit).
#   ops/release/scripts/bundle.sh OUT   → prints the bundle path
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUT" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/../../.." && pwd)
node "$repo/ops/release/bin/raypher-release.js" bundle --out "$1" --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).path))'
