#!/usr/bin/env bash
# `npm test`: build, lint, then every tier, ending with one line `N passed, M failed`.
#
# Two streams run side by side: the tiers that need no Go binary, printed as they run; and
# test/toolchainTiers.sh, which builds the Go toolchain (the Pulumi CLI, the kubernetes provider,
# kube-apiserver, an OCI registry) and then runs the real-CLI, real-apiserver and registry tiers, printed
# when it ends. The tests mostly wait on processes, so on 2 cores the streams overlap well; cold, the
# builds fill what the tests leave idle. Extra arguments go to every mocha run (`npm test -- --grep rolls`).
set -uo pipefail
cd "$(dirname "$0")/.."
PATH="$PWD/node_modules/.bin:$PATH"
started=$SECONDS

npx tsc -p tsconfig.json --noCheck false || exit 1
npx eslint . && npx prettier --check . || exit 1

logs=$(mktemp -d)
# In a process group of its own, so an interrupted run stops every build and test it started.
setsid test/toolchainTiers.sh "$logs" "$@" &
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
grep -E 'built in|ready in' "$logs/toolchain" || true
runs=0
while read -r name status from to; do
  runs=$((runs + 1))
  if [ "$name" = toolchain ]; then
    echo "toolchain build failed:" >&2
    tail -30 "$logs/toolchain" >&2
    failed=$((failed + 1))
    continue
  fi
  echo "== toolchain tiers: $name (ran for $((to - from)) s)"
  cat "$logs/$name"
  count "$logs/$name" "$status"
done < <(cat "$logs/status" 2>/dev/null)
# Two runs (crash and cli) report, or the toolchain's failure alone; anything less died without a word.
if [ "$runs" -lt 2 ] && ! grep -q '^toolchain ' "$logs/status" 2>/dev/null; then
  echo "the toolchain tiers ended with $runs of their 2 runs reported" >&2
  failed=$((failed + 1))
fi
echo "tests took $((SECONDS - started)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
