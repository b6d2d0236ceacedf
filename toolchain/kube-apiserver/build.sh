#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager (for its service-account token controller) from the Go
# module proxy (k8s.io/kubernetes, see go.mod) and caches each by version, in the repo's git-ignored
# toolchain/.bin/ and in ${XDG_CACHE_HOME:-$HOME/.cache}/magnum-capi-graft/ so a clean clone on the same
# machine reuses them. Prints their paths, one a line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
version=$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" { print $3 }' "$here/go.mod")
[ -n "$version" ] || { echo "build.sh: no k8s.io/kubernetes version in $here/go.mod" >&2; exit 1; }
for cmd in kube-apiserver kube-controller-manager; do
  name="$cmd-$version"
  local_bin="$repo/toolchain/.bin/$name"
  shared_bin="${XDG_CACHE_HOME:-$HOME/.cache}/magnum-capi-graft/$name"
  mkdir -p "$(dirname "$local_bin")" "$(dirname "$shared_bin")"
  if [ ! -x "$local_bin" ]; then
    if [ ! -x "$shared_bin" ]; then
      # The same stamp the release build sets, so /version and the emulation version say what this is.
      pkg=k8s.io/component-base/version
      ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$(echo "$version" | cut -d. -f2)"
      ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
      (cd "$here" && CGO_ENABLED=0 nice go build -trimpath -ldflags "$ldflags" -o "$shared_bin.tmp" \
        "k8s.io/kubernetes/cmd/$cmd")
      mv "$shared_bin.tmp" "$shared_bin"
    fi
    cp "$shared_bin" "$local_bin.tmp"
    mv "$local_bin.tmp" "$local_bin"
  fi
  echo "$local_bin"
done
