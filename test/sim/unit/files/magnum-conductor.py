#!/usr/local/lib/magnum-venv/bin/python3
"""Simulated magnum-conductor: oslo-parsed config, driver loading, and a status file for the stub API."""

import importlib.metadata
import json
import logging
import os
import signal
import sys
import time

from oslo_config import cfg

STATUS_FILE = "/run/magnum/conductor-status.json"
# One line per start that got as far as serving: when, which pid, what it loaded (for restart windows).
STARTS_FILE = "/run/magnum/conductor-starts.jsonl"
LOG = logging.getLogger("magnum.cmd.conductor")
CONF = cfg.CONF
CONF.register_cli_opts([cfg.StrOpt("log-file", help="Log file path.")])
CONF.register_opts(
    [
        cfg.StrOpt("trustee_domain_id"),
        cfg.StrOpt("trustee_domain_name"),
        cfg.StrOpt("trustee_domain_admin_id"),
        cfg.StrOpt("trustee_domain_admin_name"),
        cfg.StrOpt("trustee_domain_admin_password", secret=True),
    ],
    group="trust",
)


def setup_logging():
    handler = logging.FileHandler(CONF.log_file) if CONF.log_file else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s " + str(os.getpid()) + " %(levelname)s %(name)s [-] %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)


def load_drivers():
    loaded = {}
    for ep in importlib.metadata.entry_points(group="magnum.drivers"):
        try:
            loaded[ep.name] = (ep, ep.load())
        except Exception as e:
            LOG.error("Failed to load driver %s (%s): %s: %s", ep.name, ep.value, type(e).__name__, e)
            raise
        LOG.info("Loaded driver %s (%s)", ep.name, ep.value)
    return loaded


def group_value(group, name):
    try:
        return getattr(getattr(CONF, group), name)
    except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
        return None


def status(loaded):
    driver = loaded.get("k8s_capi_helm_v1")
    module = sys.modules.get(driver[0].module) if driver else None
    return {
        "pid": os.getpid(),
        "updatedAt": int(time.time() * 1000),
        "driverVersion": driver[0].dist.version if driver and driver[0].dist else None,
        "apiResources": getattr(module, "API_RESOURCES", None),
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
    try:
        CONF(sys.argv[1:], project="magnum", prog="magnum-conductor")
    except cfg.Error as e:
        sys.stderr.write("magnum-conductor: configuration error: %s\n" % e)
        return 1
    setup_logging()
    LOG.info("Starting magnum-conductor with config files %s, config dirs %s", CONF.config_file, CONF.config_dir)
    time.sleep(1.5)
    try:
        loaded = load_drivers()
    except Exception:
        return 1
    LOG.info("magnum-conductor started")
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
