#!/usr/bin/env bash
# Release step: a CycloneDX SBOM of what ships (production dependencies only), from the lockfile via npm sbom.
#   ops/release/scripts/sbom.sh OUT   → prints the SBOM path
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUT" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/../../.." && pwd)
version=$(node -p "require('$repo/package.json').version")
mkdir -p "$1"
out=$(realpath "$1")/raypher-$version.cdx.json
(cd "$repo" && npm sbom --sbom-format cyclonedx --omit dev > "$out.tmp")
mv "$out.tmp" "$out"
echo "$out"
