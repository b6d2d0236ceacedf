// The one Python reader of kubeconfigs, for the probes that python3 runs (stdlib, and PyYAML for a
// YAML kubeconfig: Magnum depends on it on a conductor, the openstack CLI where Pulumi runs). A probe
// prepends it and calls kube_connection. It reads the current context as client-go does: that
// context's cluster (its CA alone, when it names one) and its user's token or client certificate.
// Its errors name the file and what is missing, never its content.

export const KUBECONFIG_PY = String.raw`
import base64, json, os, ssl

class KubeconfigError(Exception):
    pass

def kube_connection(text, where, keydir):
    """(server, TLS context, headers, authenticated): keydir receives inline client key material."""
    try:
        cfg = json.loads(text) if text.lstrip().startswith("{") else __import__("yaml").safe_load(text)
    except Exception as e:
        raise KubeconfigError("%s does not parse (%s)" % (where, type(e).__name__))
    cfg = cfg if isinstance(cfg, dict) else {}

    def named(kind, name):
        for item in cfg.get(kind) or []:
            if isinstance(item, dict) and item.get("name") == name:
                return item.get(kind[:-1]) or {}
        return {}

    ctx = named("contexts", cfg.get("current-context"))
    cluster, user = named("clusters", ctx.get("cluster")), named("users", ctx.get("user"))
    server = str(cluster.get("server") or "").rstrip("/")
    if not server:
        raise KubeconfigError("%s names no server for its current context" % where)
    if cluster.get("certificate-authority-data"):
        tls = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    elif cluster.get("certificate-authority"):
        tls = ssl.create_default_context(cafile=cluster["certificate-authority"])
    else:
        tls = ssl.create_default_context()
    if cluster.get("insecure-skip-tls-verify"):
        tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE
    headers = {"Accept": "application/json"}
    token = user.get("token") or (open(user["tokenFile"]).read().strip() if user.get("tokenFile") else "")
    if token:
        headers["Authorization"] = "Bearer " + token
        return server, tls, headers, True
    cert, key = user.get("client-certificate"), user.get("client-key")
    if user.get("client-certificate-data"):
        cert, key = os.path.join(keydir, "client.crt"), os.path.join(keydir, "client.key")
        for path, field in ((cert, "client-certificate-data"), (key, "client-key-data")):
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
                f.write(base64.b64decode(user.get(field) or ""))
    if cert:
        tls.load_cert_chain(cert, key)
    return server, tls, headers, bool(cert)
`;
