"""Builds the sim wheelhouse, PEP 503 index and fake helm tarballs into OUT (no network)."""

import base64
import hashlib
import io
import os
import sys
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER_SRC = os.path.join(HERE, "driver")
WHEEL_VERSIONS = ["1.3.0", "1.4.0"]
HELM_VERSIONS = ["v3.17.3", "v3.16.0"]
DIST = "magnum_capi_helm"


def record_hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def module_files(version):
    files = {}
    for name in sorted(os.listdir(DRIVER_SRC)):
        with open(os.path.join(DRIVER_SRC, name), encoding="utf-8") as f:
            text = f.read()
        files[DIST + "/" + name] = text.replace("@VERSION@", version).encode()
    return files


def build_wheel(version, out_dir):
    info = "%s-%s.dist-info" % (DIST, version)
    files = module_files(version)
    files[info + "/METADATA"] = (
        "Metadata-Version: 2.1\nName: magnum-capi-helm\nVersion: %s\n"
        "Summary: Cluster API Helm driver for OpenStack Magnum (simulated)\n"
        "Requires-Python: >=3.8\nRequires-Dist: oslo.config\n" % version
    ).encode()
    files[info + "/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: sim-build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[info + "/entry_points.txt"] = b"[magnum.drivers]\nk8s_capi_helm_v1 = magnum_capi_helm.driver:Driver\n"
    files[info + "/top_level.txt"] = (DIST + "\n").encode()
    record = "".join("%s,%s,%d\n" % (n, record_hash(d), len(d)) for n, d in files.items())
    files[info + "/RECORD"] = (record + info + "/RECORD,,\n").encode()
    path = os.path.join(out_dir, "%s-%s-py3-none-any.whl" % (DIST, version))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            zi = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            zi.external_attr = 0o644 << 16
            z.writestr(zi, data)
    return path


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


def main(out):
    wheel_dir = os.path.join(out, "wheels")
    helm_dir = os.path.join(out, "helm")
    os.makedirs(wheel_dir)
    os.makedirs(helm_dir)
    wheels = [build_wheel(v, wheel_dir) for v in WHEEL_VERSIONS]
    build_index(wheels, os.path.join(out, "simple"))
    for v in HELM_VERSIONS:
        build_helm(v, helm_dir)


if __name__ == "__main__":
    main(sys.argv[1])
