#!/usr/bin/env bash
# The second stream of `npm test`: builds or reuses the Go toolchain, then runs the tiers that need it
# (the real CLI, kube-apiserver and the OCI registry). test/run.sh starts it beside the other tiers.
#
#   test/toolchainTiers.sh OUT [mocha arguments...]
#
# Writes the toolchain's log to OUT.toolchain, mocha's output to OUT, and last a line to OUT.status:
# `<mocha exit status> <start s> <end s>` (seconds since the epoch), or `toolchain <status> ...` when a
# build failed and no test ran.
set -uo pipefail
cd "$(dirname "$0")/.."
PATH="$PWD/node_modules/.bin:$PATH"
out=$1
shift
started=$(date +%s)
if ! toolchain/all.sh >"$out.toolchain" 2>&1; then
  echo "toolchain 1 $started $(date +%s)" >"$out.status"
  exit 1
fi
mocha --no-config --timeout 900000 'build/test/cli/**/*.test.js' 'build/test/kube/**/*.test.js' \
  'build/test/registry/**/*.test.js' "$@" >"$out" 2>&1
status=$?
echo "$status $started $(date +%s)" >"$out.status"
exit "$status"
