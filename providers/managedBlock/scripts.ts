import { shq } from "../../core/shell";
import { ManagedBlockInputs, ManagedBlockOutputs } from "./types";

function common(i: ManagedBlockInputs): string {
  const required = i.showArgsMustContain.map(shq).join(" ");
  return `path=${shq(i.path)}
begin=${shq(`# BEGIN ${i.marker}`)}
end=${shq(`# END ${i.marker}`)}
block_of() { [ -f "$1" ] && awk -v b="$begin" -v e="$end" '$0==e{s=0} s{print} $0==b{s=1}' "$1" || true; }
has_block() { [ -f "$1" ] && grep -qxF -- "$begin" "$1"; }
show_args_check() {
  args=$(${shq(i.initScript)} show-args 2>&1) || { emit show_args "show-args failed: $(printf '%s' "$args" | tail -n 2 | tr '\\n' ' ')"; return 1; }
  args=$(printf '%s' "$args" | tr '\\n' ' ')
  emit show_args "$args"
  for want in ${required}; do
    case " $args " in *"$want"*) ;; *) return 1 ;; esac
  done
}
measure_block() {
  if has_block "$path"; then emit block_sha "$(block_of "$path" | sha256sum | cut -c1-64)"; else emit block_sha absent; fi
}
measure() {
  measure_block
  if show_args_check; then emit show_args_ok 1; else emit show_args_ok 0; fi
}`;
}

export function measureScript(p: ManagedBlockOutputs): string {
  return `${common(p)}\nmeasure`;
}

/** blockinfile: the block replaced in place (or appended), everything else kept byte for byte. */
export function applyScript(i: ManagedBlockInputs): string {
  return `${common(i)}
dir=$(dirname -- "$path")
new=$(mktemp -- "$dir/.graft.XXXXXX"); blk=$(mktemp -- "$dir/.graft.XXXXXX"); old=$(mktemp -- "$dir/.graft.XXXXXX")
trap 'rm -f -- "$new" "$blk" "$old"' EXIT
printf '%s\\n' ${shq(i.block)} > "$blk"
existed=0; [ -f "$path" ] && existed=1 && cp -a -- "$path" "$old"
awk -v b="$begin" -v e="$end" -v f="$blk" '
  function put() { print b; while ((getline l < f) > 0) print l; print e; done = 1 }
  $0 == b { if (!done) put(); s = 1; next }
  s && $0 == e { s = 0; next }
  !s { print }
  END { if (!done) put() }' "$old" > "$new"
if [ $existed = 1 ] && cmp -s -- "$new" "$path"; then
  emit changed 0
  measure
else
  snapshot "$path"
  # Marked before the change (an interrupted run still restarts), withdrawn when the gate puts the
  # file back, unless an earlier change already owed it.
  owed_before=0; [ -e "$STATE_DIR/restart-pending" ] && owed_before=1
  mark_restart
  if [ $existed = 1 ]; then chown --reference="$path" -- "$new"; chmod --reference="$path" -- "$new"; else chmod 0644 -- "$new"; fi
  mv -T -- "$new" "$path"
  emit changed 1
  if ! res=$(show_args_check); then
    # The gate guards the restart: put the previous file back so nothing half-applied remains.
    if [ $existed = 1 ]; then mv -T -- "$old" "$path"; else rm -f -- "$path"; fi
    if [ $owed_before = 0 ]; then rm -f -- "$STATE_DIR/restart-pending"; fi
    seen=$(printf '%s\n' "$res" | sed -n 's/^show_args=//p')
    gate ${shq(`show-args showing ${i.showArgsMustContain.join(" and ")}`)} "$seen; $path was put back as it was"
  fi
  # The gate just ran show-args on the new file: report what it saw rather than run it again.
  printf '%s\n' "$res"
  measure_block
  emit show_args_ok 1
fi
`;
}

export function deleteScript(p: ManagedBlockOutputs): string {
  if (p.destroyMode === "rollback") return `restore ${shq(p.path)} rollback`;
  return `${common(p)}
snap=$(snap_dir "$path")
if has_block "$path"; then
  mark_restart
  tmp=$(mktemp -- "$(dirname -- "$path")/.graft.XXXXXX"); trap 'rm -f -- "$tmp"' EXIT
  awk -v b="$begin" -v e="$end" '$0==b{s=1;next} s&&$0==e{s=0;next} !s{print}' "$path" > "$tmp"
  chown --reference="$path" -- "$tmp"; chmod --reference="$path" -- "$tmp"
  mv -T -- "$tmp" "$path"
fi
# A file the graft created and that now holds nothing else goes too.
if [ -d "$snap" ] && [ ! -e "$snap/content" ] && [ -f "$path" ] && ! grep -q '[^[:space:]]' "$path"; then rm -f -- "$path"; fi
rm -rf -- "$snap"`;
}
