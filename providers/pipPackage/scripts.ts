import { shq } from "../../core/shell";
import { PipPackageInputs, PipPackageOutputs } from "./types";

// Whether pip is refused here unless told --break-system-packages (PEP 668): pip checks for the
// marker only outside a virtual environment, in the stdlib directory (pip's own test, kept as it is).
const MARKED = String.raw`import os, sys, sysconfig
venv = sys.prefix != sys.base_prefix or hasattr(sys, "real_prefix")
sys.exit(1 if venv or not os.path.isfile(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")) else 0)`;

function common(i: PipPackageInputs): string {
  return `pkg=${shq(i.package)}
group=${shq(i.entryPointGroup)}
index=${shq(i.indexUrl)}
installed() { python3 -m pip show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' || true; }
measure() {
  emit version "$(installed)"
  emit entry_points "$(python3 -c 'import sys, importlib.metadata as m; print(",".join(sorted(e.name for e in m.entry_points(group=sys.argv[1]))))' "$group")"
}
# Before pip changes anything: python3's version against the floor of what is about to be installed
# ($1, "" for none known; $2 names it), and whether pip needs --break-system-packages. Ubuntu noble marks
# its system Python externally managed; jammy's pip (22.0.2) neither checks the marker nor knows the
# flag (pip 23.0.1 added it), so it goes only to a marked Python whose pip lists it.
pip_prepare() {
  python_floor "$1" "$2"
  sysflag=()
  if python3 -c ${shq(MARKED)}; then
    local help; help=$(python3 -m pip install --help 2>/dev/null || true)
    case "$help" in *--break-system-packages*) sysflag=(--break-system-packages) ;; esac
  fi
}
# pip's output goes out as progress while it runs; on failure its last lines become the message, with
# the Python it ran on (a version pip skips for its Requires-Python shows only as "no matching distribution").
pip_run() {
  state_init
  local log="$STATE_DIR/pip.log" rc
  local idx=(); [ -n "$index" ] && idx=(--index-url "$index")
  set +e
  python3 -m pip install --no-deps --disable-pip-version-check "\${sysflag[@]}" "\${idx[@]}" "$@" 2>&1 | tee "$log" | while IFS= read -r l; do say "$l"; done
  rc=\${PIPESTATUS[0]}
  set -e
  [ "$rc" = 0 ] || gate "pip install $* to succeed" "exit $rc on Python $pyver: $({ grep -h 'Requires-Python' "$log" | tail -n 1; tail -n 2 "$log"; } | tr '\\n' ' ')"
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
  pip_prepare ${shq(i.pythonFloor ?? "")} "$pkg $want"
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
pip_prepare ${shq(p.rollbackPythonFloor ?? "")} "$pkg $rollback"
mark_restart
say "pinning back $pkg==$rollback"
pip_run --force-reinstall "$pkg==$rollback"
[ "$(installed)" = "$rollback" ] || gate "$pkg $rollback installed" "$(installed)"`;
  }
  return `${common(p)}
if [ -n "$(installed)" ]; then
  pip_prepare "" "$pkg"
  mark_restart
  python3 -m pip uninstall -y --disable-pip-version-check "\${sysflag[@]}" "$pkg" >&2
fi
[ -z "$(installed)" ] || gate "$pkg uninstalled" "$(installed) still installed"`;
}
