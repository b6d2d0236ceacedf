import { spawn } from "child_process";
import { killGroup } from "./transport/juju";

// Requests to the management cluster where Pulumi runs, as its admin kubeconfig's user, by the python3
// that the openstack CLI brings (PyYAML included). The kubeconfig comes on stdin (never argv, never a
// file but a client key's, for the moment python loads it): token, client certificate, CA data.

/** Defines `server` and `kube(method, path)` (parsed JSON); exits naming no value of the kubeconfig. */
export const ADMIN_KUBE_PY = String.raw`
import base64, json, os, shutil, ssl, sys, tempfile, urllib.error, urllib.request
import yaml
try:
    cfg = yaml.safe_load(sys.stdin.read()) or {}
except yaml.YAMLError:
    sys.exit("the kubeconfig is not valid YAML")  # the parser's message would quote its content
named = lambda key, inner: {x.get("name"): x.get(inner) or {} for x in cfg.get(key) or []}
contexts, clusters, users = named("contexts", "context"), named("clusters", "cluster"), named("users", "user")
ctx = contexts.get(cfg.get("current-context")) or next(iter(contexts.values()), {})
cluster = clusters.get(ctx.get("cluster")) or next(iter(clusters.values()), {})
user = users.get(ctx.get("user")) or {}
server = str(cluster.get("server") or "").rstrip("/")
if not server:
    sys.exit("the kubeconfig names no server")
headers = {"Accept": "application/json"}
if user.get("token"):
    headers["Authorization"] = "Bearer " + user["token"]
context = None
if server.startswith("https:"):
    context = ssl.create_default_context()
    if cluster.get("insecure-skip-tls-verify"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif cluster.get("certificate-authority-data"):
        context.load_verify_locations(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    elif cluster.get("certificate-authority"):
        context.load_verify_locations(cafile=cluster["certificate-authority"])
    cert, key = user.get("client-certificate"), user.get("client-key")
    tmp = tempfile.mkdtemp()
    try:
        if user.get("client-certificate-data"):
            cert, key = os.path.join(tmp, "crt"), os.path.join(tmp, "key")
            for path, field in ((cert, "client-certificate-data"), (key, "client-key-data")):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(base64.b64decode(user.get(field) or ""))
        if cert:
            context.load_cert_chain(cert, key)
    finally:
        shutil.rmtree(tmp)

def kube(method, path):
    request = urllib.request.Request(server + path, headers=headers, method=method)
    with urllib.request.urlopen(request, context=context, timeout=30) as r:
        return json.load(r)
`;

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a local program with `stdin` on its stdin; its own process group, ended whole on a timeout. */
export function runLocal(file: string, args: string[], stdin: string, timeoutMs: number): Promise<Ran> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout also ends what it started (bash -> openstack -> python).
    const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) killGroup(child.pid);
    }, timeoutMs);
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) stderr += `\nno answer within ${Math.round(timeoutMs / 1000)} s`;
      resolve({ code: code ?? (signal ? 124 : 1), stdout, stderr });
    });
    // A child that exits without reading stdin closes the pipe; its exit status tells the story.
    child.stdin.on("error", () => undefined);
    child.stdin.end(stdin);
  });
}
