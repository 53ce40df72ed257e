#!/usr/bin/env bash
# The ASK CLI's custom build hook: `ask deploy` runs `hooks/build.sh <zip to write> <debug>` (from its
# build folder) when ask-resources.json deploys code, and uploads the zip. Ours is ./dev lambda-zip:
# the lock's wheels for Lambda's platform, the skill and lambda_function.py, with bytecode compiled.
set -euo pipefail
out="$1"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
cd "$(dirname "$0")/.."
exec ./dev lambda-zip --output "$out"
