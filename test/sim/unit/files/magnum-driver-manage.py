#!/usr/local/lib/magnum-venv/bin/python3
"""Simulated magnum-driver-manage: loads the magnum.drivers entry points with magnum's default config."""

import importlib.metadata
import sys

from oslo_config import cfg


def table(rows):
    header = ["Name", "Entry Point"]
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(2)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    fmt = lambda r: "| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(r)) + " |"
    return "\n".join([line, fmt(header), line] + [fmt(r) for r in rows] + [line])


def main(argv):
    if argv[:1] != ["list-drivers"]:
        sys.stderr.write("usage: magnum-driver-manage list-drivers\n")
        return 2
    try:
        cfg.CONF([], project="magnum", prog="magnum-driver-manage")
    except cfg.Error as e:
        sys.stderr.write("magnum-driver-manage: %s\n" % e)
        return 1
    rows = []
    for ep in importlib.metadata.entry_points(group="magnum.drivers"):
        try:
            ep.load()
        except Exception as e:
            sys.stderr.write("Failed to load driver %s: %s: %s\n" % (ep.name, type(e).__name__, e))
            return 1
        rows.append([ep.name, ep.value])
    print(table(sorted(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
