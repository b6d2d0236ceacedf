#!/usr/bin/env bash
# Builds the distribution registry (github.com/distribution/distribution/v3 cmd/registry, see go.mod)
# from the Go module proxy, the real OCI registry the chart gate's tests push a chart to, and caches it
# by version in the repo's git-ignored toolchain/.bin/ and in
# ${XDG_CACHE_HOME:-$HOME/.cache}/magnum-capi-graft/ so a clean clone on the same machine reuses it.
# Prints its path.
set -euo pipefail
# Go's tarball install is not on every login's PATH.
command -v go >/dev/null || PATH="/usr/local/go/bin:$PATH"
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
module=github.com/distribution/distribution/v3
version=$(awk -v m="$module" '$1 == "require" && $2 == m { print $3 }' "$here/go.mod")
[ -n "$version" ] || { echo "build.sh: no $module version in $here/go.mod" >&2; exit 1; }
name="registry-$version"
local_bin="$repo/toolchain/.bin/$name"
shared_bin="${XDG_CACHE_HOME:-$HOME/.cache}/magnum-capi-graft/$name"
mkdir -p "$(dirname "$local_bin")" "$(dirname "$shared_bin")"
if [ ! -x "$local_bin" ]; then
  if [ ! -x "$shared_bin" ]; then
    (cd "$here" && CGO_ENABLED=0 nice go build -trimpath -ldflags "-s -w -X $module/version.version=$version" \
      -o "$shared_bin.tmp" "$module/cmd/registry")
    mv "$shared_bin.tmp" "$shared_bin"
  fi
  cp "$shared_bin" "$local_bin.tmp"
  mv "$local_bin.tmp" "$local_bin"
fi
echo "$local_bin"
