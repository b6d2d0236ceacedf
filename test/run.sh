#!/usr/bin/env bash
# `npm test`: build, lint, then every tier, ending with one line `N passed, M failed`.
#
# The Go toolchain (the Pulumi CLI, the kubernetes provider, kube-apiserver, an OCI registry) is built in the background
# while the tiers that do not need it run; the real-CLI and real-apiserver tiers run once it is ready.
# On a cold machine that hides most of the build behind the other tiers; warm, the builds only copy
# cached binaries. Extra arguments go to both mocha runs (`npm test -- --grep rolls`).
set -uo pipefail
cd "$(dirname "$0")/.."
PATH="$PWD/node_modules/.bin:$PATH"
started=$SECONDS

npx tsc -p tsconfig.json --noCheck false || exit 1
npx eslint . && npx prettier --check . || exit 1

toolchain_log=$(mktemp)
# In a process group of its own, so an interrupted run stops every build.
setsid toolchain/all.sh >"$toolchain_log" 2>&1 &
toolchain_pid=$!
trap 'kill -- -"$toolchain_pid" 2>/dev/null; rm -f "$toolchain_log"' EXIT

passed=0
failed=0
# mocha prints no "failing" line when nothing failed; a run that dies without a summary counts as one failure.
tier() { # title, mocha arguments...
  local title=$1 log status p f
  shift
  echo "== $title (at $((SECONDS - started)) s)"
  log=$(mktemp)
  mocha "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  p=$(grep -Eo '^ +[0-9]+ passing' "$log" | grep -Eo '[0-9]+' | tail -1)
  f=$(grep -Eo '^ +[0-9]+ failing' "$log" | grep -Eo '[0-9]+' | tail -1)
  rm -f "$log"
  if [ "$status" != 0 ] && [ "${f:-0}" = 0 ]; then f=1; fi
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
}

tier "tiers without the Go toolchain" 'build/test/**/*.test.js' \
  --ignore 'build/test/cli/**' --ignore 'build/test/kube/**' --ignore 'build/test/registry/**' "$@"

echo "== waiting for the Go toolchain (at $((SECONDS - started)) s)"
if wait "$toolchain_pid"; then
  grep -E 'built in|ready in' "$toolchain_log" || true
  tier "real CLI, kube-apiserver and OCI registry tiers" --no-config --timeout 900000 \
    'build/test/cli/**/*.test.js' 'build/test/kube/**/*.test.js' 'build/test/registry/**/*.test.js' "$@"
else
  echo "toolchain build failed:" >&2
  tail -30 "$toolchain_log" >&2
  failed=$((failed + 1))
fi
echo "tests took $((SECONDS - started)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
