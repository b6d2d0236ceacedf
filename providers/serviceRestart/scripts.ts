import { shq } from "../../core/shell";
import { ServiceRestartInputs, ServiceRestartOutputs } from "./types";

export const START_TIMEOUT_SECONDS = 120;
/** A restart round trip: the service's wait, then the API's. */
export const RESTART_TIMEOUT_SECONDS = 2 * START_TIMEOUT_SECONDS + 60;

function common(i: ServiceRestartInputs, recordedVersion = ""): string {
  return `svc=${shq(i.service)}; cdir=${shq(i.configDir)}; drv=${shq(i.driver)}; settle=${i.settleSeconds}; recorded=${shq(recordedVersion)}
pending=$STATE_DIR/restart-pending
${apiFunctions(i)}
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
  if api_present; then
    if api_owed; then ok=0; emit api_owed 1; else emit api_owed 0; fi
    systemctl is-active --quiet "$api_svc" || ok=0
    emit api_pid "$(systemctl show "$api_svc" -p MainPID --value 2>/dev/null || true)"
  else
    [ "$api_mode" != true ] || ok=0
    emit api_owed 0; emit api_pid ""
  fi
  emit drivers "$d"; emit healthy $ok
  emit pid "$(systemctl show "$svc" -p MainPID --value 2>/dev/null || true)"
}`;
}

/**
 * magnum-api resolves every cluster's and template's driver through a list it builds once per process
 * (magnum/drivers/common/driver.py, `Driver.definitions`), and imports the driver modules once: after a
 * change to the drivers only a new process serves the new list and code. It restarts after the service,
 * in the same round trip, so a rolling restart has at most one unit's API down at a time. The owed mark
 * is its own: taken from the service's before that one is cleared, cleared only by a verified restart.
 * A unit with no record of a verified API restart (grafted by an earlier release) owes one.
 */
function apiFunctions(i: ServiceRestartInputs): string {
  return `api_svc=${shq(i.apiService ?? "")}; api_mode=${shq(i.restartApi ?? "false")}
api_pending=$STATE_DIR/api-restart-pending; api_done=$STATE_DIR/api-restarted
api_load_state() { systemctl show "$api_svc" -p LoadState --value 2>/dev/null || true; }
# Installed (a unit file systemd knows, not masked): the charm runs magnum-api beside the conductor.
api_present() { [ -n "$api_svc" ] && [ "$api_mode" != false ] && [ "$(api_load_state)" = loaded ]; }
# No state directory: no release of the graft ever changed this unit, so its API owes nothing.
api_owed() { [ -e "$pending" ] || [ -e "$api_pending" ] || { [ -d "$STATE_DIR" ] && [ ! -e "$api_done" ]; }; }
# Before anything that clears the service's mark: the API owes the same restart.
api_take_mark() { if [ -e "$pending" ] && api_present; then : > "$api_pending"; fi; }
api_listening() { ss -Hltnp 2>/dev/null | grep -q "pid=$1,"; }
# Done when a NEW main pid is active and listening: the API binds its port only after loading the drivers.
restart_api() {
  local old st pid start=$SECONDS
  old=$(systemctl show "$api_svc" -p MainPID --value 2>/dev/null || true)
  say "restarting $api_svc"
  systemctl restart "$api_svc"
  while :; do
    st=$(systemctl is-active "$api_svc" 2>/dev/null || true)
    pid=$(systemctl show "$api_svc" -p MainPID --value 2>/dev/null || true)
    if [ "$st" = active ] && [ -n "$pid" ] && [ "$pid" != 0 ] && [ "$pid" != "$old" ] && api_listening "$pid"; then break; fi
    if [ "$st" = failed ] || { [ "$st" = inactive ] && [ $((SECONDS - start)) -gt 5 ]; }; then
      gate "$api_svc active after the restart" "$st; see /var/log/magnum/ and systemctl status $api_svc"
    fi
    [ $((SECONDS - start)) -lt ${START_TIMEOUT_SECONDS} ] || gate "$api_svc active with a new main pid that listens, ${START_TIMEOUT_SECONDS}s after the restart" "\${st:-unknown}, main pid \${pid:-none} (before: \${old:-none})"
    sleep 1
  done
  rm -f -- "$api_pending"; if [ -d "$STATE_DIR" ]; then : > "$api_done"; fi
  emit api_restarted 1
}
# After the service's restart: restart the API when owed (or down), never when it is left alone.
api_after_service() {
  if api_present; then
    if api_owed || ! systemctl is-active --quiet "$api_svc"; then restart_api; else emit api_restarted 0; fi
  else
    emit api_restarted 0
  fi
}`;
}

export function measureScript(p: ServiceRestartOutputs): string {
  return `${common(p, p.runningVersion ?? "")}\nmeasure`;
}

export function applyScript(i: ServiceRestartInputs): string {
  return `${common(i)}
# restartApi true: the unit must run the API; checked before anything restarts.
if [ "$api_mode" = true ] && ! api_present; then
  gate "$api_svc installed on the unit (restartApi true)" "LoadState $(api_load_state)"
fi
api_take_mark
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
api_after_service
measure "$d"`;
}

export function rollbackScript(p: ServiceRestartOutputs): string {
  return `${common(p)}
api_take_mark
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
rm -f -- "$pending"
# A destroy always completes: restartApi true does not stop it on a unit without the API.
api_after_service`;
}
