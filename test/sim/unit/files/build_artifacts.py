"""Builds the PEP 503 index of the released driver wheels in WHEELHOUSE and fake helm tarballs into OUT."""

import glob
import hashlib
import io
import os
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
HELM_VERSIONS = ["v3.17.3", "v3.16.0"]


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def build_index(wheels, simple_dir):
    project_dir = os.path.join(simple_dir, "magnum-capi-helm")
    os.makedirs(project_dir)
    with open(os.path.join(simple_dir, "index.html"), "w") as f:
        f.write('<!DOCTYPE html>\n<html><body>\n<a href="magnum-capi-helm/">magnum-capi-helm</a>\n</body></html>\n')
    links = "".join(
        '<a href="../../wheels/%s#sha256=%s">%s</a><br/>\n'
        % (os.path.basename(w), sha256_file(w), os.path.basename(w))
        for w in wheels
    )
    with open(os.path.join(project_dir, "index.html"), "w") as f:
        f.write("<!DOCTYPE html>\n<html><body>\n%s</body></html>\n" % links)


def add_bytes(tar, name, data, mode):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = mode
    ti.mtime = 1735689600
    tar.addfile(ti, io.BytesIO(data))


def build_helm(version, helm_dir):
    with open(os.path.join(HERE, "helm.py"), encoding="utf-8") as f:
        script = f.read().replace("@HELM_VERSION@", version).encode()
    name = "helm-%s-linux-amd64.tar.gz" % version
    path = os.path.join(helm_dir, name)
    with tarfile.open(path, "w:gz") as tar:
        add_bytes(tar, "linux-amd64/helm", script, 0o755)
        add_bytes(tar, "linux-amd64/LICENSE", b"Apache License 2.0 (simulated helm)\n", 0o644)
        add_bytes(tar, "linux-amd64/README.md", b"Simulated helm for magnum-capi-graft tests.\n", 0o644)
    with open(path + ".sha256sum", "w") as f:
        f.write("%s  %s\n" % (sha256_file(path), name))


def main(out, wheelhouse):
    helm_dir = os.path.join(out, "helm")
    os.makedirs(helm_dir)
    # The index serves only the driver: the graft installs it with --no-deps, its imports are the unit's stack.
    os.symlink(wheelhouse, os.path.join(out, "wheels"))
    drivers = sorted(glob.glob(os.path.join(wheelhouse, "magnum_capi_helm-*.whl")))
    if len(drivers) != 2:
        sys.exit("expected the 1.3.0 and 1.4.0 magnum-capi-helm wheels in %s, found %s" % (wheelhouse, drivers))
    build_index(drivers, os.path.join(out, "simple"))
    for v in HELM_VERSIONS:
        build_helm(v, helm_dir)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
