import { capiMagnumClusters, ClusterRow, Inventory, inventoryCommand } from "../openstack/clusters";
import { ADMIN_KUBE_PY, runLocal } from "./adminKube";
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

/** Lists Cluster objects in every namespace; the kubeconfig on stdin. */
const LIST_CAPI_CLUSTERS =
  ADMIN_KUBE_PY +
  String.raw`
try:
    items = kube("GET", "/apis/cluster.x-k8s.io/v1beta1/clusters").get("items") or []
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
