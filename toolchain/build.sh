#!/usr/bin/env bash
# Builds or reuses the real Pulumi CLI and the real pulumi-kubernetes provider for the real-engine tests
# (test/cli/), and with a PULUMI_HOME argument registers the plugins the engine needs there.
#
#   toolchain/build.sh [PULUMI_HOME]     last line of stdout: the directory holding `pulumi`
#
# The CLI is built with the ordinary Go client from toolchain/pulumi/go.mod (the module proxy serves
# github.com/pulumi/pulumi/pkg/v3), stamped the way its release build is, and cached by version in
# toolchain/.bin/ (git-ignored) and in ${XDG_CACHE_HOME:-~/.cache}/magnum-capi-graft/, so another
# clone on the same machine reuses it; Go's own caches make a rebuild after that incremental.
#
# The proxy refuses the Node.js language host and the openstack (3.15.2) and command (1.2.1)
# provider modules: those are stand-ins (test/cli/programHost.ts, test/cli/standins/). It serves
# pulumi-kubernetes only at 4.25.0, not the 4.34.2 @pulumi/kubernetes asks the engine for: the real
# 4.25.0 provider (toolchain/kubernetes-provider/build.sh) is registered as 4.34.2, so the engine loads
# it; it still reports 4.25.0 itself, and the engine says so in a warning on every run that loads it.
# The program uses only what 4.25.0 has (a Provider from a kubeconfig, reads of CRDs and Deployments).
# The dynamic-provider host is the SDK's own (@pulumi/pulumi/cmd/dynamic-provider) behind a two-line
# launcher, as the CLI's release ships it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's|^require github.com/pulumi/pulumi/pkg/v3 v\([0-9.]*\)$|\1|p' "$root/toolchain/pulumi/go.mod")
[ -n "$version" ] || { echo "toolchain/build.sh: no pulumi/pkg/v3 version in toolchain/pulumi/go.mod" >&2; exit 1; }
bin="$root/toolchain/.bin/pulumi-v$version"
machine="${XDG_CACHE_HOME:-$HOME/.cache}/magnum-capi-graft/pulumi-v$version"
node="$root/node_modules/.bin/node"
started=$SECONDS
# Go's tarball install is not on every login's PATH.
command -v go >/dev/null || PATH="/usr/local/go/bin:$PATH"

mkdir -p "$bin" "$machine"
exec 9>"$machine.lock"
flock 9
if [ -x "$bin/pulumi" ]; then
  echo "pulumi v$version: reused $bin/pulumi" >&2
elif [ -x "$machine/pulumi" ]; then
  cp "$machine/pulumi" "$bin/pulumi.tmp" && mv "$bin/pulumi.tmp" "$bin/pulumi"
  echo "pulumi v$version: reused the machine cache $machine" >&2
else
  echo "pulumi v$version: building with $(go version) (several minutes cold)" >&2
  (cd "$root/toolchain/pulumi" && GOTOOLCHAIN=local nice go build -trimpath -o "$machine/pulumi.tmp" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  built=$("$machine/pulumi.tmp" version)
  [ "$built" = "v$version" ] || { echo "toolchain/build.sh: built CLI says $built, expected v$version" >&2; exit 1; }
  mv "$machine/pulumi.tmp" "$machine/pulumi"
  cp "$machine/pulumi" "$bin/pulumi.tmp" && mv "$bin/pulumi.tmp" "$bin/pulumi"
  echo "pulumi v$version: built in $((SECONDS - started)) s" >&2
fi
flock -u 9
kubernetes=$("$root/toolchain/kubernetes-provider/build.sh")

launcher() { # file, command...
  { printf '#!/bin/sh\nexec'; printf ' %q' "${@:2}"; printf ' "$@"\n'; } >"$1.tmp"
  chmod 0755 "$1.tmp" && mv "$1.tmp" "$1"
}
# The engine looks for the dynamic-provider host next to the running `pulumi` (a bundled plugin).
launcher "$bin/pulumi-resource-pulumi-nodejs" "$node" "$root/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js"

if [ $# -ge 1 ]; then
  home=$1
  mkdir -p "$home" "$bin/plugins"
  for name in openstack kubernetes command; do
    # The version each npm package asks the engine for (its package.json, without a leading v).
    ver=$("$node" -p "require('$root/node_modules/@pulumi/$name/package.json').version.replace(/^v/, '')")
    if [ "$name" = kubernetes ]; then
      launcher "$bin/plugins/$name" "$kubernetes"
    else
      launcher "$bin/plugins/$name" "$node" "$root/build/test/cli/standins/$name.js"
    fi
    PULUMI_HOME=$home PULUMI_SKIP_UPDATE_CHECK=true "$bin/pulumi" plugin install resource "$name" "$ver" \
      --file "$bin/plugins/$name" >&2
  done
  echo "plugins registered in $home (stand-ins: openstack, command; real: $(basename "$kubernetes"))" >&2
fi
echo "toolchain ready in $((SECONDS - started)) s" >&2
echo "$bin"
