// The management cluster's CustomResourceDefinitions as CAPI v1.13, CAPO v0.14, ORC and the add-on
// providers serve them: groups, kinds, served and storage versions only. Schemas are permissive
// because no controller runs here; what the tests prove is who may do what, not object validity.

export interface CrdVersionSpec {
  readonly name: string;
  readonly served: boolean;
  readonly storage: boolean;
}

export interface CrdSpec {
  readonly group: string;
  readonly kind: string;
  readonly plural: string;
  readonly versions: readonly CrdVersionSpec[];
}

/** CAPI v1.13: v1beta1 still served, v1beta2 stored. */
const CAPI: readonly CrdVersionSpec[] = [
  { name: "v1beta1", served: true, storage: false },
  { name: "v1beta2", served: true, storage: true },
];
const ONLY = (name: string): readonly CrdVersionSpec[] => [{ name, served: true, storage: true }];

export const MANAGEMENT_CRDS: readonly CrdSpec[] = [
  { group: "cluster.x-k8s.io", kind: "Cluster", plural: "clusters", versions: CAPI },
  { group: "cluster.x-k8s.io", kind: "MachineDeployment", plural: "machinedeployments", versions: CAPI },
  { group: "cluster.x-k8s.io", kind: "MachineSet", plural: "machinesets", versions: CAPI },
  { group: "cluster.x-k8s.io", kind: "Machine", plural: "machines", versions: CAPI },
  { group: "cluster.x-k8s.io", kind: "MachineHealthCheck", plural: "machinehealthchecks", versions: CAPI },
  {
    group: "controlplane.cluster.x-k8s.io",
    kind: "KubeadmControlPlane",
    plural: "kubeadmcontrolplanes",
    versions: CAPI,
  },
  { group: "bootstrap.cluster.x-k8s.io", kind: "KubeadmConfig", plural: "kubeadmconfigs", versions: CAPI },
  {
    group: "bootstrap.cluster.x-k8s.io",
    kind: "KubeadmConfigTemplate",
    plural: "kubeadmconfigtemplates",
    versions: CAPI,
  },
  {
    group: "infrastructure.cluster.x-k8s.io",
    kind: "OpenStackCluster",
    plural: "openstackclusters",
    versions: ONLY("v1beta1"),
  },
  {
    group: "infrastructure.cluster.x-k8s.io",
    kind: "OpenStackMachineTemplate",
    plural: "openstackmachinetemplates",
    versions: ONLY("v1beta1"),
  },
  { group: "openstack.k-orc.cloud", kind: "Image", plural: "images", versions: ONLY("v1alpha1") },
  { group: "addons.stackhpc.com", kind: "HelmRelease", plural: "helmreleases", versions: ONLY("v1alpha1") },
  { group: "addons.stackhpc.com", kind: "Manifests", plural: "manifests", versions: ONLY("v1alpha1") },
  {
    group: "addons.cluster.x-k8s.io",
    kind: "HelmChartProxy",
    plural: "helmchartproxies",
    versions: ONLY("v1alpha1"),
  },
];

/** The CustomResourceDefinition object for one spec. */
export function crdObject(c: CrdSpec): Record<string, unknown> {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${c.plural}.${c.group}` },
    spec: {
      group: c.group,
      scope: "Namespaced",
      names: { kind: c.kind, plural: c.plural, singular: c.kind.toLowerCase(), listKind: `${c.kind}List` },
      versions: c.versions.map((v) => ({
        ...v,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
        subresources: { status: {} },
      })),
    },
  };
}
