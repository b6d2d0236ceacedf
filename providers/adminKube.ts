import { KUBECONFIG_PY } from "./kubeconfigPython";
import { runLocalProcess } from "./localProcess";

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

/** Runs a local program with `stdin` on its stdin, to its end or the deadline. */
export async function runLocal(file: string, args: string[], stdin: string, timeoutMs: number): Promise<Ran> {
  let stderr = "";
  const r = await runLocalProcess(file, args, { stdin, timeoutMs, onStderr: (t) => (stderr += t) });
  if (r.timedOut) stderr += `\nno answer within ${Math.round(timeoutMs / 1000)} s`;
  return { code: r.signal ? 124 : r.code, stdout: r.stdout, stderr };
}
