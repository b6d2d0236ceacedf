import * as assert from "assert";
import { CLUSTER_RULES, NAMESPACE_RULES, policyRules } from "../../components/credentialRules";
import { KubeApiServer, kubeUnavailable, startKubeApiServer } from "./apiserver";
import * as fs from "fs";
import * as path from "path";
import { tokenKubeconfig } from "../../components/credentialKubeconfig";
import { apiEndpoint } from "../../core/kubeconfig";
import { driverRights } from "../../components/credentialRules";
import { AUTH_PROBE } from "../../providers/gates/authProbe";
import { run } from "../sim/unit/processes";
import { removeDir, tempDir, waitFor } from "../sim/unit/testSupport";
import { KubeClient } from "./client";

// The scoped conductor credential against a real kube-apiserver with RBAC: what magnum-capi-helm and
// its chart do in a project namespace is allowed; what would own the management cluster is not.

const CRED_NS = "magnum-capi-graft";
const SA = "magnum-conductor";
const PROJECT_NS = "magnum-0123456789abcdef0123456789abcdef";

interface Need {
  readonly who: string;
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
}

const needs = (who: string, group: string, resources: string[], verbs: string[]): Need[] =>
  resources.flatMap((r) => {
    const [resource, subresource] = r.split("/");
    return verbs.map((verb) => ({ who, verb, group, resource, subresource }));
  });

// Written from the code, not from the rules, so a rule that drops a need fails here.
const PROJECT_NEEDS: Need[] = [
  ...needs("driver apply_secret (server-side apply)", "", ["secrets"], ["create", "patch"]),
  ...needs("driver get_secret / chart lookup", "", ["secrets"], ["get"]),
  ...needs("driver delete_all_secrets_by_label", "", ["secrets"], ["deletecollection"]),
  ...needs("helm release storage", "", ["secrets"], ["get", "list", "create", "update", "delete"]),
  ...needs("driver status", "cluster.x-k8s.io", ["clusters", "machinedeployments"], ["get"]),
  ...needs("driver status", "cluster.x-k8s.io", ["machines"], ["list"]),
  ...needs("driver status", "infrastructure.cluster.x-k8s.io", ["openstackclusters"], ["get"]),
  ...needs("driver status", "controlplane.cluster.x-k8s.io", ["kubeadmcontrolplanes"], ["get"]),
  ...needs("driver addon status", "addons.stackhpc.com", ["helmreleases", "manifests"], ["list"]),
  ...needs("driver addon status", "addons.cluster.x-k8s.io", ["helmchartproxies"], ["list"]),
  ...needs(
    "helm install/upgrade/uninstall",
    "",
    ["secrets", "serviceaccounts"],
    ["get", "create", "patch", "delete"],
  ),
  ...needs("helm install/upgrade/uninstall", "apps", ["deployments"], ["get", "create", "patch", "delete"]),
  ...needs(
    "helm install/upgrade/uninstall",
    "rbac.authorization.k8s.io",
    ["roles", "rolebindings"],
    ["get", "create", "patch", "delete"],
  ),
  ...needs(
    "helm install/upgrade/uninstall",
    "cluster.x-k8s.io",
    ["clusters", "machinedeployments", "machinehealthchecks"],
    ["get", "create", "patch", "delete"],
  ),
  ...needs(
    "helm install/upgrade/uninstall",
    "controlplane.cluster.x-k8s.io",
    ["kubeadmcontrolplanes"],
    ["get", "create", "patch", "delete"],
  ),
  ...needs(
    "helm install/upgrade/uninstall",
    "bootstrap.cluster.x-k8s.io",
    ["kubeadmconfigtemplates"],
    ["get", "create", "patch", "delete"],
  ),
  ...needs(
    "helm install/upgrade/uninstall",
    "infrastructure.cluster.x-k8s.io",
    ["openstackclusters", "openstackmachinetemplates"],
    ["get", "create", "patch", "delete"],
  ),
  ...needs(
    "helm install/upgrade/uninstall",
    "addons.stackhpc.com",
    ["helmreleases", "manifests"],
    ["get", "create", "patch", "delete"],
  ),
  ...needs(
    "chart autoscaler Role (granted only if held)",
    "cluster.x-k8s.io",
    ["machinedeployments", "machines", "machinesets", "machinepools"],
    ["get", "list", "update", "watch"],
  ),
  ...needs(
    "chart autoscaler Role (granted only if held)",
    "cluster.x-k8s.io",
    ["machinedeployments/scale"],
    ["get", "patch", "update"],
  ),
];

/** What the chart's cluster-autoscaler Role holds (autoscaler/role.yaml, 0.25.1). */
const AUTOSCALER_RULES = [
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

async function allowed(as: KubeClient, attrs: Record<string, string | undefined>): Promise<boolean> {
  const r = await as.ok("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
    body: {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      spec: { resourceAttributes: attrs },
    },
  });
  return r.body.status.allowed === true;
}

/** The objects the credential component creates, made here with the admin client. */
async function grant(kube: KubeApiServer): Promise<void> {
  const a = kube.admin;
  await a.ok("POST", "/api/v1/namespaces", { body: { metadata: { name: CRED_NS } } });
  await a.ok("POST", `/api/v1/namespaces/${CRED_NS}/serviceaccounts`, { body: { metadata: { name: SA } } });
  const rbac = "/apis/rbac.authorization.k8s.io/v1";
  await a.ok("POST", `${rbac}/clusterroles`, {
    body: { metadata: { name: `${SA}-cluster` }, rules: policyRules(CLUSTER_RULES) },
  });
  await a.ok("POST", `${rbac}/clusterroles`, {
    body: { metadata: { name: `${SA}-project` }, rules: policyRules(NAMESPACE_RULES) },
  });
  const subjects = [{ kind: "ServiceAccount", name: SA, namespace: CRED_NS }];
  await a.ok("POST", `${rbac}/clusterrolebindings`, {
    body: {
      metadata: { name: `${SA}-cluster` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `${SA}-cluster` },
      subjects,
    },
  });
}

async function bindProject(kube: KubeApiServer, ns: string): Promise<void> {
  await kube.admin.ok("POST", `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
    body: {
      metadata: { name: SA },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `${SA}-project` },
      subjects: [{ kind: "ServiceAccount", name: SA, namespace: CRED_NS }],
    },
  });
}

/**
 * A service-account-token Secret, as the credential component creates it, filled by the real
 * token controller of kube-controller-manager; deleting the Secret revokes the token.
 */
async function mintToken(kube: KubeApiServer, secret: string): Promise<string> {
  const path = `/api/v1/namespaces/${CRED_NS}/secrets/${secret}`;
  await kube.admin.ok("POST", `/api/v1/namespaces/${CRED_NS}/secrets`, {
    body: {
      metadata: { name: secret, annotations: { "kubernetes.io/service-account.name": SA } },
      type: "kubernetes.io/service-account-token",
    },
  });
  const token = await waitFor(
    `the token controller to fill ${secret}`,
    async () => (await kube.admin.ok("GET", path)).body.data?.token as string | undefined,
    30000,
  ).catch((e: Error) => {
    throw new Error(`${e.message}\nkube-controller-manager: ${kube.controllerManagerLog()}`);
  });
  return Buffer.from(token, "base64").toString("utf8");
}

/** The auth proof's probe, run by python3 here as on a conductor, with the kubeconfig the conductors get. */
async function probe(kube: KubeApiServer, token: string, rights: ReturnType<typeof driverRights>) {
  const dir = tempDir("probe");
  try {
    const file = path.join(dir, "kubeconfig");
    const api = apiEndpoint(kube.adminKubeconfig, "127.0.0.1", Number(new URL(kube.url).port));
    fs.writeFileSync(file, tokenKubeconfig(api, token), { mode: 0o600 });
    const spec = {
      cluster: rights.clusterRules,
      namespaced: rights.namespacedRules,
      namespaces: rights.namespaces,
    };
    const r = await run("python3", ["-c", AUTH_PROBE, file, JSON.stringify(spec)], {
      timeoutMs: 60000,
      env: { ...process.env, HOME: dir },
    });
    assert.equal(r.code, 0, r.stderr.toString());
    return r.stdout.toString().trim();
  } finally {
    removeDir(dir);
  }
}

const meta = (name: string, labels: Record<string, string> = {}) => ({ name, namespace: PROJECT_NS, labels });
const LABELS = { "magnum.openstack.org/cluster-uuid": "3f1c0d52-5d0e-4f6b-9a8e-0c1d2e3f4a5b" };

/** One object per kind the task names, as the chart (v1beta1) or the driver renders it. */
const APPLIED: Array<[string, Record<string, unknown>]> = [
  [
    `/apis/cluster.x-k8s.io/v1beta1/namespaces/${PROJECT_NS}/clusters/demo`,
    {
      apiVersion: "cluster.x-k8s.io/v1beta1",
      kind: "Cluster",
      metadata: meta("demo"),
      spec: { paused: false },
    },
  ],
  [
    `/apis/infrastructure.cluster.x-k8s.io/v1beta1/namespaces/${PROJECT_NS}/openstackclusters/demo`,
    {
      apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1",
      kind: "OpenStackCluster",
      metadata: meta("demo"),
      spec: { identityRef: { name: "demo-cloud-credentials", cloudName: "openstack" } },
    },
  ],
  [
    `/apis/controlplane.cluster.x-k8s.io/v1beta1/namespaces/${PROJECT_NS}/kubeadmcontrolplanes/demo-control-plane`,
    {
      apiVersion: "controlplane.cluster.x-k8s.io/v1beta1",
      kind: "KubeadmControlPlane",
      metadata: meta("demo-control-plane"),
      spec: { replicas: 3, version: "v1.33.4" },
    },
  ],
  [
    `/apis/cluster.x-k8s.io/v1beta1/namespaces/${PROJECT_NS}/machinedeployments/demo-default-worker`,
    {
      apiVersion: "cluster.x-k8s.io/v1beta1",
      kind: "MachineDeployment",
      metadata: meta("demo-default-worker"),
      spec: { clusterName: "demo", replicas: 2 },
    },
  ],
  [
    `/apis/addons.stackhpc.com/v1alpha1/namespaces/${PROJECT_NS}/helmreleases/demo-cni-calico`,
    {
      apiVersion: "addons.stackhpc.com/v1alpha1",
      kind: "HelmRelease",
      metadata: meta("demo-cni-calico"),
      spec: { clusterName: "demo", targetNamespace: "tigera-operator" },
    },
  ],
  [
    `/api/v1/namespaces/${PROJECT_NS}/secrets/demo-cloud-credentials`,
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: meta("demo-cloud-credentials", LABELS),
      stringData: { "clouds.yaml": "clouds: {}\n" },
    },
  ],
];

describe("scoped conductor credential on a real kube-apiserver", function () {
  this.timeout(180000);
  let kube: KubeApiServer;
  let conductor: KubeClient;
  let token: string;

  before(async function () {
    const missing = kubeUnavailable("kube tier");
    if (missing) {
      console.log(`    kube tier skipped: ${missing}`);
      this.skip();
    }
    kube = await startKubeApiServer();
    await grant(kube);
    token = await mintToken(kube, `${SA}-token-1`);
    conductor = kube.as(token);
  });

  after(async () => {
    await kube?.stop();
  });

  it("authenticates the minted token as the service account", async () => {
    const r = await conductor.ok("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
      body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
    });
    assert.strictEqual(r.body.status.userInfo.username, `system:serviceaccount:${CRED_NS}:${SA}`);
  });

  it("creates a project namespace by server-side apply, as ensure_namespace does", async () => {
    const r = await conductor.apply(`/api/v1/namespaces/${PROJECT_NS}`, {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: PROJECT_NS },
    });
    assert.strictEqual(r.status, 201, JSON.stringify(r.body));
    await bindProject(kube, PROJECT_NS);
  });

  it("is allowed every verb the driver and the chart need in the project namespace", async () => {
    const denied: string[] = [];
    for (const n of PROJECT_NEEDS) {
      const attrs = {
        namespace: PROJECT_NS,
        verb: n.verb,
        group: n.group,
        resource: n.resource,
        subresource: n.subresource,
      };
      if (!(await allowed(conductor, attrs)))
        denied.push(
          `${n.who}: ${n.verb} ${n.group}/${n.resource}${n.subresource ? `/${n.subresource}` : ""}`,
        );
    }
    assert.deepStrictEqual(denied, []);
  });

  it("server-side-applies (dry run, manager magnum, force) the objects the chart and driver write", async () => {
    for (const [path, object] of APPLIED) {
      const r = await conductor.apply(path, object, true);
      assert.ok(r.status === 200 || r.status === 201, `${path}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.ok(
        r.body.metadata.managedFields.some((m: { manager: string }) => m.manager === "magnum"),
        `${path}: no magnum field manager`,
      );
    }
  });

  it("writes and deletes its Secrets by label, as the driver does", async () => {
    const [path, secret] = APPLIED[APPLIED.length - 1];
    assert.strictEqual((await conductor.apply(path, secret)).status, 201);
    const selector = encodeURIComponent(
      Object.entries(LABELS)
        .map(([k, v]) => `${k}=${v}`)
        .join(","),
    );
    await conductor.ok("DELETE", `/api/v1/namespaces/${PROJECT_NS}/secrets?labelSelector=${selector}`);
    assert.strictEqual((await conductor.request("GET", path)).status, 404);
  });

  it("creates the chart's autoscaler Role and RoleBinding without escalate or bind", async () => {
    const rbac = `/apis/rbac.authorization.k8s.io/v1/namespaces/${PROJECT_NS}`;
    await conductor.ok("POST", `${rbac}/roles?dryRun=All`, {
      body: { metadata: { name: "demo-autoscaler" }, rules: AUTOSCALER_RULES },
    });
    await conductor.ok("POST", `${rbac}/roles`, {
      body: { metadata: { name: "demo-autoscaler" }, rules: AUTOSCALER_RULES },
    });
    await conductor.ok("POST", `${rbac}/rolebindings?dryRun=All`, {
      body: {
        metadata: { name: "demo-autoscaler" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "demo-autoscaler" },
        subjects: [{ kind: "ServiceAccount", name: "demo-autoscaler", namespace: PROJECT_NS }],
      },
    });
  });

  it("cannot grant itself more through a Role of its own", async () => {
    const r = await conductor.request(
      "POST",
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${PROJECT_NS}/roles?dryRun=All`,
      {
        body: {
          metadata: { name: "wider" },
          rules: [{ apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] }],
        },
      },
    );
    assert.strictEqual(r.status, 403, JSON.stringify(r.body));
  });

  const DENIED: Array<[string, string, string, unknown?]> = [
    ["kube-system Secrets (list)", "GET", "/api/v1/namespaces/kube-system/secrets"],
    ["kube-system Secrets (get)", "GET", "/api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef"],
    ["Secrets of all namespaces", "GET", "/api/v1/secrets"],
    [
      "capo-system's Deployment",
      "GET",
      "/apis/apps/v1/namespaces/capo-system/deployments/capo-controller-manager",
    ],
    ["Nodes", "GET", "/api/v1/nodes"],
    ["namespace listing", "GET", "/api/v1/namespaces"],
    ["namespace deletion", "DELETE", "/api/v1/namespaces/capo-system"],
    [
      "CRD writes",
      "POST",
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions?dryRun=All",
      {
        metadata: { name: "evils.example.com" },
        spec: {
          group: "example.com",
          scope: "Namespaced",
          names: { kind: "Evil", plural: "evils" },
          versions: [
            { name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object" } } },
          ],
        },
      },
    ],
    [
      "ClusterRole writes",
      "POST",
      "/apis/rbac.authorization.k8s.io/v1/clusterroles?dryRun=All",
      { metadata: { name: "evil" }, rules: [] },
    ],
    [
      "ClusterRoleBinding writes",
      "POST",
      "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?dryRun=All",
      {
        metadata: { name: "evil" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
        subjects: [{ kind: "ServiceAccount", name: SA, namespace: CRED_NS }],
      },
    ],
    [
      "minting tokens (serviceaccounts/token)",
      "POST",
      `/api/v1/namespaces/${CRED_NS}/serviceaccounts/${SA}/token`,
      {},
    ],
  ];

  for (const [what, method, path, body] of DENIED) {
    it(`is denied ${what}`, async () => {
      const r = await conductor.request(method, path, body === undefined ? {} : { body });
      assert.strictEqual(r.status, 403, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    });
  }

  it("is denied impersonation", async () => {
    const r = await conductor.request("GET", "/api/v1/namespaces/kube-system/secrets", {
      headers: { "Impersonate-User": "kube-test-admin", "Impersonate-Group": "system:masters" },
    });
    assert.strictEqual(r.status, 403, JSON.stringify(r.body));
    for (const verb of ["impersonate", "escalate", "bind"]) {
      const group = verb === "impersonate" ? "" : "rbac.authorization.k8s.io";
      const resource = verb === "impersonate" ? "users" : "clusterroles";
      assert.strictEqual(await allowed(conductor, { verb, group, resource }), false, verb);
    }
  });

  it("has no rights in a project namespace it was not bound in", async () => {
    const other = "magnum-fedcba9876543210fedcba9876543210";
    assert.strictEqual(
      (
        await conductor.apply(`/api/v1/namespaces/${other}`, {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: other },
        })
      ).status,
      201,
    );
    assert.strictEqual(
      await allowed(conductor, { namespace: other, verb: "create", resource: "secrets" }),
      false,
    );
  });

  it("passes the auth proof's probe with the driver's rights in its project, and is denied wider ones", async () => {
    assert.match(await probe(kube, token, driverRights(true, [PROJECT_NS])), /^held \d+$/);
    const other = "magnum-fedcba9876543210fedcba9876543210";
    assert.match(
      await probe(kube, token, driverRights(true, [other])),
      new RegExp(`^denied get secrets in ${other}; `),
    );
    const wider = {
      ...driverRights(true, []),
      clusterRules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }],
    };
    assert.equal(await probe(kube, token, wider), "denied list secrets");
  });

  it("refuses a rotated-out token once its Secret is deleted, and keeps the new generation's", async () => {
    const next = await mintToken(kube, `${SA}-token-2`);
    await kube.as(next).ok("GET", `/api/v1/namespaces/${PROJECT_NS}/secrets`);
    await kube.admin.ok("DELETE", `/api/v1/namespaces/${CRED_NS}/secrets/${SA}-token-1`);
    // kube-apiserver caches a successful token authentication for 10 s: revocation takes that long.
    await waitFor(
      "the revoked token to be refused",
      async () => {
        const r = await conductor.request("GET", `/api/v1/namespaces/${PROJECT_NS}/secrets`);
        return r.status === 401 ? true : undefined;
      },
      30000,
    );
    assert.match(
      await probe(kube, token, driverRights(true, [PROJECT_NS])),
      /^refused https:\/\/127\.0\.0\.1:\d+ answered 401 Unauthorized$/,
    );
    await kube.as(next).ok("GET", `/api/v1/namespaces/${PROJECT_NS}/secrets`);
  });
});
