#!/usr/bin/python3 -I
"""Fake helm @HELM_VERSION@: `version` and `list` against a kube API's secrets, TLS verified as helm does."""

import base64
import json
import os
import ssl
import sys
import urllib.error
import urllib.request

VERSION = "@HELM_VERSION@"


def fail(msg):
    sys.stderr.write("Error: %s\n" % msg)
    sys.exit(1)


def parse_scalar(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def parse_flow_map(text):
    out = {}
    for part in text.strip()[1:-1].split(","):
        if ":" in part:
            k, v = part.split(":", 1)
            out[k.strip()] = parse_scalar(v)
    return out


def parse_value(text):
    text = text.strip()
    return parse_flow_map(text) if text.startswith("{") else parse_scalar(text)


def parse_yaml(lines, indent=0):
    """Block mappings, block sequences of mappings and flow maps: the kubeconfig subset we emit."""
    result = None
    while lines:
        raw = lines[0]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            lines.pop(0)
            continue
        cur = len(raw) - len(raw.lstrip(" "))
        if cur < indent or (isinstance(result, list) and not stripped.startswith("- ")):
            break
        if stripped.startswith("- "):
            if result is None:
                result = []
            lines.pop(0)
            # A list item's mapping continues at the column after "- ".
            lines.insert(0, " " * (cur + 2) + stripped[2:])
            result.append(parse_yaml(lines, cur + 2))
            continue
        if result is None:
            result = {}
        lines.pop(0)
        key, _, rest = stripped.partition(":")
        if rest.strip():
            result[key.strip()] = parse_value(rest)
        else:
            nxt = next((l for l in lines if l.strip()), "")
            nind = len(nxt) - len(nxt.lstrip(" "))
            if nind > cur or (nind == cur and nxt.strip().startswith("- ")):
                result[key.strip()] = parse_yaml(lines, nind)
            else:
                result[key.strip()] = None
    return result


def named(items, name):
    for item in items or []:
        if isinstance(item, dict) and item.get("name") == name:
            return item
    return {}


def load_kubeconfig(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        fail("Kubernetes cluster unreachable: open %s: %s" % (path, (e.strerror or str(e)).lower()))
    cfg = parse_yaml(text.splitlines()) if text.strip() else None
    if not isinstance(cfg, dict):
        fail(
            'Kubernetes cluster unreachable: Get "http://localhost:8080/version": '
            "dial tcp 127.0.0.1:8080: connect: connection refused"
        )
    ctx = named(cfg.get("contexts"), cfg.get("current-context")).get("context") or {}
    cluster = named(cfg.get("clusters"), ctx.get("cluster")).get("cluster") or {}
    user = named(cfg.get("users"), ctx.get("user")).get("user") or {}
    if not cluster.get("server"):
        fail("Kubernetes cluster unreachable: invalid configuration: no configuration has been provided")
    return cluster["server"].rstrip("/"), user.get("token") or "", tls_context(cluster)


def tls_context(cluster):
    """Trust the kubeconfig's CA (inline or a file) or else the system's, as client-go does."""
    try:
        if cluster.get("certificate-authority-data"):
            pem = base64.b64decode(cluster["certificate-authority-data"]).decode()
            return ssl.create_default_context(cadata=pem)
        if cluster.get("certificate-authority"):
            return ssl.create_default_context(cafile=cluster["certificate-authority"])
    except (ValueError, OSError, ssl.SSLError) as e:
        fail("Kubernetes cluster unreachable: unable to load root certificates: %s" % e)
    return ssl.create_default_context()


def kubeconfig_path(args):
    for i, a in enumerate(args):
        if a == "--kubeconfig" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--kubeconfig="):
            return a.split("=", 1)[1]
    if os.environ.get("KUBECONFIG"):
        return os.environ["KUBECONFIG"].split(":")[0]
    return os.path.join(os.path.expanduser("~"), ".kube", "config")


def fetch_secrets(server, token, tls, namespace):
    """All namespaces (None) or one, as helm's Secret storage driver lists them."""
    scope = "/namespaces/%s" % namespace if namespace else ""
    url = server + "/api/v1" + scope + "/secrets?labelSelector=owner%3Dhelm"
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=10, context=tls) as r:
            body = r.read()
    except urllib.error.HTTPError as e:
        if e.code == 401:
            fail("query: failed to query with labels: Unauthorized")
        fail("query: failed to query with labels: the server responded with status %s" % e.code)
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        if isinstance(reason, ssl.SSLCertVerificationError):
            reason = "tls: failed to verify certificate: x509: %s" % reason.verify_message
        fail('Kubernetes cluster unreachable: Get "%s/version": %s' % (server, reason))
    try:
        return json.loads(body).get("items", [])
    except ValueError:
        fail("query: failed to query with labels: invalid response from the server")


def releases(items):
    latest = {}
    for item in items:
        meta = item.get("metadata", {})
        labels = meta.get("labels", {})
        key = (meta.get("namespace", ""), labels.get("name", ""))
        rev = int(labels.get("version", "1") or 1)
        if key not in latest or rev > latest[key]["revision"]:
            latest[key] = {
                "name": labels.get("name", ""),
                "namespace": meta.get("namespace", ""),
                "revision": rev,
                "updated": meta.get("creationTimestamp", "2025-01-01 00:00:00 +0000 UTC"),
                "status": labels.get("status", "deployed"),
                "chart": labels.get("chart", "unknown"),
                "app_version": labels.get("app_version", ""),
            }
    return sorted(latest.values(), key=lambda r: (r["name"], r["namespace"]))


def print_table(rows):
    header = ["NAME", "NAMESPACE", "REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION"]
    keys = ["name", "namespace", "revision", "updated", "status", "chart", "app_version"]
    table = [header] + [[str(r[k]) for k in keys] for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("\t".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())


def flag(args, short, long, default):
    value = default
    for i, a in enumerate(args):
        if a in (short, long) and i + 1 < len(args):
            value = args[i + 1]
        elif a.startswith(long + "="):
            value = a.split("=", 1)[1]
    return value


def cmd_list(args):
    output = flag(args, "-o", "--output", "table")
    namespace = flag(args, "-n", "--namespace", "default")
    if "-A" in args or "--all-namespaces" in args:
        namespace = None
    server, token, tls = load_kubeconfig(kubeconfig_path(args))
    rows = releases(fetch_secrets(server, token, tls, namespace))
    if output == "json":
        print(json.dumps(rows))
    else:
        print_table(rows)


def main(argv):
    positional = []
    skip = False
    for i, a in enumerate(argv):
        if skip:
            skip = False
            continue
        if a in ("--kubeconfig", "-o", "--output", "-n", "--namespace"):
            skip = True
        elif not a.startswith("-"):
            positional.append(a)
    cmd = positional[0] if positional else ""
    if cmd == "version":
        if "--short" in argv:
            print("%s+gabc1234" % VERSION)
        else:
            print('version.BuildInfo{Version:"%s", GitCommit:"abc1234", GoVersion:"go1.23.7"}' % VERSION)
    elif cmd in ("list", "ls"):
        cmd_list(argv)
    else:
        fail('unknown command "%s" for "helm"' % cmd)


if __name__ == "__main__":
    main(sys.argv[1:])
