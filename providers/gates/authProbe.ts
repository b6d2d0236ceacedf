import { KUBECONFIG_PY } from "../kubeconfigPython";

// The auth proof's probe, run by python3 as the conductor's service user (the kubeconfig read by
// KUBECONFIG_PY): argv is the kubeconfig path and the rules as JSON, never a secret.
// It asks the apiserver one SelfSubjectAccessReview per (namespace, group, resource, verb) and prints
// one line: `held <n>`, `denied <what>` or `refused <why>`. It never prints the kubeconfig's content.

export const AUTH_PROBE = String.raw`${KUBECONFIG_PY}
import sys, urllib.error, urllib.request

def out(word, text):
    print(word, text)
    sys.exit(0)

path, spec = sys.argv[1], json.loads(sys.argv[2])
try:
    text = open(path, encoding="utf-8").read()
except OSError as e:
    out("refused", "cannot read %s (%s)" % (path, e.strerror))
try:
    server, tls, headers, authenticated = kube_connection(text, path, os.environ["HOME"])
except KubeconfigError as e:
    out("refused", str(e))
if not authenticated:
    out("refused", "%s has no token or client certificate for its user (exec plugins are not supported)" % path)
headers["Content-Type"] = "application/json"

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
