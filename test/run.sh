#!/usr/bin/env bash
# `npm test`: build, lint, then every tier, ending with one line `N passed, M failed`.
#
# Two streams run side by side: the tiers that need no Go binary, printed as they run; and
# test/toolchainTiers.sh, which builds the Go toolchain (the Pulumi CLI, the kubernetes provider,
# kube-apiserver, an OCI registry) and then runs the real-CLI, real-apiserver and registry tiers, printed
# when it ends. Both are mostly waiting on processes, so on 2 cores they overlap well; cold, the builds
# fill what the tests leave idle. Extra arguments go to both mocha runs (`npm test -- --grep rolls`).
set -uo pipefail
cd "$(dirname "$0")/.."
PATH="$PWD/node_modules/.bin:$PATH"
started=$SECONDS

npx tsc -p tsconfig.json --noCheck false || exit 1
npx eslint . && npx prettier --check . || exit 1

logs=$(mktemp -d)
# In a process group of its own, so an interrupted run stops every build and test it started.
setsid test/toolchainTiers.sh "$logs/toolchain-tiers" "$@" &
second=$!
trap 'kill -- -"$second" 2>/dev/null; rm -rf "$logs"' EXIT

passed=0
failed=0
# mocha prints no "failing" line when nothing failed; a run that dies without a summary counts as one failure.
count() { # log, exit status
  local p f
  p=$(grep -Eo '^ +[0-9]+ passing' "$1" | grep -Eo '[0-9]+' | tail -1)
  f=$(grep -Eo '^ +[0-9]+ failing' "$1" | grep -Eo '[0-9]+' | tail -1)
  if [ "$2" != 0 ] && [ "${f:-0}" = 0 ]; then f=1; fi
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
}

echo "== tiers without the Go toolchain (at $((SECONDS - started)) s; the toolchain tiers run beside them)"
mocha 'build/test/**/*.test.js' --ignore 'build/test/cli/**' --ignore 'build/test/kube/**' \
  --ignore 'build/test/registry/**' "$@" 2>&1 | tee "$logs/first"
count "$logs/first" "${PIPESTATUS[0]}"

echo "== waiting for the toolchain tiers (at $((SECONDS - started)) s)"
wait "$second"
read -r status from to <"$logs/toolchain-tiers.status" || status="no status"
grep -E 'built in|ready in' "$logs/toolchain-tiers.toolchain" || true
if [ "$status" = toolchain ]; then
  echo "toolchain build failed:" >&2
  tail -30 "$logs/toolchain-tiers.toolchain" >&2
  failed=$((failed + 1))
elif [ "$status" = "no status" ]; then
  echo "the toolchain tiers ended without a status" >&2
  failed=$((failed + 1))
else
  echo "== real CLI, kube-apiserver and OCI registry tiers (ran for $((to - from)) s, toolchain included)"
  cat "$logs/toolchain-tiers"
  count "$logs/toolchain-tiers" "$status"
fi
echo "tests took $((SECONDS - started)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
