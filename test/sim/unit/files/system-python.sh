# Sourced by unit-setup.sh for SIM_PYTHON=system: the conductor's python3 as Ubuntu noble has it, a system
# interpreter (no venv: sys.prefix == sys.base_prefix) whose stdlib directory carries the PEP 668 marker,
# with magnum importable from lib/python3/dist-packages where the debs put it, and pip installing into
# local/lib/python3.X/dist-packages (Debian's posix_local scheme, /usr/local on a real unit).
# It is the host's Debian python under a prefix of its own: /usr itself is the host's, shared by every unit.
# Sets PY. Uses STACK.

SYSTEM_PYTHON=/usr/local/lib/magnum-system-python
ver=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
stdlib=$SYSTEM_PYTHON/lib/python$ver
mkdir -p "$SYSTEM_PYTHON/bin" "$stdlib" "$SYSTEM_PYTHON/lib/python3/dist-packages" \
	"$SYSTEM_PYTHON/local/lib/python$ver/dist-packages"
# A copy, not a link: python takes its prefix from where its binary really is (a link resolves to /usr).
cp "$(readlink -f /usr/bin/python3)" "$SYSTEM_PYTHON/bin/python3"
# The stdlib by links; the marker is this prefix's own, whatever the host has.
for entry in "/usr/lib/python$ver"/*; do
	[ "${entry##*/}" = EXTERNALLY-MANAGED ] || ln -s "$entry" "$stdlib/${entry##*/}"
done
cat >"$stdlib/EXTERNALLY-MANAGED" <<'MARKER'
[externally-managed]
Error=To install Python packages system-wide, try apt install
 python3-xyz, where xyz is the package you are trying to
 install.
MARKER
echo "import site; site.addsitedir('$STACK')" >"$SYSTEM_PYTHON/lib/python3/dist-packages/magnum-stack.pth"
PY=$SYSTEM_PYTHON/bin/python3
