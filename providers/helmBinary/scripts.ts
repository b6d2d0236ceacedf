import { shq } from "../../core/shell";
import { HelmBinaryInputs, HelmBinaryOutputs } from "./types";

const MEASURE = `measure() {
  emit version "$(helm version --short 2>/dev/null || true)"; emit path "$(command -v helm || true)"
  emit has_original "$(has_original "$dest")"
}`;

export function applyScript(i: HelmBinaryInputs): string {
  return `want=${shq(i.version)}
url=${shq(i.tarballUrl)}
sha=${shq(i.tarballSha256)}
dest=${shq(i.installPath)}
${MEASURE}
cur=$(helm version --short 2>/dev/null || true)
case "$cur" in
  "$want" | "$want+"*) emit changed 0 ;;
  *)
    # An install that another helm would shadow cannot pass the check below: refuse it up front.
    ddir=$(dirname -- "$dest"); on_path=0
    IFS=: read -ra dirs <<< "$PATH"
    for d in "\${dirs[@]}"; do
      if [ "$d" = "$ddir" ]; then on_path=1; break; fi
      [ ! -x "$d/helm" ] || gate "$dest first on PATH" "$d/helm comes before it; nothing was installed"
    done
    [ $on_path = 1 ] || gate "$ddir on PATH" "PATH=$PATH; nothing was installed"
    say "helm \${cur:-absent} -> $want from $url"
    state_init
    work=$(mktemp -d -- "$STATE_DIR/helm.XXXXXX")
    trap 'rm -rf -- "$work"' EXIT
    curl -fsSL --retry 2 --max-time 300 -o "$work/helm.tgz" -- "$url" || gate "a download of $url" "curl exit $?"
    if [ -n "$sha" ]; then
      got=$(sha256sum < "$work/helm.tgz" | cut -c1-64)
      [ "$got" = "$sha" ] || gate "a tarball of sha256 $sha" "sha256 $got; nothing was installed"
    fi
    tar -xzf "$work/helm.tgz" -C "$work" linux-amd64/helm 2>/dev/null || gate "linux-amd64/helm in the tarball" "no such member; nothing was installed"
    snapshot "$dest"
    install -m 0755 -o root -g root -- "$work/linux-amd64/helm" "$dest.graft-new"
    mv -T -- "$dest.graft-new" "$dest"
    emit changed 1 ;;
esac
cur=$(helm version --short 2>/dev/null || true)
case "$cur" in "$want" | "$want+"*) ;; *) gate "helm $want on PATH" "\${cur:-no helm} at $(command -v helm || echo nowhere)" ;; esac
measure`;
}

export function measureScript(p: HelmBinaryOutputs): string {
  return `dest=${shq(p.installPath)}\n${MEASURE}\nmeasure`;
}

export function restoreScript(p: HelmBinaryOutputs): string {
  return `restore ${shq(p.installPath)} ${shq(p.destroyMode)}`;
}
