import { spawn } from "child_process";
import { KUBECONFIG_PY } from "./kubeconfigPython";
import { killGroup } from "./transport/juju";

// Requests to the management cluster where Pulumi runs, as its admin kubeconfig's user, by the python3
// that the openstack CLI brings (PyYAML included). The kubeconfig comes on stdin (never argv, never a
// file but a client key's, for the moment python loads it).

/**
 * Defines `server` and `kube(method, path)` (parsed JSON) from the kubeconfig on stdin, read by the one
 * Python kubeconfig reader; exits naming no value of the kubeconfig.
 */
export const ADMIN_KUBE_PY = String.raw`${KUBECONFIG_PY}
import shutil, sys, tempfile, urllib.error, urllib.request
_keys = tempfile.mkdtemp()
try:
    server, context, headers, _ = kube_connection(sys.stdin.read(), "the kubeconfig", _keys)
except KubeconfigError as e:
    sys.exit(str(e))
finally:
    shutil.rmtree(_keys)  # the TLS context loaded the client key already

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
