import { strict as assert } from "assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ConductorCredential } from "../../components/conductorCredential";
import { POD_SECURITY_LABELS } from "../../components/credentialPolicy";
import { clusterRules, NAMESPACE_RULES, policyRules } from "../../components/credentialRules";

// The credential component's graph under runtime.setMocks: what it asks the kubernetes provider to
// create, and the kubeconfig it builds from the token the token controller fills in.

const TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2ln";
const CA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64");

interface Made {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

function value<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

async function build(projectNamespaces: string[], destroyMode: "rollback" | "remove" = "rollback") {
  const made: Made[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: async (args) => {
        made.push({ type: args.type, name: args.name, inputs: args.inputs });
        // The provider waits for the token controller to fill a service-account-token Secret.
        const filled =
          args.inputs.type === "kubernetes.io/service-account-token"
            ? { data: { token: Buffer.from(TOKEN).toString("base64") } }
            : args.type.startsWith("pulumi-nodejs:dynamic")
              ? { generation: 3, mintedAt: "2026-01-01T00:00:00.000Z", rotation: "first token" }
              : {};
        return { id: `${args.name}-id`, state: { ...args.inputs, ...filled } };
      },
      call: async (args) => args.inputs,
    },
    "magnum-capi-graft",
    "capi-mgmt",
    false,
  );
  const provider = new k8s.Provider("admin", { kubeconfig: "{}" });
  const cred = new ConductorCredential("cred", {
    provider,
    adminKubeconfig: "{}",
    imageAllowList: ["registry.k8s.io/autoscaling/cluster-autoscaler:"],
    namespace: "magnum-capi-graft",
    api: { server: "https://10.0.0.5:6443", certificateAuthorityData: CA },
    projectNamespaces,
    rotationDays: 90,
    destroyMode,
  });
  const kubeconfig = await value(cred.kubeconfig);
  await Promise.all(cred.grants.map((g) => value(g.urn)));
  return { made, kubeconfig, cred };
}

const ofType = (made: Made[], type: string) => made.filter((m) => m.type === type);

describe("ConductorCredential (mocks)", () => {
  it("binds the project rules per project namespace and only the namespace rule cluster-wide", async () => {
    const { made } = await build(["magnum-p1", "magnum-p2"]);
    const roles = ofType(made, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
    assert.deepStrictEqual(
      roles.map((r) => r.inputs.rules),
      [policyRules(clusterRules(["magnum-p1", "magnum-p2"])), policyRules(NAMESPACE_RULES)],
    );
    const crbs = ofType(made, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding");
    assert.deepStrictEqual(
      crbs.map((b) => (b.inputs.roleRef as { name: string }).name),
      ["magnum-conductor-cluster"],
    );
    const rbs = ofType(made, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding");
    assert.deepStrictEqual(
      rbs.map((b) => [
        (b.inputs.metadata as { namespace: string }).namespace,
        (b.inputs.roleRef as { name: string }).name,
      ]),
      [
        ["magnum-p1", "magnum-conductor-project"],
        ["magnum-p2", "magnum-conductor-project"],
      ],
    );
    for (const b of [...crbs, ...rbs]) {
      assert.deepStrictEqual(b.inputs.subjects, [
        { kind: "ServiceAccount", name: "magnum-conductor", namespace: "magnum-capi-graft" },
      ]);
    }
  });

  it("names the token Secret by the rotation's generation and keeps it on delete: only the revocation step revokes", async () => {
    const { made } = await build([]);
    const [token] = ofType(made, "kubernetes:core/v1:Secret");
    assert.deepStrictEqual(token.inputs.metadata, {
      name: "magnum-conductor-token-3",
      namespace: "magnum-capi-graft",
      annotations: { "kubernetes.io/service-account.name": "magnum-conductor" },
    });
    assert.equal(token.inputs.type, "kubernetes.io/service-account-token");
  });

  it("builds a secret kubeconfig with the server, the admin CA and the inline token", async () => {
    const { kubeconfig, cred } = await build([]);
    assert.ok(await pulumi.isSecret(cred.kubeconfig));
    assert.match(kubeconfig, /^ {4}server: https:\/\/10\.0\.0\.5:6443$/m);
    assert.ok(kubeconfig.includes(`    certificate-authority-data: ${CA}\n`));
    assert.ok(kubeconfig.includes(`    token: ${TOKEN}\n`));
  });

  it("labels (or creates) each project namespace at Pod Security baseline, kept on destroy", async () => {
    const { made } = await build(["magnum-p1"], "remove");
    const patches = ofType(made, "kubernetes:core/v1:NamespacePatch");
    assert.deepStrictEqual(
      patches.map((p) => (p.inputs.metadata as { name: string; labels: unknown }).labels),
      [POD_SECURITY_LABELS],
    );
    assert.deepStrictEqual(POD_SECURITY_LABELS, {
      "pod-security.kubernetes.io/enforce": "baseline",
      "pod-security.kubernetes.io/warn": "baseline",
      "pod-security.kubernetes.io/audit": "baseline",
    });
  });

  it("grants no namespace at all when no project is listed", async () => {
    const { made } = await build([]);
    const [cluster] = ofType(made, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
    assert.deepStrictEqual(cluster.inputs.rules, []);
  });

  it("binds one admission policy per kind, to this account only", async () => {
    const { made } = await build(["magnum-p1"]);
    const policies = ofType(made, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy");
    assert.deepStrictEqual(
      policies.map((p) => (p.inputs.metadata as { name: string }).name).sort(),
      ["deployments", "namespaces", "rolebindings", "roles", "secrets"].map((k) => `magnum-conductor-${k}`),
    );
    for (const p of policies) {
      const spec = p.inputs.spec as { matchConditions: unknown; failurePolicy: string };
      assert.deepStrictEqual(spec.matchConditions, [
        {
          name: "conductor-account",
          expression:
            "request.userInfo.username == 'system:serviceaccount:magnum-capi-graft:magnum-conductor'",
        },
      ]);
      assert.equal(spec.failurePolicy, "Fail");
    }
    const bindings = ofType(
      made,
      "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
    );
    assert.deepStrictEqual(
      bindings
        .map((b) => b.inputs.spec as { policyName: string; validationActions: string[] })
        .sort((a, b) => a.policyName.localeCompare(b.policyName)),
      ["deployments", "namespaces", "rolebindings", "roles", "secrets"].map((k) => ({
        policyName: `magnum-conductor-${k}`,
        validationActions: ["Deny"],
      })),
    );
  });
});
