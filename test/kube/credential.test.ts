import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { tokenKubeconfig } from "../../components/credentialKubeconfig";
import { apiEndpoint } from "../../core/kubeconfig";
import { driverRights } from "../../components/credentialRules";
import { AUTH_PROBE } from "../../providers/gates/authProbe";
import { revokeOthers } from "../../providers/tokenRevocation";
import { run } from "../sim/unit/processes";
import { removeDir, tempDir, waitFor } from "../sim/unit/testSupport";
import { KubeApiServer, kubeUnavailable, startKubeApiServer } from "./apiserver";
import { KubeClient } from "./client";
import { allowed, CRED_NS, grant, mintToken, PROJECT_NS, SA, UNLISTED_NS } from "./conductorAccount";

// The scoped conductor credential against a real kube-apiserver with RBAC: what magnum-capi-helm and
// its chart do in a project namespace is allowed; what would own the management cluster is not (the
// red-team suite, redTeam.test.ts, tries the escalations); rotation revokes only rotated-out tokens.

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
  // The chart marks these helm.sh/resource-policy: keep: helm never deletes them, nor the driver.
  ...needs(
    "helm install/upgrade",
    "controlplane.cluster.x-k8s.io",
    ["kubeadmcontrolplanes"],
    ["get", "create", "patch"],
  ),
  ...needs(
    "helm install/upgrade",
    "bootstrap.cluster.x-k8s.io",
    ["kubeadmconfigtemplates"],
    ["get", "create", "patch"],
  ),
  ...needs(
    "helm install/upgrade",
    "infrastructure.cluster.x-k8s.io",
    ["openstackclusters", "openstackmachinetemplates"],
    ["get", "create", "patch"],
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
    await grant(kube, [PROJECT_NS]);
    await kube.admin.ok("POST", "/api/v1/namespaces", { body: { metadata: { name: UNLISTED_NS } } });
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

  it("server-side-applies its listed project's namespace, which the program made, as ensure_namespace does", async () => {
    const r = await conductor.apply(`/api/v1/namespaces/${PROJECT_NS}`, {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: PROJECT_NS },
    });
    assert.strictEqual(r.status, 200, JSON.stringify(r.body));
    assert.strictEqual(r.body.metadata.labels["pod-security.kubernetes.io/enforce"], "baseline");
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

  it("passes the auth proof's probe with the driver's rights in its project, and is denied wider ones", async () => {
    assert.match(await probe(kube, token, driverRights(true, [PROJECT_NS])), /^held \d+$/);
    // The namespace rule is asked by name: held for the listed project's, denied for another's.
    assert.match(
      await probe(kube, token, driverRights(true, [UNLISTED_NS])),
      new RegExp(
        `^denied create namespaces ${UNLISTED_NS}; patch namespaces ${UNLISTED_NS}; get secrets in ${UNLISTED_NS}; `,
      ),
    );
    const wider = {
      ...driverRights(true, []),
      clusterRules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }],
    };
    assert.equal(await probe(kube, token, wider), "denied list secrets");
  });

  it("revokes every rotated-out token but the current one, as the admin, and the old token is refused", async () => {
    const next = await mintToken(kube, `${SA}-token-2`);
    await kube.as(next).ok("GET", `/api/v1/namespaces/${PROJECT_NS}/secrets`);
    // Another account's token in the same namespace is not ours to revoke.
    await kube.admin.ok("POST", `/api/v1/namespaces/${CRED_NS}/serviceaccounts`, {
      body: { metadata: { name: "other" } },
    });
    await kube.admin.ok("POST", `/api/v1/namespaces/${CRED_NS}/secrets`, {
      body: {
        metadata: { name: `${SA}-token-9`, annotations: { "kubernetes.io/service-account.name": "other" } },
        type: "kubernetes.io/service-account-token",
      },
    });
    const rotation = {
      kubeconfig: kube.adminKubeconfig,
      namespace: CRED_NS,
      serviceAccount: SA,
      prefix: `${SA}-token-`,
    };
    await assert.rejects(
      revokeOthers({ ...rotation, keep: `${SA}-token-3` }),
      /expected to delete the rotated-out token Secrets of magnum-capi-graft\/magnum-conductor but magnum-conductor-token-3; saw HTTP 404/,
      "never revokes while the token to keep is missing",
    );
    assert.deepStrictEqual(await revokeOthers({ ...rotation, keep: `${SA}-token-2` }), [`${SA}-token-1`]);
    assert.deepStrictEqual(await revokeOthers({ ...rotation, keep: `${SA}-token-2` }), [], "idempotent");
    await kube.admin.ok("GET", `/api/v1/namespaces/${CRED_NS}/secrets/${SA}-token-9`);
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
