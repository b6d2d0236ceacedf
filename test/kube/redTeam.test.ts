import * as assert from "assert";
import { POD_SECURITY_LABELS } from "../../components/credentialPolicy";
import { waitFor } from "../sim/unit/testSupport";
import { KubeApiServer, kubeUnavailable, startKubeApiServer } from "./apiserver";
import { AUTOSCALER_RULES, autoscalerPod, chartObjects } from "./chartObjects";
import { KubeClient } from "./client";
import {
  AUTOSCALER_IMAGE,
  allowed,
  CRED_NS,
  DENIED_BY,
  grant,
  mintToken,
  policyEnforced,
  PROJECT_NS,
  refused,
  SA,
  UNLISTED_NS,
} from "./conductorAccount";

// A stolen conductor token against a real kube-apiserver with RBAC, Pod Security admission and the
// credential's admission policy: each escalation is refused, and the refusal names what refused it;
// what the driver and helm send for a cluster still goes through; the admin kubeconfig (the
// conductorCredential=admin path) is unaffected by the policy.

const RELEASE = "demo-2f0c6e1d";
const RBAC = "/apis/rbac.authorization.k8s.io/v1";
const NS_PATH = `/api/v1/namespaces/${PROJECT_NS}`;
const DEPLOYMENTS = `/apis/apps/v1/namespaces/${PROJECT_NS}/deployments`;
const MERGE = "application/merge-patch+json";
const STRATEGIC = "application/strategic-merge-patch+json";
const CLUSTER_LABEL = { "magnum.openstack.org/cluster-uuid": "3f1c0d52-5d0e-4f6b-9a8e-0c1d2e3f4a5b" };

/** A Deployment running `pod`, as the chart's autoscaler is shaped. */
function deployment(name: string, pod: Record<string, unknown>) {
  const labels = { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: pod } },
  };
}

/** The autoscaler's pod with `change` applied to its container and pod. */
function autoscalerWith(pod: Record<string, unknown>, container: Record<string, unknown> = {}) {
  const base = autoscalerPod(`${RELEASE}-autoscaler`, RELEASE, PROJECT_NS);
  return { ...base, ...pod, containers: [{ ...base.containers[0], ...container }] };
}

/** The message of the condition the replicaset controller sets when Pod creation is refused. */
async function replicaFailure(kube: KubeApiServer, app: string): Promise<string> {
  return waitFor(
    `the ReplicaSet of ${app} to report its Pods refused`,
    async () => {
      const r = await kube.admin.ok(
        "GET",
        `/apis/apps/v1/namespaces/${PROJECT_NS}/replicasets?labelSelector=app%3D${app}`,
      );
      const conditions: Array<{ type: string; message: string }> = r.body.items[0]?.status?.conditions ?? [];
      return conditions.find((c) => c.type === "ReplicaFailure")?.message;
    },
    60000,
  );
}

describe("red team: a stolen scoped conductor token on a real kube-apiserver", function () {
  this.timeout(180000);
  let kube: KubeApiServer;
  let thief: KubeClient;

  before(async function () {
    const missing = kubeUnavailable("kube tier");
    if (missing) {
      console.log(`    kube tier skipped: ${missing}`);
      this.skip();
    }
    // The deployment and replicaset controllers turn a Deployment into Pods, which Pod Security judges.
    // The aggregation controller fills the admin and edit ClusterRoles, as on a real cluster.
    kube = await startKubeApiServer({
      controllers: ["deployment-controller", "replicaset-controller", "clusterrole-aggregation-controller"],
    });
    await waitFor(
      "the admin ClusterRole's aggregated rules",
      async () =>
        (await kube.admin.ok("GET", `${RBAC}/clusterroles/admin`)).body.rules?.length > 0 ? true : undefined,
      60000,
    );
    await grant(kube, [PROJECT_NS]);
    await kube.admin.ok("POST", "/api/v1/namespaces", { body: { metadata: { name: UNLISTED_NS } } });
    // No serviceaccount controller runs: the namespace's default account is made here.
    await kube.admin.ok("POST", `${NS_PATH}/serviceaccounts`, { body: { metadata: { name: "default" } } });
    thief = kube.as(await mintToken(kube, `${SA}-token-1`));
    await policyEnforced(thief);
  });

  after(async () => {
    await kube?.stop();
  });

  /** ensure_namespace's request (server-side apply, field manager magnum), which `by` must refuse. */
  const applyNamespace = (by: RegExp, name: string, labels?: Record<string, string>) =>
    refused(
      thief,
      by,
      "PATCH",
      `/api/v1/namespaces/${name}?fieldManager=magnum&force=true`,
      { apiVersion: "v1", kind: "Namespace", metadata: { name, ...(labels ? { labels } : {}) } },
      "application/apply-patch+yaml",
    );

  describe("denied", () => {
    it("a Pod of its own, privileged or not (RBAC: no Pods)", async () => {
      await refused(thief, DENIED_BY.rbac, "POST", `${NS_PATH}/pods`, {
        metadata: { name: "evil" },
        spec: { containers: [{ name: "x", image: AUTOSCALER_IMAGE, securityContext: { privileged: true } }] },
      });
    });

    const PRIVILEGED: Array<[string, Record<string, unknown>, Record<string, unknown>?, RegExp?]> = [
      ["privileged", {}, { securityContext: { privileged: true } }, /privileged \(container "autoscaler"/],
      [
        "hostpath",
        { volumes: [{ name: "root", hostPath: { path: "/" } }] },
        { volumeMounts: [{ name: "root", mountPath: "/host" }] },
        /hostPath volumes \(volume "root"\)/,
      ],
      ["hostnetwork", { hostNetwork: true }, {}, /host namespaces \(hostNetwork=true\)/],
    ];
    for (const [what, pod, container, reason] of PRIVILEGED) {
      it(`a ${what} Deployment: its Pods are refused by Pod Security baseline`, async () => {
        // The namespace's default account: the chart's does not exist yet.
        const r = await thief.request("POST", DEPLOYMENTS, {
          body: deployment(
            `evil-${what}`,
            autoscalerWith({ serviceAccountName: "default", ...pod }, container),
          ),
        });
        assert.strictEqual(r.status, 201, JSON.stringify(r.body));
        assert.ok(
          r.warnings.some((w) => /would violate PodSecurity \\?"baseline:latest\\?"/.test(w)),
          r.warnings.join(),
        );
        const message = await replicaFailure(kube, `evil-${what}`);
        assert.match(message, DENIED_BY.podSecurity);
        assert.match(message, reason!);
      });
    }

    it("lifting Pod Security: relabelling, unlabelling or a new namespace without the labels (policy)", async () => {
      await applyNamespace(DENIED_BY.policy, PROJECT_NS, {
        "pod-security.kubernetes.io/enforce": "privileged",
      });
      const message = await refused(
        thief,
        DENIED_BY.policy,
        "PATCH",
        NS_PATH,
        {
          metadata: { labels: { "pod-security.kubernetes.io/enforce": null } },
        },
        MERGE,
      );
      assert.match(message, /may not set or change a namespace's pod-security.kubernetes.io labels/);
      const ns = await kube.admin.ok("GET", NS_PATH);
      assert.deepStrictEqual(
        Object.fromEntries(
          Object.entries(ns.body.metadata.labels).filter(([k]) => k.startsWith("pod-security")),
        ),
        POD_SECURITY_LABELS,
      );
    });

    it("a never-expiring token: a service-account-token Secret (policy), a TokenRequest (RBAC)", async () => {
      const message = await refused(thief, DENIED_BY.policy, "POST", `${NS_PATH}/secrets`, {
        metadata: {
          name: "evil-token",
          annotations: { "kubernetes.io/service-account.name": `${RELEASE}-autoscaler` },
        },
        type: "kubernetes.io/service-account-token",
      });
      assert.match(message, /may not create kubernetes.io\/service-account-token Secrets/);
      await refused(
        thief,
        DENIED_BY.rbac,
        "POST",
        `/api/v1/namespaces/${CRED_NS}/serviceaccounts/${SA}/token`,
        {},
      );
      await refused(thief, DENIED_BY.rbac, "POST", `${NS_PATH}/serviceaccounts/default/token`, {});
    });

    it("copying its rights to an account of its own: the RoleBinding (policy)", async () => {
      // A ServiceAccount passes; a Role within its own rights passes RBAC but not the policy, which
      // admits only the autoscaler's machine rights; the binding is stopped by the policy too.
      await thief.ok("POST", `${NS_PATH}/serviceaccounts`, { body: { metadata: { name: "evil" } } });
      const role = await refused(thief, DENIED_BY.policy, "POST", `${RBAC}/namespaces/${PROJECT_NS}/roles`, {
        metadata: { name: "evil" },
        rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] }],
      });
      assert.match(role, /may only create Roles within the chart's autoscaler Role/);
      await thief.ok("POST", `${RBAC}/namespaces/${PROJECT_NS}/roles`, {
        body: { metadata: { name: "evil" }, rules: AUTOSCALER_RULES },
      });
      const binding = (name: string, roleName: string, subject: string, kind = "Role") => ({
        metadata: { name },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind, name: roleName },
        subjects: [{ kind: "ServiceAccount", name: subject, namespace: PROJECT_NS }],
      });
      const rolebindings = `${RBAC}/namespaces/${PROJECT_NS}/rolebindings`;
      const message = await refused(
        thief,
        DENIED_BY.policy,
        "POST",
        rolebindings,
        binding("evil", "evil", "evil"),
      );
      assert.match(message, /may only bind the chart's autoscaler/);
      // Named like the chart's but pointing elsewhere, or a second subject: still refused.
      await refused(
        thief,
        DENIED_BY.policy,
        "POST",
        rolebindings,
        binding("evil-autoscaler", "evil", "evil-autoscaler"),
      );
      // (RBAC looks the Role up before admission: it must exist for the policy to be what refuses.)
      await thief.ok("POST", `${RBAC}/namespaces/${PROJECT_NS}/roles`, {
        body: { metadata: { name: "x-autoscaler" }, rules: AUTOSCALER_RULES },
      });
      await refused(thief, DENIED_BY.policy, "POST", rolebindings, {
        ...binding("x-autoscaler", "x-autoscaler", "x-autoscaler"),
        subjects: [
          { kind: "ServiceAccount", name: "x-autoscaler", namespace: PROJECT_NS },
          { kind: "ServiceAccount", name: SA, namespace: CRED_NS },
        ],
      });
      // Rewriting its own binding is a RoleBinding update: refused alike.
      await refused(
        thief,
        DENIED_BY.policy,
        "PATCH",
        `${rolebindings}/${SA}`,
        {
          subjects: [{ kind: "ServiceAccount", name: "evil", namespace: PROJECT_NS }],
        },
        STRATEGIC,
      );
    });

    for (const role of ["cluster-admin", "admin"]) {
      it(`a RoleBinding to the ${role} ClusterRole (RBAC escalation check)`, async () => {
        await refused(thief, DENIED_BY.escalation, "POST", `${RBAC}/namespaces/${PROJECT_NS}/rolebindings`, {
          metadata: { name: `${RELEASE}-autoscaler` },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
          subjects: [{ kind: "ServiceAccount", name: `${RELEASE}-autoscaler`, namespace: PROJECT_NS }],
        });
      });
    }

    it("a ClusterRoleBinding, a ClusterRole, escalate and bind (RBAC)", async () => {
      await refused(thief, DENIED_BY.rbac, "POST", `${RBAC}/clusterrolebindings`, {
        metadata: { name: "evil" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
        subjects: [{ kind: "ServiceAccount", name: SA, namespace: CRED_NS }],
      });
      await refused(
        thief,
        DENIED_BY.rbac,
        "PATCH",
        `${RBAC}/clusterroles/${SA}-project`,
        {
          rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
        },
        MERGE,
      );
      await refused(thief, DENIED_BY.escalation, "POST", `${RBAC}/namespaces/${PROJECT_NS}/roles`, {
        metadata: { name: "wider" },
        rules: [{ apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] }],
      });
      for (const verb of ["escalate", "bind"]) {
        for (const resource of ["roles", "clusterroles"]) {
          assert.strictEqual(
            await allowed(thief, {
              verb,
              group: "rbac.authorization.k8s.io",
              resource,
              namespace: PROJECT_NS,
            }),
            false,
            `${verb} ${resource}`,
          );
        }
      }
    });

    it("an image outside credentialImageAllowList (policy)", async () => {
      for (const image of [
        "docker.io/library/alpine:3",
        "registry.k8s.io/autoscaling/cluster-autoscaler-evil:v1",
      ]) {
        const message = await refused(
          thief,
          DENIED_BY.policy,
          "POST",
          DEPLOYMENTS,
          deployment("evil-image", autoscalerWith({}, { image })),
        );
        assert.match(message, /may only run images under registry.k8s.io\/autoscaling\/cluster-autoscaler:/);
      }
      const init = { initContainers: [{ name: "init", image: "docker.io/library/alpine:3" }] };
      await refused(
        thief,
        DENIED_BY.policy,
        "POST",
        DEPLOYMENTS,
        deployment("evil-init", autoscalerWith(init)),
      );
    });

    const READS: Array<[string, string]> = [
      ["kube-system's Secrets (list)", "/api/v1/namespaces/kube-system/secrets"],
      ["kube-system's Secrets (get)", "/api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef"],
      ["an unlisted project's Secrets", `/api/v1/namespaces/${UNLISTED_NS}/secrets`],
      ["every namespace's Secrets", "/api/v1/secrets"],
      ["its own token Secrets", `/api/v1/namespaces/${CRED_NS}/secrets`],
      ["Nodes", "/api/v1/nodes"],
      ["the namespace list", "/api/v1/namespaces"],
    ];
    for (const [what, path] of READS) {
      it(`reading ${what} (RBAC)`, async () => {
        await refused(thief, DENIED_BY.rbac, "GET", path);
      });
    }

    it("creating or claiming an unlisted namespace, deleting any (RBAC)", async () => {
      const other = "magnum-00000000000000000000000000000001";
      await applyNamespace(DENIED_BY.rbac, other);
      await refused(thief, DENIED_BY.rbac, "POST", "/api/v1/namespaces", { metadata: { name: other } });
      await applyNamespace(DENIED_BY.rbac, UNLISTED_NS);
      await refused(thief, DENIED_BY.rbac, "DELETE", NS_PATH);
      await refused(thief, DENIED_BY.rbac, "POST", `/api/v1/namespaces/${UNLISTED_NS}/secrets`, {
        metadata: { name: "x" },
      });
    });

    it("impersonation (RBAC)", async () => {
      const r = await thief.request("GET", "/api/v1/namespaces/kube-system/secrets", {
        headers: { "Impersonate-User": "kube-test-admin", "Impersonate-Group": "system:masters" },
      });
      assert.strictEqual(r.status, 403);
      assert.match(r.body.message, DENIED_BY.rbac);
      assert.match(r.body.message, /cannot impersonate resource "users"/);
    });

    it("deleting what the chart keeps (RBAC: helm.sh/resource-policy keep)", async () => {
      for (const plural of [
        "kubeadmcontrolplanes",
        "kubeadmconfigtemplates",
        "openstackclusters",
        "openstackmachinetemplates",
      ]) {
        const group = plural.startsWith("openstack")
          ? "infrastructure"
          : plural.startsWith("kubeadmcontrol")
            ? "controlplane"
            : "bootstrap";
        await refused(
          thief,
          DENIED_BY.rbac,
          "DELETE",
          `/apis/${group}.cluster.x-k8s.io/v1beta1/namespaces/${PROJECT_NS}/${plural}/x`,
        );
      }
    });
  });

  describe("allowed, as the driver and helm send it", () => {
    it("ensure_namespace: server-side apply of the listed project's namespace", async () => {
      const r = await thief.apply(NS_PATH, {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: PROJECT_NS },
      });
      assert.strictEqual(r.status, 200, JSON.stringify(r.body));
    });

    it("the app-credential Secret: server-side apply, read back, deletecollection by label", async () => {
      const path = `${NS_PATH}/secrets/${RELEASE}-cloud-credentials`;
      const secret = {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: `${RELEASE}-cloud-credentials`, namespace: PROJECT_NS, labels: CLUSTER_LABEL },
        stringData: { "clouds.yaml": "clouds: {}\n", cacert: "" },
      };
      assert.strictEqual((await thief.apply(path, secret)).status, 201);
      assert.strictEqual((await thief.apply(path, secret)).status, 200);
      await thief.ok("GET", path);
      const selector = encodeURIComponent(
        Object.entries(CLUSTER_LABEL)
          .map(([k, v]) => `${k}=${v}`)
          .join(","),
      );
      await thief.ok("DELETE", `${NS_PATH}/secrets?labelSelector=${selector}`);
      assert.strictEqual((await thief.request("GET", path)).status, 404);
    });

    it("helm's release Secrets: create, list by label, update, delete", async () => {
      const name = `sh.helm.release.v1.${RELEASE}.v1`;
      const release = (status: string) => ({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name, labels: { owner: "helm", name: RELEASE, status, version: "1" } },
        type: "helm.sh/release.v1",
        data: { release: Buffer.from("H4sIAAAAAAAA").toString("base64") },
      });
      await thief.ok("POST", `${NS_PATH}/secrets`, { body: release("pending-install") });
      const list = await thief.ok(
        "GET",
        `${NS_PATH}/secrets?labelSelector=${encodeURIComponent(`owner=helm,name=${RELEASE}`)}`,
      );
      assert.strictEqual(list.body.items.length, 1);
      await thief.ok("PUT", `${NS_PATH}/secrets/${name}`, { body: release("deployed") });
      await thief.ok("DELETE", `${NS_PATH}/secrets/${name}`);
    });

    it("create, get and patch of every kind the chart renders, the autoscaler's Pods admitted", async () => {
      for (const o of chartObjects(PROJECT_NS, RELEASE)) {
        const created = await thief.request("POST", o.collection, { body: o.body });
        assert.strictEqual(
          created.status,
          201,
          `${o.collection}: ${created.status} ${JSON.stringify(created.body)}`,
        );
        assert.deepStrictEqual(created.warnings, [], `${o.collection}: warnings`);
        await thief.ok("GET", `${o.collection}/${o.name}`);
        await thief.ok("PATCH", `${o.collection}/${o.name}`, {
          body: { metadata: { annotations: { "meta.helm.sh/release-name": RELEASE } } },
          contentType: o.builtin ? STRATEGIC : MERGE,
        });
      }
      const pods = await waitFor(
        "the autoscaler's Pod",
        async () => {
          const r = await kube.admin.ok(
            "GET",
            `${NS_PATH}/pods?labelSelector=${encodeURIComponent(`capi.stackhpc.com/component=autoscaler`)}`,
          );
          return r.body.items.length > 0 ? r.body.items : undefined;
        },
        60000,
      );
      assert.strictEqual(pods[0].spec.containers[0].image, AUTOSCALER_IMAGE);
    });

    it("helm uninstall of what the chart does not keep", async () => {
      const kept =
        /\/(kubeadmcontrolplanes|kubeadmconfigtemplates|openstackclusters|openstackmachinetemplates)$/;
      for (const o of chartObjects(PROJECT_NS, RELEASE).filter((x) => !kept.test(x.collection))) {
        await thief.ok("DELETE", `${o.collection}/${o.name}`);
      }
    });

    it("the chart's autoscaler Role holds only rights the account holds (no escalate needed)", async () => {
      await thief.ok("POST", `${RBAC}/namespaces/${PROJECT_NS}/roles?dryRun=All`, {
        body: { metadata: { name: "check-autoscaler" }, rules: AUTOSCALER_RULES },
      });
    });
  });

  describe("the admin kubeconfig (conductorCredential admin) is not bound by the policy", () => {
    it("may relabel, mint, bind and run any image, as before", async () => {
      const admin = kube.admin;
      await admin.ok("PATCH", `${NS_PATH}?dryRun=All`, {
        body: { metadata: { labels: { "pod-security.kubernetes.io/enforce": "privileged" } } },
        contentType: MERGE,
      });
      await admin.ok("POST", `${NS_PATH}/secrets?dryRun=All`, {
        body: {
          metadata: { name: "t", annotations: { "kubernetes.io/service-account.name": "default" } },
          type: "kubernetes.io/service-account-token",
        },
      });
      await admin.ok("POST", `${RBAC}/namespaces/${PROJECT_NS}/rolebindings?dryRun=All`, {
        body: {
          metadata: { name: "ops" },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" },
          subjects: [{ kind: "User", name: "ops" }],
        },
      });
      await admin.ok("POST", `${DEPLOYMENTS}?dryRun=All`, {
        body: deployment("ops", autoscalerWith({}, { image: "docker.io/library/alpine:3" })),
      });
    });
  });
});
