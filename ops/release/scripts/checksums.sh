#!/usr/bin/env bash
# Release step: SHA256SUMS over every asset in DIR (sha256sum -c format; the release signs this file).
#   ops/release/scripts/checksums.sh DIR   → prints the SHA256SUMS path
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
cd "$1"
find . -maxdepth 1 -type f ! -name 'SHA256SUMS*' -printf '%f\n' | LC_ALL=C sort | xargs -r sha256sum > SHA256SUMS.tmp
mv SHA256SUMS.tmp SHA256SUMS
echo "$(pwd)/SHA256SUMS"
