// The kinds magnum-capi-helm 1.4.0 resolves through `api_resources`, and the version its code falls
// back to when a kind is absent from the map (docs/design.md#driver-api-resources). One list for
// the config keys, the management-cluster reads and the derivation.

export interface DriverKind {
  readonly kind: string;
  /**
   * The CRD whose served versions decide the entry; none for a kind the runbook's CAPI stack does
   * not install, which is written only as the user gives it.
   */
  readonly crd?: string;
  readonly group: string;
  readonly defaultVersion: string;
  /** The only kind whose plural_name the driver reads from the map. */
  readonly plural?: string;
}

// The order is that of the derived `api_resources` JSON: changing it would rewrite the drop-in.
export const DRIVER_KINDS = [
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
  { kind: "HelmChartProxy", group: "addons.cluster.x-k8s.io", defaultVersion: "v1alpha1" },
] as const satisfies readonly DriverKind[];

export type ApiKind = (typeof DRIVER_KINDS)[number]["kind"];
export type ApiResourceMap = Partial<Record<ApiKind, { api_version: string; plural_name?: string }>>;

export const API_KINDS: readonly ApiKind[] = DRIVER_KINDS.map((k) => k.kind);

/** A kind whose CRD the management cluster is asked about. */
export type ServedKind = DriverKind & { readonly kind: ApiKind; readonly crd: string };

export const SERVED_KINDS: readonly ServedKind[] = (DRIVER_KINDS as readonly DriverKind[]).filter(
  (k): k is ServedKind => k.crd !== undefined,
);
