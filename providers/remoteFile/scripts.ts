import { shq } from "../../core/shell";
import { sha256 } from "../diffing";
import { RemoteFileInputs, RemoteFileOutputs } from "./types";

type Owned = Pick<RemoteFileInputs, "path" | "owner" | "ownerFromService">;

function ownerLines(i: Owned): string {
  return `owner=${shq(i.owner)}
service=${shq(i.ownerFromService)}
if [ -n "$service" ]; then
  owner=$(systemctl show "$service" -p User --value 2>/dev/null || true)
  [ -n "$owner" ] || gate "a User= on $service" "none reported by systemctl show"
fi
getent passwd "$owner" >/dev/null || gate "user $owner on the unit" "no such user"
emit expected_owner "$owner"`;
}

const MEASURE_LINES = `if [ -f "$path" ]; then
  emit sha256 "$(sha256sum < "$path" | cut -c1-64)"
  emit mode "0$(stat -c %a -- "$path")"
  emit owner "$(stat -c %U -- "$path")"
else
  emit sha256 absent; emit mode none; emit owner none
fi
emit has_original "$(has_original "$path")"`;

/** Writes the file through a private temp file beside it, after checking the payload arrived whole. */
export function applyScript(i: RemoteFileInputs): string {
  return `path=${shq(i.path)}
dir=$(dirname -- "$path")
want=${shq(sha256(i.content))}
mode=${shq(i.mode)}
${ownerLines(i)}
made_dir=0
if [ ! -d "$dir" ]; then snapshot "$dir"; install -d -m 0755 -o root -g root -- "$dir"; made_dir=1; fi
tmp=$(mktemp -- "$dir/.graft.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
# The payload is staged beside its target (never in /tmp), so a directory made for it goes again
# when a gate refuses the payload: nothing is left changed.
refuse() { rm -f -- "$tmp"; if [ $made_dir = 1 ]; then rmdir -- "$dir"; fi; gate "$1" "$2; the file was left as it was"; }
cat > "$tmp"
got=$(sha256sum < "$tmp" | cut -c1-64)
[ "$got" = "$want" ] || refuse "a payload of sha256 $want" "sha256 $got over $(stat -c %s -- "$tmp") bytes received"
if [ ${i.asciiOnly ? 1 : 0} = 1 ]; then
  n=$(tr -d '\\000-\\177' < "$tmp" | wc -c)
  [ "$n" = 0 ] || refuse "ASCII-only content" "$n non-ASCII bytes"
fi
if [ -f "$path" ] && [ "$(sha256sum < "$path" | cut -c1-64)" = "$want" ] && [ "$(stat -c '%a %U' -- "$path")" = "\${mode#0} $owner" ]; then
  emit changed 0
else
  snapshot "$path"
  if [ ${i.restartOnChange ? 1 : 0} = 1 ]; then mark_restart; fi
  chown -- "$owner:" "$tmp"; chmod -- "$mode" "$tmp"
  mv -T -- "$tmp" "$path"
  emit changed 1
fi
${MEASURE_LINES}`;
}

export function measureScript(p: RemoteFileOutputs): string {
  return `path=${shq(p.path)}
${ownerLines(p)}
${MEASURE_LINES}`;
}

/** The file, then a directory the graft made for it, back to their snapshots. */
export function restoreScript(p: RemoteFileOutputs): string {
  return `restore ${shq(p.path)} ${shq(p.destroyMode)}
restore "$(dirname -- ${shq(p.path)})" ${shq(p.destroyMode)}`;
}
