#!/usr/bin/env bash
# The second stream of `npm test`: builds or reuses the Go toolchain, then runs the tiers that need it
# (the real CLI, kube-apiserver and the OCI registry) as two mocha runs side by side: the crash tier,
# which is most of the time, and the rest. test/run.sh starts it beside the other tiers.
#
#   test/toolchainTiers.sh DIR [mocha arguments...]
#
# Writes the toolchain's log to DIR/toolchain, each run's output to DIR/<run>, and one line per run to
# DIR/status: `<run> <mocha exit status> <start s> <end s>` (seconds since the epoch), or a line
# `toolchain <status> ...` when a build failed and no test ran.
set -uo pipefail
cd "$(dirname "$0")/.."
PATH="$PWD/node_modules/.bin:$PATH"
dir=$1
shift
started=$(date +%s)
if ! toolchain/all.sh >"$dir/toolchain" 2>&1; then
  echo "toolchain 1 $started $(date +%s)" >>"$dir/status"
  exit 1
fi

extra=("$@")
run() { # name, test files...: one mocha run, with the extra arguments `npm test` was given
  local name=$1 from status
  shift
  from=$(date +%s)
  mocha --no-config --timeout 900000 "$@" "${extra[@]}" >"$dir/$name" 2>&1
  status=$?
  echo "$name $status $from $(date +%s)" >>"$dir/status"
}
run crash 'build/test/cli/crash.cli.test.js' &
crash=$!
run cli 'build/test/cli/**/*.test.js' --ignore 'build/test/cli/crash.cli.test.js' \
  'build/test/kube/**/*.test.js' 'build/test/registry/**/*.test.js'
wait "$crash"
