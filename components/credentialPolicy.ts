import { IMAGE_PREFIX } from "../core/imageAllowList";

// What RBAC cannot say about the conductors' scoped account, said by ValidatingAdmissionPolicies
// (admissionregistration.k8s.io/v1, GA since Kubernetes 1.30), one per kind, for that account only:
// RBAC grants verbs on kinds, never conditions on the object written. The rules follow what
// magnum-capi-helm 1.4.0 and the openstack-cluster chart 0.25.1 write, and nothing more.

/** Pod Security admission at `baseline` on every project namespace: the autoscaler passes it (it sets
 * no seccompProfile, so `restricted` would refuse it); privileged, host namespaces and hostPath do not. */
export const POD_SECURITY_LABELS: Readonly<Record<string, string>> = {
  "pod-security.kubernetes.io/enforce": "baseline",
  "pod-security.kubernetes.io/warn": "baseline",
  "pod-security.kubernetes.io/audit": "baseline",
};

/** The username the API server gives a ServiceAccount's token. */
export const serviceAccountUser = (namespace: string, name: string): string =>
  `system:serviceaccount:${namespace}:${name}`;

/** What the chart's autoscaler/role.yaml grants. */
const AUTOSCALER_RESOURCES = [
  "machinedeployments",
  "machines",
  "machinesets",
  "machinepools",
  "machinedeployments/scale",
];
const AUTOSCALER_VERBS = ["get", "list", "update", "watch", "patch"];

const celList = (items: readonly string[]) => `[${items.map((i) => `'${i}'`).join(", ")}]`;

interface Validation {
  /** The kind (resource) it checks: one policy each, so each expression is type-checked against it. */
  readonly group: string;
  readonly resource: string;
  readonly expression: string;
  readonly message: string;
}

function validations(imageAllowList: readonly string[]): Validation[] {
  for (const p of imageAllowList) {
    if (!IMAGE_PREFIX.test(p))
      throw new Error(`credential policy: expected an image prefix; saw ${JSON.stringify(p)}`);
  }
  const wanted = celList(Object.entries(POD_SECURITY_LABELS).map(([k, v]) => `${k}=${v}`));
  const allowed = celList(imageAllowList);
  const images = (field: string) =>
    `(!has(object.spec.template.spec.${field}) || object.spec.template.spec.${field}.all(c, ` +
    `${allowed}.exists(p, c.image.startsWith(p))))`;
  return [
    {
      group: "",
      resource: "namespaces",
      // Creating one is refused unless it carries our labels: the program creates every project's.
      expression:
        "(request.operation == 'CREATE' ? " +
        `(${wanted}.all(l, l in variables.podSecurity) && variables.podSecurity.all(l, l in ${wanted})) : ` +
        "(variables.podSecurity.all(l, l in variables.oldPodSecurity) && " +
        "variables.oldPodSecurity.all(l, l in variables.podSecurity)))",
      message:
        "the conductor credential may not set or change a namespace's pod-security.kubernetes.io labels " +
        "(pulumi up sets them on every listed project's namespace)",
    },
    {
      group: "",
      resource: "secrets",
      expression: "!has(object.type) || object.type != 'kubernetes.io/service-account-token'",
      message: "the conductor credential may not create kubernetes.io/service-account-token Secrets",
    },
    {
      group: "rbac.authorization.k8s.io",
      resource: "rolebindings",
      // The chart's autoscaler RoleBinding: Role, ServiceAccount and binding share one name.
      expression:
        "(object.metadata.name.endsWith('-autoscaler') && " +
        "object.roleRef.kind == 'Role' && object.roleRef.name == object.metadata.name && " +
        "has(object.subjects) && size(object.subjects) == 1 && object.subjects[0].kind == 'ServiceAccount' && " +
        "object.subjects[0].name == object.metadata.name && has(object.subjects[0].namespace) && " +
        "object.subjects[0].namespace == request.namespace)",
      message:
        "the conductor credential may only bind the chart's autoscaler: a RoleBinding <name>-autoscaler to the " +
        "Role of that name for the ServiceAccount of that name in its own namespace",
    },
    {
      group: "rbac.authorization.k8s.io",
      resource: "roles",
      // The chart's autoscaler Role: Cluster API machine rights, never anything of the namespace's own.
      expression:
        "!has(object.rules) || object.rules.all(r, " +
        "has(r.apiGroups) && r.apiGroups.all(g, g == 'cluster.x-k8s.io') && has(r.resources) && " +
        `r.resources.all(x, x in ${celList(AUTOSCALER_RESOURCES)}) && ` +
        `r.verbs.all(v, v in ${celList(AUTOSCALER_VERBS)}))`,
      message:
        "the conductor credential may only create Roles within the chart's autoscaler Role " +
        "(cluster.x-k8s.io machine resources)",
    },
    {
      group: "apps",
      resource: "deployments",
      expression: `(${images("containers")} && ${images("initContainers")})`,
      message:
        `the conductor credential may only run images under ${imageAllowList.join(", ") || "(none)"} ` +
        "(credentialImageAllowList)",
    },
  ];
}

/** The labels of `o` under pod-security.kubernetes.io/, as `key=value`. */
const podSecurityOf = (o: string) =>
  `has(${o}.metadata.labels) ? ${o}.metadata.labels.filter(k, k.startsWith('pod-security.kubernetes.io/'))` +
  `.map(k, k + '=' + ${o}.metadata.labels[k]) : []`;

/** The ValidatingAdmissionPolicies for the account `username`, one per kind, by name. */
export function policySpecs(username: string, imageAllowList: readonly string[]) {
  return validations(imageAllowList).map((v) => ({
    name: `magnum-conductor-${v.resource}`,
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: [v.group],
            apiVersions: ["v1"],
            operations: ["CREATE", "UPDATE"],
            resources: [v.resource],
          },
        ],
      },
      matchConditions: [
        { name: "conductor-account", expression: `request.userInfo.username == '${username}'` },
      ],
      ...(v.resource === "namespaces"
        ? {
            variables: [
              { name: "podSecurity", expression: podSecurityOf("object") },
              {
                name: "oldPodSecurity",
                expression: `oldObject == null ? [] : (${podSecurityOf("oldObject")})`,
              },
            ],
          }
        : {}),
      // Forbidden (403), as an RBAC refusal reads, rather than the default Invalid (422).
      validations: [{ expression: v.expression, message: v.message, reason: "Forbidden" }],
    },
  }));
}
