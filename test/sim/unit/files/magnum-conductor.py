#!/usr/local/lib/magnum-venv/bin/python3
"""magnum-conductor for the simulated unit: the start-up of magnum.cmd.conductor.main with the real magnum
(config parsing, oslo.log, loading every magnum.drivers entry point, whose failure ends the process as it
does on a real unit), then a stand-in service loop: the real one needs RabbitMQ and a database, which the
sim has not. The loop writes a status file for the stub Magnum API instead of serving RPC."""

import json
import os
import signal
import sys
import time

from magnum.common import service as magnum_service
import magnum.conf
from magnum.drivers.common import driver as driver_module
from oslo_config import cfg
from oslo_log import log as logging

STATUS_FILE = "/run/magnum/conductor-status.json"
# One line per start that got as far as serving: when, which pid, what it loaded (for restart windows).
STARTS_FILE = "/run/magnum/conductor-starts.jsonl"
CONF = magnum.conf.CONF
LOG = logging.getLogger("magnum.cmd.conductor")


def group_value(group, name):
    try:
        return getattr(getattr(CONF, group), name)
    except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
        return None


def status(loaded):
    driver = loaded.get("k8s_capi_helm_v1")
    # The driver registers api_resources (1.4.0 on) and parses it the same way when it talks to the cluster.
    api_resources = group_value("capi_helm", "api_resources") if driver else None
    return {
        "pid": os.getpid(),
        "updatedAt": int(time.time() * 1000),
        "driverVersion": driver.dist.version if driver and driver.dist else None,
        "apiResources": json.loads(api_resources) if api_resources is not None else None,
        "configDirs": list(CONF.config_dir or []),
        "kubeconfigFile": group_value("capi_helm", "kubeconfig_file") or None,
        "helmChartVersion": group_value("capi_helm", "default_helm_chart_version"),
    }


def write_status(data):
    tmp = STATUS_FILE + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.rename(tmp, STATUS_FILE)


def main():
    running = [True]
    signal.signal(signal.SIGTERM, lambda *_: running.__setitem__(0, False))
    magnum_service.prepare_service(sys.argv)
    LOG.info("Starting server in PID %s", os.getpid())
    loaded = {ep.name: ep for ep, _ in driver_module.Driver.load_entry_points()}
    LOG.info("Loaded drivers: %s", sorted(loaded))
    with open(STARTS_FILE, "a") as f:
        s = status(loaded)
        f.write(json.dumps({"pid": s["pid"], "at": s["updatedAt"], "drivers": sorted(loaded), "driverVersion": s["driverVersion"]}) + "\n")
    while running[0]:
        write_status(status(loaded))
        time.sleep(1)
    os.unlink(STATUS_FILE)
    LOG.info("magnum-conductor stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
