#!/usr/bin/env bash
# Release step: publish the worker bundle to the TUF repository. The role keys come from the CI's secrets
# (RAYPHER_TARGETS_KEY, RAYPHER_SNAPSHOT_KEY, RAYPHER_TIMESTAMP_KEY: the <role>.key PEM files keygen wrote;
# the .pub files are derived from them) and live only
# in a 0700 temp dir for this step. REPO is the checked-out repository (metadata/ and targets/).
#   ops/release/scripts/publish.sh BUNDLE REPO [CHANNEL]
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BUNDLE REPO [CHANNEL]" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/../../.." && pwd)
keys=$(mktemp -d); chmod 0700 "$keys"; trap 'rm -rf "$keys"' EXIT
for role in targets snapshot timestamp; do
  var="RAYPHER_$(echo "$role" | tr '[:lower:]' '[:upper:]')_KEY"
  [ -n "${!var:-}" ] || { echo "publish.sh: $var is not set (a CI secret)" >&2; exit 1; }
  (umask 077; printf '%s\n' "${!var}" > "$keys/$role.key")
  node -e 'const c=require("crypto"),f=require("fs");f.writeFileSync(process.argv[2],c.createPublicKey(f.readFileSync(process.argv[1])).export({format:"pem",type:"spki"}))' "$keys/$role.key" "$keys/$role.pub"
done
node "$repo/ops/release/bin/raypher-release.js" publish "$1" --repo "$2" --keys "$keys" --channel "${3:-stable}"
