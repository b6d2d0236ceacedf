#!/bin/bash
# Builds a conductor unit's private view inside fresh mount/pid/uts namespaces.
# Inputs (environment): SIM_WORK SIM_FILES SIM_ARTIFACTS SIM_STACK SIM_HOSTNAME SIM_TRUST_FORM
# SIM_TRUST_PASSWORD_FILE SIM_DRIVER SIM_HELM SIM_ETC_DEFAULT_FILE SIM_PYTHON SIM_PYTHON_SHOWN SIM_API
# SIM_PRE_GRAFT_DRIVER SIM_IDENTITY_URI (the public identity endpoint, loopback only: the preflight
# handshakes with it when it is https).
set -euo pipefail

OVERLAID=(/etc /usr/local /var/lib /var/log /var/cache /opt)
VENV=/usr/local/lib/magnum-venv
STACK=/usr/local/lib/magnum-stack

mount --make-rprivate /

overlay_or_copy() {
	local target=$1 name
	name=$(echo "${target#/}" | tr / _)
	mkdir -p "$SIM_WORK/upper/$name" "$SIM_WORK/ovl-work/$name"
	if mount -t overlay "sim-$name" -o "lowerdir=$target,upperdir=$SIM_WORK/upper/$name,workdir=$SIM_WORK/ovl-work/$name" "$target" 2>/dev/null; then
		return
	fi
	# No overlayfs: a private copy bound over the original is the fallback.
	echo "overlayfs unavailable for $target, using a bind-mounted copy" >&2
	rm -rf "$SIM_WORK/upper/$name"
	cp -a "$target" "$SIM_WORK/upper/$name"
	mount --bind "$SIM_WORK/upper/$name" "$target"
}

mkdir -p "$SIM_WORK/run/magnum"
for d in "${OVERLAID[@]}"; do overlay_or_copy "$d"; done
# The conductor's python, as a deb-installed magnum would be: the real magnum stack (pip included), shared
# read-only by every unit, beneath a venv of the unit's own where pip installs the driver.
mkdir -p "$STACK"
mount --bind "$SIM_STACK" "$STACK"
mount -o remount,bind,ro "$STACK"
PY=$VENV/bin/python3
if [ "$SIM_PYTHON" = system ]; then
	. "$SIM_FILES/system-python.sh"
else
	/usr/bin/python3 -m venv --without-pip "$VENV"
	# addsitedir, not a bare path: the stack's own .pth files (namespace packages) must run too.
	echo "import site; site.addsitedir('$STACK')" >"$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/magnum-stack.pth"
fi
# Before /root is hidden: the wheelhouse lives in the host's cache. The unit's pip as the charm would
# have run it, past a PEP 668 marker (the variable is ignored in a venv).
if [ -n "$SIM_DRIVER" ]; then
	PIP_BREAK_SYSTEM_PACKAGES=1 "$PY" -m pip install -q --no-index --no-deps --no-cache-dir --disable-pip-version-check \
		--root-user-action=ignore --find-links "$SIM_ARTIFACTS/wheels" "magnum-capi-helm==$SIM_DRIVER"
fi
for d in /run /home /root /var/tmp; do
	name=$(echo "${d#/}" | tr / _)
	mkdir -p "$SIM_WORK/$name"
	mount --bind "$SIM_WORK/$name" "$d"
done
chmod 0755 /run /home
chmod 0700 /root
chmod 1777 /var/tmp

hostname "$SIM_HOSTNAME"
echo "$SIM_HOSTNAME" >/etc/hostname
echo "127.0.1.1 $SIM_HOSTNAME" >>/etc/hosts

# Users exist only in this view; uid 1000 may be taken on the host, so let useradd pick.
useradd --create-home --shell /bin/bash --user-group ubuntu
useradd --system --home-dir /var/lib/magnum --create-home --shell /usr/sbin/nologin --user-group magnum
mkdir -p /etc/sudoers.d
echo "ubuntu ALL=(ALL) NOPASSWD:ALL" >/etc/sudoers.d/90-cloud-init-users
chmod 0440 /etc/sudoers.d/90-cloud-init-users

shown=
if [ -n "$SIM_PYTHON_SHOWN" ]; then
	shown="case \"\$1\" in --version | -V) echo 'Python $SIM_PYTHON_SHOWN'; exit 0 ;; esac\n"
fi
for tool in python3 python; do
	printf '#!/bin/sh\n%bexec %s "$@"\n' "$shown" "$PY" >"/usr/local/bin/$tool"
done
for tool in pip pip3; do
	printf '#!/bin/sh\nexec %s -m pip "$@"\n' "$PY" >"/usr/local/bin/$tool"
done
sed "1s|.*|#!$PY|" "$SIM_FILES/magnum-conductor.py" >/usr/local/bin/magnum-conductor
# magnum's console script as pip wrote it into the stack, run by the unit's python instead of the host's.
sed "1s|.*|#!$PY|" "$STACK/bin/magnum-driver-manage" >/usr/local/bin/magnum-driver-manage
install -m 0755 "$SIM_FILES/systemctl.sh" /usr/local/bin/systemctl
install -m 0755 "$SIM_FILES/magnum-conductor.init" /etc/init.d/magnum-conductor
chmod 0755 /usr/local/bin/python3 /usr/local/bin/python /usr/local/bin/pip /usr/local/bin/pip3 /usr/local/bin/magnum-driver-manage \
	/usr/local/bin/magnum-conductor

install -d -o root -g magnum -m 0750 /etc/magnum
install -d -o magnum -g adm -m 0750 /var/log/magnum
install -d -o magnum -g magnum -m 0755 /run/magnum
password=$(cat "$SIM_TRUST_PASSWORD_FILE")
if [ "$SIM_TRUST_FORM" = id ]; then
	trust="trustee_domain_id = 8a4f2f0f3f1c4b0e9b6c2d1e5a7f9c30
trustee_domain_admin_id = 3c5e7a9b1d2f4e6a8c0b2d4f6a8c0e12"
else
	trust="trustee_domain_name = magnum
trustee_domain_admin_name = magnum_domain_admin"
fi
umask 027
cat >/etc/magnum/magnum.conf <<CONF
###############################################################################
# [ WARNING ]
# Configuration file maintained by Juju. Local changes may be overwritten.
###############################################################################
[DEFAULT]
debug = False
host = $SIM_HOSTNAME
transport_url = rabbit://magnum:rabbit-secret@10.12.4.10:5672/openstack
state_path = /var/lib/magnum

[database]
connection = mysql+pymysql://magnum:db-secret@10.12.4.11/magnum

[keystone_authtoken]
auth_type = password
www_authenticate_uri = ${SIM_IDENTITY_URI:-http://127.0.0.1:5000/v3}
username = magnum
password = keystone-secret

[trust]
$trust
trustee_domain_admin_password = $password
trustee_keystone_interface = internal

[certificates]
cert_manager_type = x509keypair
CONF
umask 022
chown root:magnum /etc/magnum/magnum.conf
chmod 0640 /etc/magnum/magnum.conf

if [ -n "$SIM_ETC_DEFAULT_FILE" ]; then
	install -m 0644 "$SIM_ETC_DEFAULT_FILE" /etc/default/magnum-conductor
fi
if [ -n "$SIM_HELM" ]; then
	tar -xzf "$SIM_ARTIFACTS/helm/helm-$SIM_HELM-linux-amd64.tar.gz" -C /tmp linux-amd64/helm
	install -m 0755 /tmp/linux-amd64/helm /usr/local/bin/helm
	rm -rf /tmp/linux-amd64
fi

# magnum-api (and a pre-graft driver) per SIM_API and SIM_PRE_GRAFT_DRIVER.
. "$SIM_FILES/magnum-api-setup.sh"

# The host /tmp (which may hold the artifacts and this unit's work dir) disappears from view last.
mkdir -p "$SIM_WORK/tmp"
mount --bind "$SIM_WORK/tmp" /tmp
chmod 1777 /tmp
/usr/local/bin/systemctl start magnum-conductor
[ ! -x /etc/init.d/magnum-api ] || /usr/local/bin/systemctl start magnum-api
