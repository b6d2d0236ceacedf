import { spawn } from "child_process";
import { capiMagnumClusters, ClusterRow, Inventory, inventoryCommand } from "../openstack/clusters";
import { KUBECONFIG_PY } from "./kubeconfigPython";
import { killGroup } from "./transport/juju";
import { tail } from "./transport/transport";

// What the driver manages right now, asked where Pulumi runs (also at destroy time, when no program
// runs): Magnum clusters on CAPI templates (openstack CLI, scoped to the project) and CAPI Cluster
// objects in the driver's `magnum-*` namespaces (the management cluster's API).

export interface ClusterInventory {
  /** `name (uuid, created <time>)` of each Magnum cluster on a CAPI template. */
  readonly magnum: string[];
  /** `<namespace>/<name>` of each CAPI Cluster in a magnum-* namespace. */
  readonly capi: string[];
}

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function runLocal(file: string, args: string[], stdin: string, timeoutMs: number): Promise<Ran> {
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

/**
 * Lists Cluster objects with the kubeconfig read from stdin (never argv, never a file), by the
 * python3 that the openstack CLI brings (PyYAML included), reading it with KUBECONFIG_PY.
 */
const LIST_CAPI_CLUSTERS = String.raw`${KUBECONFIG_PY}
import sys, tempfile, urllib.error, urllib.request
with tempfile.TemporaryDirectory() as tmp:
    try:
        server, context, headers, _ = kube_connection(sys.stdin.read(), "the kubeconfig", tmp)
    except KubeconfigError as e:
        sys.exit(str(e))
    request = urllib.request.Request(server + "/apis/cluster.x-k8s.io/v1beta1/clusters", headers=headers)
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as r:
            items = json.load(r).get("items") or []
    except urllib.error.HTTPError as e:
        sys.exit("HTTP %d %s listing cluster.x-k8s.io/v1beta1 clusters" % (e.code, e.reason))
    except (urllib.error.URLError, OSError) as e:
        sys.exit("cannot reach %s: %s" % (server, getattr(e, "reason", e)))
names = sorted(
    "%s/%s" % (i["metadata"]["namespace"], i["metadata"]["name"])
    for i in items
    if str(i.get("metadata", {}).get("namespace", "")).startswith("magnum-")
)
print(json.dumps(names))
`;

const TIMEOUT_MS = 300_000;

export async function listClusters(projectId: string, kubeconfig: string): Promise<ClusterInventory> {
  const [os, kube] = await Promise.all([
    runLocal("/bin/bash", ["-c", inventoryCommand(projectId)], "", TIMEOUT_MS),
    runLocal("python3", ["-I", "-c", LIST_CAPI_CLUSTERS], kubeconfig, 60_000),
  ]);
  if (os.code !== 0) {
    throw new Error(
      `cluster inventory: openstack coe cluster list failed (exit ${os.code}): ${tail(os.stderr)}`,
    );
  }
  if (kube.code !== 0) {
    throw new Error(
      `cluster inventory: listing CAPI clusters on the management cluster failed: ${tail(kube.stderr)}`,
    );
  }
  let inv: Inventory;
  let capi: string[];
  try {
    inv = JSON.parse(os.stdout) as Inventory;
    capi = JSON.parse(kube.stdout) as string[];
  } catch {
    throw new Error(
      `cluster inventory: expected JSON from the openstack CLI and the CAPI listing; saw ${os.stdout.slice(0, 200)}`,
    );
  }
  return { magnum: capiMagnumClusters(inv).map(describeCluster), capi };
}

function describeCluster(c: ClusterRow): string {
  return `${c.name} (${c.uuid}${c.created_at ? `, created ${c.created_at}` : ""})`;
}
