import { AUTOSCALER_IMAGE } from "./conductorAccount";

// One object of each kind the openstack-cluster chart 0.25.1 (with its cluster-addons subchart)
// renders into a project namespace, written here from the chart's templates (kinds, versions and the
// fields that matter to admission: names, subjects, pod spec), as helm 3 sends them: create (POST),
// get, then an upgrade's patch (strategic merge for built-in kinds, JSON merge for custom resources).

export interface ChartObject {
  /** The collection's REST path. */
  readonly collection: string;
  readonly name: string;
  readonly body: Record<string, unknown>;
  readonly builtin: boolean;
}

const CAPI = "cluster.x-k8s.io/v1beta1";
const CAPO = "infrastructure.cluster.x-k8s.io/v1beta1";

export function chartObjects(ns: string, release: string): ChartObject[] {
  const labels = { "capi.stackhpc.com/cluster": release, "app.kubernetes.io/managed-by": "Helm" };
  const meta = (name: string) => ({ name, namespace: ns, labels });
  const custom = (
    apiVersion: string,
    kind: string,
    plural: string,
    name: string,
    spec: unknown,
  ): ChartObject => ({
    collection: `/apis/${apiVersion}/namespaces/${ns}/${plural}`,
    name,
    body: { apiVersion, kind, metadata: meta(name), spec },
    builtin: false,
  });
  const autoscaler = `${release}-autoscaler`;
  const selector = { "capi.stackhpc.com/cluster": release, "capi.stackhpc.com/component": "autoscaler" };
  return [
    custom(CAPI, "Cluster", "clusters", release, {
      controlPlaneRef: { kind: "KubeadmControlPlane", name: `${release}-control-plane` },
      infrastructureRef: { kind: "OpenStackCluster", name: release },
    }),
    custom(CAPO, "OpenStackCluster", "openstackclusters", release, {
      identityRef: { name: `${release}-cloud-credentials`, cloudName: "openstack" },
    }),
    custom(
      "controlplane.cluster.x-k8s.io/v1beta1",
      "KubeadmControlPlane",
      "kubeadmcontrolplanes",
      `${release}-control-plane`,
      {
        replicas: 3,
        version: "v1.33.4",
      },
    ),
    custom(
      CAPO,
      "OpenStackMachineTemplate",
      "openstackmachinetemplates",
      `${release}-control-plane-0a1b2c3d`,
      {
        template: { spec: { flavor: "m1.medium" } },
      },
    ),
    custom(CAPI, "MachineDeployment", "machinedeployments", `${release}-default-worker`, {
      clusterName: release,
      replicas: 2,
    }),
    custom(
      "bootstrap.cluster.x-k8s.io/v1beta1",
      "KubeadmConfigTemplate",
      "kubeadmconfigtemplates",
      `${release}-default-worker-4e5f6a7b`,
      {
        template: { spec: {} },
      },
    ),
    custom(CAPI, "MachineHealthCheck", "machinehealthchecks", `${release}-control-plane`, {
      clusterName: release,
    }),
    custom("addons.stackhpc.com/v1alpha1", "HelmRelease", "helmreleases", `${release}-cni-calico`, {
      clusterName: release,
      targetNamespace: "tigera-operator",
    }),
    custom("addons.stackhpc.com/v1alpha1", "Manifests", "manifests", `${release}-cloud-config`, {
      clusterName: release,
      targetNamespace: "openstack-system",
    }),
    {
      collection: `/api/v1/namespaces/${ns}/secrets`,
      name: `${release}-admission-configuration`,
      body: {
        apiVersion: "v1",
        kind: "Secret",
        metadata: meta(`${release}-admission-configuration`),
        stringData: { "admission.yaml": "{}" },
      },
      builtin: true,
    },
    {
      collection: `/api/v1/namespaces/${ns}/serviceaccounts`,
      name: autoscaler,
      body: { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(autoscaler) },
      builtin: true,
    },
    {
      collection: `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`,
      name: autoscaler,
      body: {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: meta(autoscaler),
        rules: AUTOSCALER_RULES,
      },
      builtin: true,
    },
    {
      collection: `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
      name: autoscaler,
      body: {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: meta(autoscaler),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: autoscaler },
        subjects: [{ kind: "ServiceAccount", namespace: ns, name: autoscaler }],
      },
      builtin: true,
    },
    {
      collection: `/apis/apps/v1/namespaces/${ns}/deployments`,
      name: autoscaler,
      body: {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: meta(autoscaler),
        spec: {
          replicas: 1,
          selector: { matchLabels: selector },
          template: { metadata: { labels: selector }, spec: autoscalerPod(autoscaler, release, ns) },
        },
      },
      builtin: true,
    },
  ];
}

/** The chart's autoscaler/role.yaml rules. */
export const AUTOSCALER_RULES = [
  {
    apiGroups: ["cluster.x-k8s.io"],
    resources: ["machinedeployments", "machines", "machinesets", "machinepools"],
    verbs: ["get", "list", "update", "watch"],
  },
  {
    apiGroups: ["cluster.x-k8s.io"],
    resources: ["machinedeployments/scale"],
    verbs: ["get", "patch", "update"],
  },
];

/** The chart's autoscaler pod (autoscaler/deployment.yaml with the default values). */
export function autoscalerPod(name: string, release: string, ns: string, image = AUTOSCALER_IMAGE) {
  return {
    serviceAccountName: name,
    securityContext: { runAsNonRoot: true, runAsUser: 1001 },
    containers: [
      {
        name: "autoscaler",
        image,
        imagePullPolicy: "IfNotPresent",
        command: ["/cluster-autoscaler"],
        args: [
          "--cloud-provider=clusterapi",
          "--kubeconfig=/mnt/kubeconfig/value",
          "--clusterapi-cloud-config-authoritative",
          `--node-group-auto-discovery=clusterapi:namespace=${ns},clusterName=${release}`,
        ],
        securityContext: {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
          readOnlyRootFilesystem: true,
        },
        ports: [{ containerPort: 8085 }],
        volumeMounts: [{ name: "kubeconfig", mountPath: "/mnt/kubeconfig", readOnly: true }],
      },
    ],
    volumes: [{ name: "kubeconfig", secret: { secretName: `${release}-kubeconfig` } }],
  };
}
