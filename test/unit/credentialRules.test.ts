import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { clusterRules, NAMESPACE_RULES, policyRules } from "../../components/credentialRules";

describe("credentialRules", () => {
  const all = [...clusterRules(["magnum-p1"]), ...NAMESPACE_RULES];

  it("grants no wildcard and no verb that widens the account's own rights", () => {
    for (const r of all) {
      for (const field of [r.apiGroups, r.resources, r.verbs]) assert.ok(!field.includes("*"), r.reason);
      for (const v of ["escalate", "bind", "impersonate"])
        assert.ok(!r.verbs.includes(v), `${v}: ${r.reason}`);
    }
  });

  it("touches no node, CRD, cluster RBAC, token or exec resource", () => {
    const forbidden = [
      "nodes",
      "customresourcedefinitions",
      "clusterroles",
      "clusterrolebindings",
      "serviceaccounts/token",
      "pods",
      "pods/exec",
    ];
    for (const r of all) for (const f of forbidden) assert.ok(!r.resources.includes(f), `${f}: ${r.reason}`);
  });

  it("keeps the only cluster-wide rule to the listed project namespaces, and grants nothing for none", () => {
    assert.deepStrictEqual(policyRules(clusterRules(["magnum-p1", "magnum-p2"])), [
      {
        apiGroups: [""],
        resources: ["namespaces"],
        verbs: ["create", "patch"],
        resourceNames: ["magnum-p1", "magnum-p2"],
      },
    ]);
    // RBAC reads `resourceNames: []` as every name: no project, no rule at all.
    assert.deepStrictEqual(clusterRules([]), []);
  });

  it("never deletes what the chart keeps (helm.sh/resource-policy: keep)", () => {
    for (const kept of [
      "kubeadmcontrolplanes",
      "kubeadmconfigtemplates",
      "openstackclusters",
      "openstackmachinetemplates",
    ]) {
      const rule = NAMESPACE_RULES.find((r) => r.resources.includes(kept));
      assert.deepStrictEqual(rule?.verbs, ["get", "create", "patch"], kept);
    }
  });

  it("gives every rule a reason", () => {
    for (const r of all) assert.ok(r.reason.length > 20, JSON.stringify(r));
  });

  it("is listed rule by rule in docs/credential.md", () => {
    const doc = fs.readFileSync(path.join(__dirname, "..", "..", "..", "docs", "credential.md"), "utf8");
    const section = doc.split("## The rules")[1]?.split("\n## ")[0] ?? "";
    for (const r of all) {
      const cells = [r.resources.join(", "), r.verbs.join(", ")];
      const row = section
        .split("\n")
        .map((l) => l.split("|").map((c) => c.trim()))
        .find((l) => cells.every((c) => l.includes(c)));
      assert.ok(row, `docs/credential.md has no row for ${cells.join(" / ")}`);
    }
  });
});
