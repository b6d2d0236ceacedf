#!/usr/bin/env bash
# Builds or reuses the REAL pulumi-kubernetes provider for the real-engine tests (test/cli/) and prints
# the path of its binary.
#
# The Go module proxy refuses github.com/pulumi/pulumi-kubernetes/provider/v4 at any release tag and
# serves it only at the pseudo-version in go.mod, the commit tagged v4.25.0: the binary is stamped
# 4.25.0 the way the release's Makefile stamps it (pkg/version.Version; the engine's version warning,
# which the real-engine tier checks, shows it). Its main package embeds two files its release build
# generates (generate.go: the schema with the version set, and the terraform mapping, both minified),
# which the module leaves out, and `go build -overlay` may not add files under GOMODCACHE. So the build
# runs in a throwaway temporary directory: a copy of the module with the two files made by that same
# generate.go, put in by a `replace` in a copy of this go.mod (go.sum pins the rest); nothing upstream
# is copied into the repo. Cached by version like the CLI (toolchain/build.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
module=github.com/pulumi/pulumi-kubernetes/provider/v4
pseudo=$(awk -v m="$module" '$1 == "require" && $2 == m { print $3 }' "$here/go.mod")
case "$pseudo" in
  v4.0.0-20260115033456-f47bc2d6f199) release=4.25.0 ;;
  *) echo "kubernetes-provider/build.sh: which release is $module $pseudo? (none known)" >&2; exit 1 ;;
esac
name="pulumi-resource-kubernetes-v$release"
local_bin="$repo/toolchain/.bin/$name"
shared_bin="${XDG_CACHE_HOME:-$HOME/.cache}/magnum-capi-graft/$name"
started=$SECONDS
command -v go >/dev/null || PATH="/usr/local/go/bin:$PATH"
export GOTOOLCHAIN=local

mkdir -p "$(dirname "$local_bin")" "$(dirname "$shared_bin")"
exec 9>"$shared_bin.lock"
flock 9
if [ ! -x "$local_bin" ]; then
  if [ ! -x "$shared_bin" ]; then
    echo "pulumi-kubernetes v$release: building with $(go version) (several minutes cold)" >&2
    gen=$(mktemp -d)
    trap 'rm -rf "$gen"' EXIT
    # `go list -m` names the module's directory only once it is in the module cache.
    src=$(cd "$here" && go mod download "$module" && go list -m -f '{{.Dir}}' "$module")
    [ -d "$src" ] || { echo "kubernetes-provider/build.sh: $module is not in the module cache" >&2; exit 1; }
    cp -r "$src" "$gen/provider"
    chmod -R u+w "$gen/provider"
    cp "$here/go.mod" "$here/go.sum" "$src/cmd/pulumi-resource-kubernetes/"{schema,terraform-mapping}.json "$gen/"
    cmd="$gen/provider/cmd/pulumi-resource-kubernetes"
    # The generator runs with the build's flags, so the packages it compiles are reused by the build.
    (cd "$gen" && VERSION=$release CGO_ENABLED=0 nice go run -trimpath "$src/cmd/pulumi-resource-kubernetes/generate.go" &&
      mv schema-embed.json terraform-mapping-embed.json "$cmd/" &&
      go mod edit -replace "$module=./provider" &&
      CGO_ENABLED=0 nice go build -trimpath -o "$shared_bin.tmp" \
        -ldflags "-s -w -X $module/pkg/version.Version=$release" "$module/cmd/pulumi-resource-kubernetes")
    mv "$shared_bin.tmp" "$shared_bin"
    echo "pulumi-kubernetes v$release: built in $((SECONDS - started)) s" >&2
  fi
  cp "$shared_bin" "$local_bin.tmp"
  mv "$local_bin.tmp" "$local_bin"
fi
echo "$local_bin"
