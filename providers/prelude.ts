// The bash library every provider script starts with. Scripts run as root on the unit (one sudo per
// round trip) and report through stdout lines `key=value`; exit 3 is a failed gate.

export const STATE_DIR = "/var/lib/magnum-capi-graft";

export const PRELUDE = String.raw`set -euo pipefail
export LC_ALL=C
umask 022
STATE_DIR=${STATE_DIR}
emit() { printf '%s=%s\n' "$1" "$2"; }
say() { printf '@@progress %s\n' "$*" >&2; }
gate() { emit fail.expected "$1"; emit fail.seen "$2"; exit 3; }
state_init() { install -d -m 0700 "$STATE_DIR" "$STATE_DIR/snapshots"; }
# Anything that changes what the daemon loads marks a restart as owed, before it changes it, so
# an interrupted run still restarts next time.
mark_restart() { state_init; : > "$STATE_DIR/restart-pending"; }
# The unit's python3 meets the floor $1 ("" for none known) of what $2 names; sets pyver.
python_floor() {
  pyver=$(python3 --version 2>&1 | sed -n 's/^Python \([0-9][0-9.]*\).*/\1/p')
  [ -n "$pyver" ] || gate "python3 --version to print a version" "$(python3 --version 2>&1 | tail -n 1)"
  if [ -n "$1" ] && ! printf '%s\n%s\n' "$1" "$pyver" | sort -V -C; then gate "Python >= $1 for $2" "Python $pyver"; fi
}
snap_dir() { printf '%s/snapshots/%s' "$STATE_DIR" "$(printf '%s' "$1" | sha256sum | cut -c1-32)"; }
# The pre-graft copy of a path, taken once: an existing snapshot is never replaced, so a rerun
# after a partial change cannot overwrite the original with graft content.
snapshot() {
  local d; d=$(snap_dir "$1")
  [ -d "$d" ] && return 0
  state_init
  rm -rf -- "$d.tmp"; mkdir -m 0700 -- "$d.tmp"
  printf '%s\n' "$1" > "$d.tmp/path"
  if [ -d "$1" ]; then : > "$d.tmp/was-dir"
  elif [ -e "$1" ]; then cp -a -- "$1" "$d.tmp/content"
  fi
  mv -T -- "$d.tmp" "$d"
}
# 1 when the graft keeps a pre-graft copy of the path: only then has a rollback anything to put back.
has_original() { if [ -e "$(snap_dir "$1")/content" ]; then echo 1; else echo 0; fi; }
attrs() { stat -c '%a %U %G' -- "$1"; }
# Puts back what the snapshot holds. rollback keeps paths that did not exist before; remove
# deletes them and forgets the snapshot. Safe to rerun: a second run finds nothing to do.
restore() {
  local path=$1 mode=$2 d; d=$(snap_dir "$1")
  [ -d "$d" ] || return 0
  if [ -e "$d/content" ]; then
    if [ ! -e "$path" ] || ! cmp -s -- "$d/content" "$path" || [ "$(attrs "$d/content")" != "$(attrs "$path")" ]; then
      mark_restart
      cp -a -- "$d/content" "$path.graft-restore"
      mv -T -- "$path.graft-restore" "$path"
    fi
  elif [ ! -e "$d/was-dir" ] && [ "$mode" = remove ]; then
    if [ -d "$path" ]; then rmdir -- "$path" 2>/dev/null || true
    elif [ -e "$path" ]; then mark_restart; rm -f -- "$path"
    fi
  fi
  if [ "$mode" = remove ]; then rm -rf -- "$d"; fi
}
`;
