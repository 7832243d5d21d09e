#!/usr/bin/env bash
# Release step 1: a clean install of the dependencies, the build, lint and the whole test suite (what .ci/run does).
set -euo pipefail
cd "$(dirname "$0")/../../.."
exec .ci/run
