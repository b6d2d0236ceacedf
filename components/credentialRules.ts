// What the conductors' scoped credential may do on the management cluster, derived from
// magnum-capi-helm 1.4.0 (kubernetes.py, driver.py, helm.py) and the openstack-cluster chart 0.25.1
// it installs (with its cluster-addons subchart). Each rule says which code needs it.
//
// RBAC only adds rights and cannot match a namespace or object name by prefix, so:
// - the one cluster-scoped need (the driver creates `magnum-<project>` namespaces) is granted for
//   every namespace name: the account can create any namespace, but cannot read, list or delete any;
// - everything else is namespaced and lives in NAMESPACE_RULES, a ClusterRole bound by a RoleBinding
//   in each project namespace. Bound cluster-wide instead, it would also reach kube-system's Secrets.

export interface CredentialRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  /** The driver or chart code that needs it. */
  readonly reason: string;
}

/** Helm's verbs for an object it renders: read before deciding, create, three-way-merge patch, uninstall. */
const HELM = ["get", "create", "patch", "delete"] as const;

/** Cluster-scoped, bound by a ClusterRoleBinding. */
export const CLUSTER_RULES: readonly CredentialRule[] = [
  {
    apiGroups: [""],
    resources: ["namespaces"],
    verbs: ["create", "patch"],
    reason:
      "driver create_cluster: ensure_namespace server-side-applies `<namespace_prefix>-<project>` " +
      "(apply is a patch, and a create when the namespace is new); it never reads or deletes namespaces",
  },
];

/** Namespaced, in a ClusterRole bound by a RoleBinding in each `magnum-<project>` namespace. */
export const NAMESPACE_RULES: readonly CredentialRule[] = [
  {
    apiGroups: [""],
    resources: ["secrets"],
    verbs: ["get", "list", "create", "update", "patch", "delete", "deletecollection"],
    reason:
      "driver: applies the app-credential and CA Secrets, reads the cluster's kubeconfig Secret, deletes " +
      "its Secrets by label (deletecollection); helm: stores releases as Secrets (get, list, create, " +
      "update, delete) and renders the chart's Secrets (cloud config, containerd auth, add-on values)",
  },
  {
    apiGroups: [""],
    resources: ["serviceaccounts"],
    verbs: [...HELM],
    reason: "chart autoscaler/serviceaccount.yaml, installed and removed by helm",
  },
  {
    apiGroups: ["apps"],
    resources: ["deployments"],
    verbs: [...HELM],
    reason: "chart autoscaler/deployment.yaml (cluster-autoscaler), installed and removed by helm",
  },
  {
    apiGroups: ["rbac.authorization.k8s.io"],
    resources: ["roles", "rolebindings"],
    verbs: [...HELM],
    reason:
      "chart autoscaler/role.yaml and rolebinding.yaml; allowed without escalate/bind because this " +
      "account holds every right the autoscaler Role grants (rules below)",
  },
  {
    apiGroups: ["cluster.x-k8s.io"],
    resources: ["clusters", "machinehealthchecks"],
    verbs: [...HELM],
    reason: "chart cluster.yaml and machine-health-check.yaml; the driver's status checks get the Cluster",
  },
  {
    apiGroups: ["cluster.x-k8s.io"],
    resources: ["machinedeployments"],
    verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
    reason:
      "chart node-group/machine-deployment.yaml; the driver gets it for node-group status; list, watch " +
      "and update because the autoscaler Role grants them",
  },
  {
    apiGroups: ["cluster.x-k8s.io"],
    resources: ["machines", "machinesets", "machinepools"],
    verbs: ["get", "list", "watch", "update"],
    reason:
      "the driver lists Machines by label; the rest only because the chart's autoscaler Role grants " +
      "them and RBAC lets an account grant only what it holds",
  },
  {
    apiGroups: ["cluster.x-k8s.io"],
    resources: ["machinedeployments/scale"],
    verbs: ["get", "patch", "update"],
    reason: "the chart's autoscaler Role grants them (as above)",
  },
  {
    apiGroups: ["controlplane.cluster.x-k8s.io"],
    resources: ["kubeadmcontrolplanes"],
    verbs: [...HELM],
    reason: "chart control-plane/kubeadm-control-plane.yaml; the driver gets it for status",
  },
  {
    apiGroups: ["bootstrap.cluster.x-k8s.io"],
    resources: ["kubeadmconfigtemplates"],
    verbs: [...HELM],
    reason: "chart node-group/kubeadm-config-template.yaml",
  },
  {
    apiGroups: ["infrastructure.cluster.x-k8s.io"],
    resources: ["openstackclusters", "openstackmachinetemplates"],
    verbs: [...HELM],
    reason:
      "chart cluster-openstack.yaml and the control-plane and node-group openstack-machine-template.yaml; " +
      "the driver gets the OpenStackCluster for status",
  },
  {
    apiGroups: ["addons.stackhpc.com"],
    resources: ["helmreleases", "manifests"],
    verbs: ["get", "list", "create", "patch", "delete"],
    reason: "the cluster-addons subchart's add-ons; the driver lists them by label for add-on status",
  },
  {
    apiGroups: ["addons.cluster.x-k8s.io"],
    resources: ["helmchartproxies"],
    verbs: ["list"],
    reason:
      "the driver lists them by label for add-on status and tolerates only a 404 (a 403 would fail the " +
      "status check)",
  },
];

/** The rules as a Kubernetes PolicyRule list (the reasons stay in code and docs/credential.md). */
export function policyRules(
  rules: readonly CredentialRule[],
): Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> {
  return rules.map((r) => ({
    apiGroups: [...r.apiGroups],
    resources: [...r.resources],
    verbs: [...r.verbs],
  }));
}

/** What the auth proof checks the delivered credential for, in either mode. */
export function driverRights(scoped: boolean, projectNamespaces: readonly string[]) {
  return {
    allNamespaces: !scoped,
    clusterRules: policyRules(CLUSTER_RULES),
    namespacedRules: policyRules(NAMESPACE_RULES),
    namespaces: [...projectNamespaces],
  };
}

/** The namespace magnum-capi-helm creates for a project (`<namespace_prefix>-<project id>`). */
export const projectNamespace = (projectId: string): string => `magnum-${projectId}`;
