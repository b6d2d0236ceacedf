#!/bin/bash
# Simulated systemctl for the one service a conductor unit runs. The unit is Type=simple:
# start returns as soon as the process is forked, before the daemon is ready.
set -u
STATE_ROOT=/run/systemd-sim
SERVICE_USER=magnum

unit_name() { local u=${1%.service}; echo "$u"; }

die() { echo "$1" >&2; exit "${2:-1}"; }

proc_alive() {
	local pid=$1 st
	[ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
	st=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ]
}

main_pid() { cat "$STATE_ROOT/$1/mainpid" 2>/dev/null; }

state_of() {
	local dir=$STATE_ROOT/$1 pid code
	pid=$(main_pid "$1")
	[ -n "$pid" ] || { echo inactive; return; }
	if proc_alive "$pid"; then echo active; return; fi
	# The supervisor records the exit code right after reaping; give it a moment.
	for _ in 1 2 3 4 5 6 7 8 9 10; do [ -f "$dir/exit" ] && break; sleep 0.1; done
	code=$(cat "$dir/exit" 2>/dev/null || echo 0)
	if [ -f "$dir/stopped" ] || [ "$code" = 0 ]; then echo inactive; else echo failed; fi
}

require_root() {
	[ "$(id -u)" = 0 ] || die "Failed to $1 $2.service: Interactive authentication required.
See system logs and 'systemctl status $2.service' for details." 1
}

known() {
	[ -x "/etc/init.d/$1" ] || die "Failed to $2 $1.service: Unit $1.service not found." 5
}

do_start() {
	local u=$1 dir=$STATE_ROOT/$1
	[ "$(state_of "$u")" = active ] && return 0
	mkdir -p "$dir"
	rm -f "$dir/mainpid" "$dir/exit" "$dir/stopped"
	# Detached supervisor: survives the caller's session, like a unit owned by PID 1.
	setsid -f /bin/bash -c '
		dir=$1; shift
		setpriv --reuid="$1" --regid="$1" --init-groups \
			env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/var/lib/magnum \
			LANG=C.UTF-8 "/etc/init.d/$2" systemd-start </dev/null >>"/var/log/magnum/$2.stdout.log" 2>&1 &
		pid=$!
		echo "$pid" >"$dir/mainpid.tmp" && mv "$dir/mainpid.tmp" "$dir/mainpid"
		wait "$pid"
		echo $? >"$dir/exit"
	' supervise "$dir" "$SERVICE_USER" "$u" </dev/null >/dev/null 2>&1
	for _ in $(seq 1 50); do [ -s "$dir/mainpid" ] && return 0; sleep 0.02; done
	die "Job for $u.service failed." 1
}

do_stop() {
	local u=$1 dir=$STATE_ROOT/$1 pid
	pid=$(main_pid "$u")
	if [ -n "$pid" ] && proc_alive "$pid"; then
		touch "$dir/stopped"
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 1 100); do proc_alive "$pid" || break; sleep 0.1; done
		proc_alive "$pid" && kill -KILL "$pid" 2>/dev/null
		for _ in $(seq 1 20); do [ -f "$dir/exit" ] && break; sleep 0.05; done
	fi
	return 0
}

show() {
	local u=$1 props=$2 value_only=$3 p v
	IFS=, read -ra list <<<"$props"
	for p in "${list[@]}"; do
		case "$p" in
		User) v=$SERVICE_USER ;;
		MainPID) v=0; [ "$(state_of "$u")" = active ] && v=$(main_pid "$u") ;;
		ActiveState) v=$(state_of "$u") ;;
		Type) v=simple ;;
		LoadState) v=not-found; [ -x "/etc/init.d/$u" ] && v=loaded ;;
		ExecStart) v="{ path=/etc/init.d/$u ; argv[]=/etc/init.d/$u systemd-start ; }" ;;
		*) v= ;;
		esac
		if [ "$value_only" = 1 ]; then echo "$v"; else echo "$p=$v"; fi
	done
}

props= value_only=0 quiet=0 args=()
while [ $# -gt 0 ]; do
	case "$1" in
	-p | --property) props=${props:+$props,}$2; shift ;;
	--property=*) props=${props:+$props,}${1#*=} ;;
	-p*) props=${props:+$props,}${1#-p} ;;
	--value) value_only=1 ;;
	-q | --quiet) quiet=1 ;;
	--no-pager | --no-legend | --full | -l) ;;
	-*) die "systemctl: unrecognized option '$1'" 1 ;;
	*) args+=("$1") ;;
	esac
	shift
done

verb=${args[0]:-}
[ ${#args[@]} -ge 2 ] || die "Too few arguments." 1
u=$(unit_name "${args[1]}")
case "$verb" in
start | stop | restart)
	require_root "$verb" "$u"
	known "$u" "$verb"
	case "$verb" in
	start) do_start "$u" ;;
	stop) do_stop "$u" ;;
	restart)
		# When each restart began (ms), for the tests' restart windows; the daemon records when it is back.
		mkdir -p "$STATE_ROOT/$u" && echo "$(date +%s%3N)" >>"$STATE_ROOT/$u/restarts"
		do_stop "$u" && do_start "$u"
		;;
	esac
	;;
is-active)
	s=$(state_of "$u")
	[ "$quiet" = 1 ] || echo "$s"
	[ "$s" = active ]
	;;
is-failed)
	s=$(state_of "$u")
	[ "$quiet" = 1 ] || echo "$s"
	[ "$s" = failed ]
	;;
show)
	show "$u" "${props:-User,MainPID,ActiveState}" "$value_only"
	;;
status)
	s=$(state_of "$u")
	echo "* $u.service - LSB: OpenStack Magnum Conductor"
	echo "     Active: $s"
	[ "$s" = active ] && echo "   Main PID: $(main_pid "$u") (magnum-conducto)"
	[ "$s" = active ] || exit 3
	;;
*) die "Unknown command verb $verb." 1 ;;
esac
