import { shq } from "../../core/shell";
import { PipPackageInputs, PipPackageOutputs } from "./types";

function common(i: PipPackageInputs): string {
  return `pkg=${shq(i.package)}
group=${shq(i.entryPointGroup)}
index=${shq(i.indexUrl)}
installed() { python3 -m pip show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' || true; }
measure() {
  emit version "$(installed)"
  emit entry_points "$(python3 -c 'import sys, importlib.metadata as m; print(",".join(sorted(e.name for e in m.entry_points(group=sys.argv[1]))))' "$group")"
}
# pip's output goes out as progress while it runs; on failure its last lines become the message.
pip_run() {
  state_init
  local log="$STATE_DIR/pip.log" rc
  local idx=(); [ -n "$index" ] && idx=(--index-url "$index")
  set +e
  python3 -m pip install --no-deps --disable-pip-version-check "\${idx[@]}" "$@" 2>&1 | tee "$log" | while IFS= read -r l; do say "$l"; done
  rc=\${PIPESTATUS[0]}
  set -e
  [ "$rc" = 0 ] || gate "pip install $* to succeed" "exit $rc: $(tail -n 2 "$log" | tr '\\n' ' ')"
}`;
}

export function measureScript(p: PipPackageOutputs): string {
  return `${common(p)}\nmeasure`;
}

export function applyScript(i: PipPackageInputs): string {
  return `${common(i)}
want=${shq(i.version)}
cur=$(installed)
if [ "$cur" != "$want" ]; then
  mark_restart
  say "installing $pkg==$want (was \${cur:-not installed})"
  pip_run --upgrade "$pkg==$want"
  emit changed 1
else
  emit changed 0
fi
measure`;
}

export function deleteScript(p: PipPackageOutputs): string {
  if (p.destroyMode === "rollback") {
    return `${common(p)}
rollback=${shq(p.rollbackVersion)}
mark_restart
say "pinning back $pkg==$rollback"
pip_run --force-reinstall "$pkg==$rollback"
[ "$(installed)" = "$rollback" ] || gate "$pkg $rollback installed" "$(installed)"`;
  }
  return `${common(p)}
if [ -n "$(installed)" ]; then
  mark_restart
  python3 -m pip uninstall -y --disable-pip-version-check "$pkg" >&2
fi
[ -z "$(installed)" ] || gate "$pkg uninstalled" "$(installed) still installed"`;
}
