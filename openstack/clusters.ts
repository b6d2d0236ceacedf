import { scoped } from "./cli";

// Magnum clusters on the CAPI driver's templates, as the project sees them. Magnum picks a driver
// from the template's (server_type, cluster_distro, coe); magnum-capi-helm provides vm + ubuntu or
// flatcar + kubernetes. A template that names its driver explicitly is taken at its word.

export const CAPI_DRIVER = "k8s_capi_helm_v1";
const CAPI_DISTROS = ["ubuntu", "flatcar"];

export interface TemplateRow {
  readonly uuid: string;
  readonly name: string;
  readonly coe?: string;
  readonly server_type?: string;
  readonly cluster_distro?: string;
  readonly driver?: string | null;
}

export interface ClusterRow {
  readonly uuid: string;
  readonly name: string;
  readonly cluster_template_id: string;
  readonly status?: string;
  readonly created_at?: string;
}

export interface Inventory {
  readonly clusters: ClusterRow[];
  readonly templates: TemplateRow[];
}

export function isCapiTemplate(t: TemplateRow): boolean {
  if (t.driver) return t.driver === CAPI_DRIVER;
  return (
    t.coe === "kubernetes" &&
    t.server_type === "vm" &&
    CAPI_DISTROS.includes(String(t.cluster_distro ?? "").toLowerCase())
  );
}

/** The project's clusters on a CAPI template, in the list's order. */
export function capiMagnumClusters(inv: Inventory): ClusterRow[] {
  const capi = new Set(inv.templates.filter(isCapiTemplate).map((t) => t.uuid));
  return inv.clusters.filter((c) => capi.has(c.cluster_template_id));
}

/**
 * One JSON document `{clusters: [cluster show...], templates: [template show...]}`: the list lacks the
 * template and creation time, so each cluster is shown; templates only when there are clusters.
 */
export function inventoryCommand(projectId: string): string {
  return scoped(
    projectId,
    `set -euo pipefail
ids=$(openstack coe cluster list -f value -c uuid)
tids=""
[ -z "$ids" ] || tids=$(openstack coe cluster template list -f value -c uuid)
printf '{"clusters":['
sep=""; for id in $ids; do printf '%s' "$sep"; openstack coe cluster show "$id" -f json; sep=","; done
printf '],"templates":['
sep=""; for id in $tids; do printf '%s' "$sep"; openstack coe cluster template show "$id" -f json; sep=","; done
printf ']}'`,
  );
}
