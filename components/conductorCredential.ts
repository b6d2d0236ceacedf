import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CLUSTER_RULES, NAMESPACE_RULES, policyRules } from "./credentialRules";

export interface ConductorCredentialArgs {
  /** Provider built from the management cluster's admin kubeconfig (which stays where Pulumi runs). */
  readonly provider: k8s.Provider;
  /** The namespace holding the ServiceAccount and its token (`credentialNamespace`). */
  readonly namespace: string;
  /** `https://mgmtApiHost:mgmtApiPort`, the server the conductors reach. */
  readonly server: string;
  /** The admin kubeconfig's `certificate-authority-data` for that server (base64 PEM). */
  readonly certificateAuthorityData: pulumi.Input<string>;
  /**
   * Where the project rules apply: RoleBindings in these existing `magnum-<project>` namespaces
   * (kube-system's Secrets stay out of reach), or "cluster" for one ClusterRoleBinding (every new
   * project works at once, but every namespace's Secrets are readable).
   */
  readonly projectScope: "cluster" | readonly string[];
  /** Bumped to rotate: a new token Secret is made and delivered before the old one is deleted. */
  readonly tokenGeneration: number;
}

const RBAC = "rbac.authorization.k8s.io";

/** The conductors' least-privilege ServiceAccount on the management cluster and its kubeconfig. */
export class ConductorCredential extends pulumi.ComponentResource {
  readonly serviceAccount: k8s.core.v1.ServiceAccount;
  readonly tokenSecret: k8s.core.v1.Secret;
  /** Roles and bindings: what the auth proof and the delivery must wait for. */
  readonly grants: pulumi.CustomResource[];
  /** The conductors' kubeconfig: inline token, the admin kubeconfig's CA (secret). */
  readonly kubeconfig: pulumi.Output<string>;

  constructor(name: string, args: ConductorCredentialArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:index:ConductorCredential", name, {}, opts);
    const o = { parent: this, provider: args.provider };
    const ns = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: args.namespace } }, o);
    const namespace = ns.metadata.name;
    this.serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      { metadata: { name: "magnum-conductor", namespace } },
      o,
    );
    const subjects = [{ kind: "ServiceAccount", name: this.serviceAccount.metadata.name, namespace }];
    const role = (suffix: string, rules: typeof CLUSTER_RULES) =>
      new k8s.rbac.v1.ClusterRole(
        `${name}-${suffix}`,
        { metadata: { name: `magnum-conductor-${suffix}` }, rules: policyRules(rules) },
        o,
      );
    const clusterRole = role("cluster", CLUSTER_RULES);
    const projectRole = role("project", NAMESPACE_RULES);
    const clusterBinding = (suffix: string, r: k8s.rbac.v1.ClusterRole) =>
      new k8s.rbac.v1.ClusterRoleBinding(
        `${name}-${suffix}`,
        {
          metadata: { name: `magnum-conductor-${suffix}` },
          roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: r.metadata.name },
          subjects,
        },
        o,
      );
    this.grants = [clusterRole, projectRole, clusterBinding("cluster", clusterRole)];
    if (args.projectScope === "cluster") {
      this.grants.push(clusterBinding("project", projectRole));
    } else {
      for (const project of args.projectScope) {
        const binding = new k8s.rbac.v1.RoleBinding(
          `${name}-project-${project}`,
          {
            metadata: { name: "magnum-conductor", namespace: project },
            roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: projectRole.metadata.name },
            subjects,
          },
          o,
        );
        this.grants.push(binding);
      }
    }
    // A token Secret per generation: a new name is a replacement, which Pulumi creates first and
    // deletes only after everything that uses the kubeconfig has been updated; deleting it revokes it.
    this.tokenSecret = new k8s.core.v1.Secret(
      `${name}-token`,
      {
        metadata: {
          name: `magnum-conductor-token-${args.tokenGeneration}`,
          namespace,
          annotations: { "kubernetes.io/service-account.name": this.serviceAccount.metadata.name },
        },
        type: "kubernetes.io/service-account-token",
      },
      { ...o, additionalSecretOutputs: ["data"] },
    );
    const token = this.tokenSecret.data.apply((d) => {
      const t = d?.token;
      if (!t) {
        throw new Error(
          `conductor credential: expected the token controller to fill ${args.namespace}/` +
            `magnum-conductor-token-${args.tokenGeneration} with a token; it has none`,
        );
      }
      return Buffer.from(t, "base64").toString("utf8");
    });
    this.kubeconfig = pulumi.secret(
      pulumi.all([args.certificateAuthorityData, token]).apply(([ca, t]) =>
        JSON.stringify({
          apiVersion: "v1",
          kind: "Config",
          clusters: [{ name: "mgmt", cluster: { server: args.server, "certificate-authority-data": ca } }],
          users: [{ name: "magnum-conductor", user: { token: t } }],
          contexts: [{ name: "mgmt", context: { cluster: "mgmt", user: "magnum-conductor" } }],
          "current-context": "mgmt",
        }),
      ),
    );
    this.registerOutputs({ kubeconfig: this.kubeconfig });
  }
}
