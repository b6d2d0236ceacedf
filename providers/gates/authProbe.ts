// The auth proof's probe, run by python3 (stdlib, PyYAML for a YAML kubeconfig: Magnum depends on it)
// as the conductor's service user: argv is the kubeconfig path and the rules as JSON, never a secret.
// It asks the apiserver one SelfSubjectAccessReview per (namespace, group, resource, verb) and prints
// one line: `held <n>`, `denied <what>` or `refused <why>`. It never prints the kubeconfig's content.

export const AUTH_PROBE = String.raw`
import base64, json, os, ssl, sys, urllib.error, urllib.request

def out(word, text):
    print(word, text)
    sys.exit(0)

path, spec = sys.argv[1], json.loads(sys.argv[2])
try:
    text = open(path, encoding="utf-8").read()
except OSError as e:
    out("refused", "cannot read %s (%s)" % (path, e.strerror))
try:
    cfg = json.loads(text) if text.lstrip().startswith("{") else __import__("yaml").safe_load(text)
except Exception as e:
    out("refused", "%s does not parse (%s)" % (path, type(e).__name__))

def named(kind, name):
    for item in (cfg or {}).get(kind) or []:
        if item.get("name") == name:
            return item.get(kind[:-1]) or {}
    return {}

ctx = named("contexts", (cfg or {}).get("current-context"))
cluster, user = named("clusters", ctx.get("cluster")), named("users", ctx.get("user"))
server = (cluster.get("server") or "").rstrip("/")
if not server:
    out("refused", "%s names no server for its current context" % path)
tls = ssl.create_default_context()
if cluster.get("certificate-authority-data"):
    tls = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
elif cluster.get("certificate-authority"):
    tls = ssl.create_default_context(cafile=cluster["certificate-authority"])
if cluster.get("insecure-skip-tls-verify"):
    tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE
headers = {"Content-Type": "application/json", "Accept": "application/json"}
token = user.get("token") or (open(user["tokenFile"]).read().strip() if user.get("tokenFile") else "")
if token:
    headers["Authorization"] = "Bearer " + token
elif user.get("client-certificate-data") or user.get("client-certificate"):
    cert, key = user.get("client-certificate"), user.get("client-key")
    if user.get("client-certificate-data"):
        cert, key = os.path.join(os.environ["HOME"], "c.pem"), os.path.join(os.environ["HOME"], "k.pem")
        for f, field in ((cert, "client-certificate-data"), (key, "client-key-data")):
            with open(os.open(f, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as w:
                w.write(base64.b64decode(user.get(field) or ""))
    tls.load_cert_chain(cert, key)
else:
    out("refused", "%s has no token or client certificate for its user (exec plugins are not supported)" % path)

def allowed(attrs):
    body = json.dumps({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                       "spec": {"resourceAttributes": attrs}}).encode()
    req = urllib.request.Request(server + "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                                 data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=15, context=tls) as r:
            return json.load(r).get("status", {}).get("allowed") is True
    except urllib.error.HTTPError as e:
        out("refused", "%s answered %d %s" % (server, e.code, e.reason))
    except (urllib.error.URLError, OSError) as e:
        out("refused", "%s unreachable (%s)" % (server, getattr(e, "reason", e)))

checks = [(None, r) for r in spec["cluster"]]
checks += [(ns, r) for ns in spec["namespaces"] for r in spec["namespaced"]]
held, denied = 0, []
for ns, rule in checks:
    for group in rule["apiGroups"]:
        for res in rule["resources"]:
            resource, _, sub = res.partition("/")
            for verb in rule["verbs"]:
                # A rule limited to some objects holds only for them: each is asked by name.
                for name in rule.get("resourceNames") or [None]:
                    attrs = {"verb": verb, "group": group, "resource": resource}
                    if sub:
                        attrs["subresource"] = sub
                    if ns:
                        attrs["namespace"] = ns
                    if name:
                        attrs["name"] = name
                    if allowed(attrs):
                        held += 1
                    else:
                        denied.append("%s %s%s%s%s" % (verb, group + "/" if group else "", res,
                                                       " " + name if name else "", " in " + ns if ns else ""))
if denied:
    out("denied", "; ".join(denied[:6]) + (" (and %d more)" % (len(denied) - 6) if len(denied) > 6 else ""))
out("held", str(held))
`;
