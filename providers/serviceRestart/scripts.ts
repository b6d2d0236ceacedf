import { shq } from "../../core/shell";
import { ServiceRestartInputs, ServiceRestartOutputs } from "./types";

export const START_TIMEOUT_SECONDS = 120;

function common(i: ServiceRestartInputs, recordedVersion = ""): string {
  return `svc=${shq(i.service)}; cdir=${shq(i.configDir)}; drv=${shq(i.driver)}; settle=${i.settleSeconds}; recorded=${shq(recordedVersion)}
pending=$STATE_DIR/restart-pending
live_args() { ps -ww -C "$svc" -o args= 2>/dev/null | head -n 1 || true; }
has_config_dir() { case "$(live_args)" in *"--config-dir $cdir"* | *"--config-dir=$cdir"*) return 0 ;; esac; return 1; }
installed_version() { python3 -c 'import sys, importlib.metadata as m; print(next((e.dist.version for e in m.entry_points(group="magnum.drivers", name=sys.argv[1]) if e.dist), ""))' "$drv" 2>/dev/null || true; }
drivers() { magnum-driver-manage list-drivers 2>/dev/null | awk -F'|' 'NF > 2 { n = $2; gsub(/^[ \\t]+|[ \\t]+$/, "", n); if (n != "" && n != "Name") print n }' | sort | tr '\\n' ',' | sed 's/,$//' || true; }
# systemctl restart returns before a Type=simple daemon has started: wait for one MainPID to stay active.
wait_active() {
  local start=$SECONDS stable=0 last="" st pid
  while :; do
    st=$(systemctl is-active "$svc" 2>/dev/null || true)
    pid=$(systemctl show "$svc" -p MainPID --value 2>/dev/null || true)
    if [ "$st" = active ] && [ -n "$pid" ] && [ "$pid" != 0 ] && [ "$pid" = "$last" ]; then stable=$((stable + 1)); else stable=0; fi
    last=$pid
    [ $stable -ge "$settle" ] && break
    if [ "$st" = failed ] || { [ "$st" = inactive ] && [ $((SECONDS - start)) -gt 5 ]; }; then
      gate "$svc active after the restart" "$st; see /var/log/magnum/ and systemctl status $svc"
    fi
    [ $((SECONDS - start)) -lt ${START_TIMEOUT_SECONDS} ] || gate "$svc active for \${settle}s after the restart" "\${st:-unknown} after ${START_TIMEOUT_SECONDS}s"
    sleep 1
  done
  emit pid "$pid"
}
# The restart passes the list it just checked: list-drivers starts Python and loads every driver.
measure() {
  local ok=1 d; if [ $# -gt 0 ]; then d=$1; else d=$(drivers); fi
  systemctl is-active --quiet "$svc" || ok=0
  if has_config_dir; then emit config_dir 1; else emit config_dir 0; ok=0; fi
  case ",$d," in *",$drv,"*) ;; *) ok=0 ;; esac
  # The mark is set before any change to what the daemon loads and cleared only by a verified
  # restart: while it is set, the daemon still runs what it loaded before (as last recorded).
  if [ -e "$pending" ]; then ok=0; emit owed 1; emit running_version "$recorded"
  elif systemctl is-active --quiet "$svc"; then emit owed 0; emit running_version "$(installed_version)"
  else emit owed 0; emit running_version ""
  fi
  emit drivers "$d"; emit healthy $ok
  emit pid "$(systemctl show "$svc" -p MainPID --value 2>/dev/null || true)"
}`;
}

export function measureScript(p: ServiceRestartOutputs): string {
  return `${common(p, p.runningVersion ?? "")}\nmeasure`;
}

export function applyScript(i: ServiceRestartInputs): string {
  return `${common(i)}
# list-drivers reads the installed packages and the config on disk, which the restart does not change: it
# runs while the daemon settles, so a rolling restart does not wait for it after the settle.
listed=$(mktemp); trap 'rm -f -- "$listed"' EXIT
drivers > "$listed" 2>/dev/null &
lister=$!
if [ -e "$pending" ] || ! systemctl is-active --quiet "$svc" || ! has_config_dir; then
  say "restarting $svc"
  systemctl restart "$svc"
  emit restarted 1
else
  emit restarted 0
fi
wait_active
has_config_dir || gate "--config-dir $cdir in the live command line" "$(live_args)"
wait "$lister" || true
d=$(cat -- "$listed")
case ",$d," in *",$drv,"*) ;; *) gate "magnum-driver-manage list-drivers listing $drv" "[\${d}]" ;; esac
rm -f -- "$pending"
measure "$d"`;
}

export function rollbackScript(p: ServiceRestartOutputs): string {
  return `${common(p)}
if [ -e "$pending" ] || ! systemctl is-active --quiet "$svc"; then
  say "restarting $svc after the "${shq(p.destroyMode)}
  systemctl restart "$svc"
fi
wait_active
${
  p.destroyMode === "rollback"
    ? // A unit whose graft stopped before the driver install has no driver to list.
      `if [ -n "$(installed_version)" ]; then
  d=$(drivers); case ",$d," in *",$drv,"*) ;; *) gate "list-drivers listing $drv after the rollback" "[\${d}]" ;; esac
fi`
    : ""
}
rm -f -- "$pending"`;
}
