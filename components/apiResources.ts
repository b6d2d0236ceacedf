import { ApiKind, ApiResourceMap } from "../config";

// What magnum-capi-helm 1.4.0 asks the management cluster for, and the version its code falls back
// to when a kind is absent from api_resources (FACTS.md).
export interface DriverKind {
  readonly kind: ApiKind;
  readonly crd: string;
  readonly group: string;
  readonly defaultVersion: string;
  /** The only kind whose plural_name the driver reads from the map. */
  readonly plural?: string;
}

export const DRIVER_KINDS: readonly DriverKind[] = [
  { kind: "Cluster", crd: "clusters.cluster.x-k8s.io", group: "cluster.x-k8s.io", defaultVersion: "v1beta1" },
  {
    kind: "MachineDeployment",
    crd: "machinedeployments.cluster.x-k8s.io",
    group: "cluster.x-k8s.io",
    defaultVersion: "v1beta1",
  },
  { kind: "Machine", crd: "machines.cluster.x-k8s.io", group: "cluster.x-k8s.io", defaultVersion: "v1beta1" },
  {
    kind: "OpenstackCluster",
    crd: "openstackclusters.infrastructure.cluster.x-k8s.io",
    group: "infrastructure.cluster.x-k8s.io",
    defaultVersion: "v1beta1",
  },
  {
    kind: "K8sControlPlane",
    crd: "kubeadmcontrolplanes.controlplane.cluster.x-k8s.io",
    group: "controlplane.cluster.x-k8s.io",
    defaultVersion: "v1beta1",
    plural: "kubeadmcontrolplanes",
  },
  {
    kind: "Manifests",
    crd: "manifests.addons.stackhpc.com",
    group: "addons.stackhpc.com",
    defaultVersion: "v1alpha1",
  },
  {
    kind: "HelmRelease",
    crd: "helmreleases.addons.stackhpc.com",
    group: "addons.stackhpc.com",
    defaultVersion: "v1alpha1",
  },
];

export interface CrdVersion {
  readonly name: string;
  readonly served: boolean;
  readonly storage: boolean;
}

// Kubernetes requires a DNS-1035 label for a CRD version.
const VERSION_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * `auto`: an entry only for a kind whose code default is not served (decided from the CRD's
 * `spec.versions[].served`, never from the preferred version), naming a version that is.
 */
export function deriveApiResources(served: Readonly<Record<string, readonly CrdVersion[]>>): ApiResourceMap {
  const map: ApiResourceMap = {};
  for (const k of DRIVER_KINDS) {
    const versions = (served[k.crd] ?? []).filter((v) => v.served);
    if (versions.some((v) => v.name === k.defaultVersion)) continue;
    const pick = versions.find((v) => v.storage) ?? versions[0];
    if (!pick)
      throw new Error(`management cluster: expected CRD ${k.crd} to serve a version; it serves none`);
    // The name lands in a file oslo.config interpolates (`$`) and the driver parses as JSON.
    if (!VERSION_NAME.test(pick.name)) {
      throw new Error(
        `management cluster: expected CRD ${k.crd} to serve a version named like v1beta2; ` +
          `it serves ${JSON.stringify(pick.name)}`,
      );
    }
    map[k.kind] = { api_version: `${k.group}/${pick.name}`, ...(k.plural ? { plural_name: k.plural } : {}) };
  }
  return map;
}

/** An explicit map is written as given, once every version it names is served. */
export function checkApiResources(
  map: ApiResourceMap,
  served: Readonly<Record<string, readonly CrdVersion[]>>,
): ApiResourceMap {
  for (const k of DRIVER_KINDS) {
    const entry = map[k.kind];
    if (!entry) continue;
    const [group, version] = entry.api_version.split("/");
    const ok = group === k.group && (served[k.crd] ?? []).some((v) => v.served && v.name === version);
    if (!ok) {
      const seen = (served[k.crd] ?? []).filter((v) => v.served).map((v) => `${k.group}/${v.name}`);
      throw new Error(
        `magnum-capi-graft:apiResources: ${k.kind} names ${entry.api_version}, which the management cluster ` +
          `does not serve; served: ${seen.join(", ") || "none"}`,
      );
    }
  }
  return map;
}
