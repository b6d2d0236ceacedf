#!/usr/bin/env bash
# Builds or reuses every Go tool the tests run, side by side: the kubernetes provider and kube-apiserver
# in the background while toolchain/build.sh builds the CLI (it then waits on the provider's lock and
# reuses the binary). Cold, the builds overlap each other's downloads and single-threaded links; warm,
# each only copies its cached binary. Exits non-zero if any build failed; each prints its own timing.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/kubernetes-provider/build.sh" >/dev/null &
provider=$!
"$here/kube-apiserver/build.sh" >/dev/null &
apiserver=$!
"$here/build.sh" >/dev/null
cli=$?
wait "$provider"
p=$?
wait "$apiserver"
a=$?
[ "$cli" = 0 ] && [ "$p" = 0 ] && [ "$a" = 0 ]
