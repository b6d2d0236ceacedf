import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DestroyMode } from "../core/destroyMode";
import { TokenRotation } from "../providers/tokenRotation";
import { ApiEndpoint, tokenKubeconfig } from "./credentialKubeconfig";
import { CLUSTER_RULES, NAMESPACE_RULES, policyRules } from "./credentialRules";

export interface ConductorCredentialArgs {
  /** Provider built from the management cluster's admin kubeconfig (which stays where Pulumi runs). */
  readonly provider: k8s.Provider;
  /** The namespace holding the ServiceAccount and its token (`credentialNamespace`). */
  readonly namespace: string;
  /** The server and CA the conductors use, from the admin kubeconfig. */
  readonly api: ApiEndpoint;
  /**
   * The existing `magnum-<project>` namespaces the project rules are bound in, one RoleBinding each.
   * Never a ClusterRoleBinding: that would reach every namespace's Secrets, kube-system's included.
   */
  readonly projectNamespaces: readonly string[];
  /** An up after this many days mints a new token, delivers it, then deletes (revokes) the old one. */
  readonly rotationDays: number;
  /** `rollback` keeps the account on destroy: the 1.3.0 holding state still uses its kubeconfig. */
  readonly destroyMode: DestroyMode;
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
  /** Why the current token generation exists (a rotation names the old token's age). */
  readonly rotation: pulumi.Output<string>;

  constructor(name: string, args: ConductorCredentialArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:index:ConductorCredential", name, {}, opts);
    const o = { parent: this, provider: args.provider, retainOnDelete: args.destroyMode === "rollback" };
    const ns = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: args.namespace } }, o);
    const namespace = ns.metadata.name;
    this.serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      { metadata: { name: "magnum-conductor", namespace } },
      o,
    );
    this.grants = createGrants(name, args, this.serviceAccount, namespace, o);

    const generation = new TokenRotation(
      `${name}-rotation`,
      { rotationDays: args.rotationDays },
      { parent: this },
    );
    // A token Secret per generation: a new name is a replacement, which Pulumi creates first and
    // deletes only after everything that uses the kubeconfig has been updated; deleting it revokes it.
    // Not retained: a retained Secret would survive its own replacement and never be revoked. A
    // destroy keeps it in rollback mode all the same, through deletedWith: the namespace it lives in
    // is being deleted (retained, in rollback mode), so the engine skips deleting it.
    this.tokenSecret = new k8s.core.v1.Secret(
      `${name}-token`,
      {
        metadata: {
          name: pulumi.interpolate`magnum-conductor-token-${generation.generation}`,
          namespace,
          annotations: { "kubernetes.io/service-account.name": this.serviceAccount.metadata.name },
        },
        type: "kubernetes.io/service-account-token",
      },
      // @pulumi/kubernetes marks a Secret's data and stringData secret outputs itself.
      { parent: this, provider: args.provider, deletedWith: ns },
    );
    const secretName = this.tokenSecret.metadata.name;
    const token = pulumi.all([this.tokenSecret.data, secretName]).apply(([d, secret]) => {
      const t = d?.token;
      if (!t) {
        throw new Error(
          `conductor credential: expected the token controller to fill ${args.namespace}/${secret} ` +
            "with a token; it has none (is kube-controller-manager's serviceaccount-token controller running?)",
        );
      }
      return Buffer.from(t, "base64").toString("utf8");
    });
    // The grants are folded in so every unit's delivery (and its auth proof) waits for them.
    const granted = pulumi.all([token, ...this.grants.map((g) => g.urn)]);
    this.kubeconfig = pulumi.secret(granted.apply(([t]) => tokenKubeconfig(args.api, t)));
    this.rotation = generation.rotation;
    this.registerOutputs({ kubeconfig: this.kubeconfig, rotation: this.rotation });
  }
}

function createGrants(
  name: string,
  args: ConductorCredentialArgs,
  sa: k8s.core.v1.ServiceAccount,
  namespace: pulumi.Output<string>,
  o: pulumi.CustomResourceOptions,
): pulumi.CustomResource[] {
  const subjects = [{ kind: "ServiceAccount", name: sa.metadata.name, namespace }];
  const role = (suffix: string, rules: typeof CLUSTER_RULES) =>
    new k8s.rbac.v1.ClusterRole(
      `${name}-${suffix}`,
      { metadata: { name: `magnum-conductor-${suffix}` }, rules: policyRules(rules) },
      o,
    );
  const clusterRole = role("cluster", CLUSTER_RULES);
  const projectRole = role("project", NAMESPACE_RULES);
  const clusterBinding = new k8s.rbac.v1.ClusterRoleBinding(
    `${name}-cluster`,
    {
      metadata: { name: "magnum-conductor-cluster" },
      roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: clusterRole.metadata.name },
      subjects,
    },
    o,
  );
  const grants: pulumi.CustomResource[] = [clusterRole, projectRole, clusterBinding];
  for (const project of args.projectNamespaces) {
    grants.push(
      new k8s.rbac.v1.RoleBinding(
        `${name}-project-${project}`,
        {
          metadata: { name: "magnum-conductor", namespace: project },
          roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: projectRole.metadata.name },
          subjects,
        },
        o,
      ),
    );
  }
  return grants;
}
