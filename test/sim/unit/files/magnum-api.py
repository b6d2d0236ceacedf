#!/usr/local/lib/magnum-venv/bin/python3
"""magnum-api for the simulated unit: the start-up of magnum.cmd.api.main with the real magnum (config
parsing, oslo.log, the listing of every magnum.drivers entry point, which imports each driver module), then
werkzeug's server as magnum-api runs it, with one worker: each request runs in this process. Its one route
resolves a cluster type through magnum's own Driver.get_driver, the call magnum/api/validation.py makes for
every cluster and cluster template, so the class-level driver cache behaves as in the real API. Keystone,
pecan and the database stay out: the sim has none of them. It listens on an ephemeral loopback port (the
units share the host's network) and writes the port to a file for the tests."""

import json
import os
import sys
import time

from magnum.common import exception
from magnum.common import service as magnum_service
from magnum.drivers.common import driver as driver_module
from oslo_log import log as logging
from werkzeug import serving
from werkzeug.wrappers import Request, Response

PORT_FILE = "/run/magnum/api-port"
# One line per start that got as far as listening: when, which pid (for the rolling order).
STARTS_FILE = "/run/magnum/api-starts.jsonl"
LOG = logging.getLogger("magnum.cmd.api")


def app_for(loaded):
    def app(environ, start_response):
        req = Request(environ)
        if req.path == "/loaded":
            # What this process imported at start: the driver code every request in it runs.
            body, code = {"pid": os.getpid(), "drivers": loaded}, 200
        elif req.path == "/resolve":
            kind = (req.args.get("server_type"), req.args.get("os"), req.args.get("coe"))
            try:
                driver_module.Driver.get_driver(*kind)
                name = driver_module.Driver.get_drivers()[kind]["entry_point_name"]
                body, code = {"pid": os.getpid(), "driver": name}, 200
            except exception.ClusterTypeNotSupported as e:
                body, code = {"pid": os.getpid(), "error": str(e)}, 400
        else:
            body, code = {"error": "not found"}, 404
        return Response(json.dumps(body), status=code, mimetype="application/json")(environ, start_response)

    return app


def main():
    magnum_service.prepare_service(sys.argv)
    LOG.info("Starting server in PID %s", os.getpid())
    loaded = {ep.name: (ep.dist.version if ep.dist else None) for ep, _ in driver_module.Driver.load_entry_points()}
    LOG.info("Loaded drivers: %s", sorted(loaded))
    server = serving.make_server("127.0.0.1", 0, app_for(loaded), processes=1)
    tmp = PORT_FILE + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_port)
    os.rename(tmp, PORT_FILE)
    with open(STARTS_FILE, "a") as f:
        f.write(json.dumps({"pid": os.getpid(), "at": int(time.time() * 1000)}) + "\n")
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
