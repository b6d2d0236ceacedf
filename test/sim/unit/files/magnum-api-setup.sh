# Sourced by unit-setup.sh (its PY, the unit's python3, and STACK), before the conductor starts. Inputs
# (environment):
# SIM_API (1: the unit runs magnum-api beside the conductor, as the charm's units do; 0: it has none)
# and SIM_PRE_GRAFT_DRIVER (1: a driver the site served before the graft, so the API's cache is filled).

if [ "${SIM_PRE_GRAFT_DRIVER:-0}" = 1 ]; then
	# A heat-era driver as an installed distribution: an entry point of the magnum.drivers group whose
	# class provides one cluster type (all that magnum's Driver.get_drivers and list-drivers read of it).
	site=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
	cat >"$site/sim_heat_driver.py" <<'PY'
class Driver:
    beta = False
    provides = [{"server_type": "vm", "os": "fedora-coreos", "coe": "kubernetes"}]
PY
	mkdir -p "$site/sim_heat_driver-1.0.dist-info"
	printf 'Metadata-Version: 2.1\nName: sim-heat-driver\nVersion: 1.0\n' >"$site/sim_heat_driver-1.0.dist-info/METADATA"
	printf '[magnum.drivers]\nk8s_fedora_coreos_v1 = sim_heat_driver:Driver\n' >"$site/sim_heat_driver-1.0.dist-info/entry_points.txt"
	printf 'sim_heat_driver.py,,\nsim_heat_driver-1.0.dist-info/METADATA,,\nsim_heat_driver-1.0.dist-info/entry_points.txt,,\nsim_heat_driver-1.0.dist-info/RECORD,,\n' \
		>"$site/sim_heat_driver-1.0.dist-info/RECORD"
fi
if [ "${SIM_API:-1}" = 1 ]; then
	sed "1s|.*|#!$PY|" "$SIM_FILES/magnum-api.py" >/usr/local/bin/magnum-api
	chmod 0755 /usr/local/bin/magnum-api
	install -m 0755 "$SIM_FILES/magnum-api.init" /etc/init.d/magnum-api
fi
