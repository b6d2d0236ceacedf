"""Fetches the released magnum-capi-helm wheels and the pinned magnum stack from PyPI into OUT.

OUT/wheels holds every wheel (the units' find-links and, for the driver, the served index);
OUT/stack is the stack installed once with --target, which each unit mounts read-only into its venv.
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
STACK = os.path.join(HERE, "magnum-stack.txt")
DRIVER_VERSIONS = ["1.3.0", "1.4.0"]
PIP = [sys.executable, "-I", "-m", "pip", "--disable-pip-version-check", "--no-input"]
# Published wheels only, so nothing compiles. simplegeneric (imported by WSME, which magnum's API code and so
# the driver import) has only an sdist: pure python, built with Debian's setuptools rather than an unpinned
# one fetched into an isolated build environment.
FORMATS = ["--only-binary", ":all:", "--no-binary", "simplegeneric", "--no-build-isolation"]


def pip(*args):
    subprocess.run(PIP + list(args), check=True, stdout=subprocess.DEVNULL)


def main(out):
    wheels = os.path.join(out, "wheels")
    pip("wheel", "--no-deps", *FORMATS, "--wheel-dir", wheels, "-r", STACK)
    # One version per pip run: pip refuses two pins of one project in a single resolution.
    for v in DRIVER_VERSIONS:
        pip("download", "--no-deps", "--only-binary", ":all:", "--dest", wheels, "magnum-capi-helm==%s" % v)
    # --target installs every pin in isolation from the host's packages and compiles them once.
    pip("install", "--root-user-action=ignore", "--no-deps", "--no-index", "--find-links", wheels, "--target", os.path.join(out, "stack"), "-r", STACK)


if __name__ == "__main__":
    main(sys.argv[1])
