import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DestroyMode } from "../core/destroyMode";
import { TokenRevocation } from "../providers/tokenRevocation";
import { TokenRotation } from "../providers/tokenRotation";
import { ApiEndpoint, tokenKubeconfig } from "./credentialKubeconfig";
import { POD_SECURITY_LABELS, policySpecs, serviceAccountUser } from "./credentialPolicy";
import { clusterRules, CredentialRule, NAMESPACE_RULES, policyRules } from "./credentialRules";

export interface ConductorCredentialArgs {
  /** Provider built from the management cluster's admin kubeconfig (which stays where Pulumi runs). */
  readonly provider: k8s.Provider;
  /** The namespace holding the ServiceAccount and its token (`credentialNamespace`). */
  readonly namespace: string;
  /** The admin kubeconfig (secret): what revokes rotated-out tokens. */
  readonly adminKubeconfig: pulumi.Input<string>;
  /** The server and CA the conductors use, from the admin kubeconfig. */
  readonly api: ApiEndpoint;
  /**
   * The `magnum-<project>` namespaces: created (or labelled) here at Pod Security baseline, kept on
   * destroy, and the project rules bound in each by a RoleBinding. Never a ClusterRoleBinding: that
   * would reach every namespace's Secrets, kube-system's included.
   */
  readonly projectNamespaces: readonly string[];
  /** Image prefixes the account's Deployments may run (the chart's autoscaler). */
  readonly imageAllowList: readonly string[];
  /** An up after this many days mints a new token, delivers it, then deletes (revokes) the old one. */
  readonly rotationDays: number;
  /** `rollback` keeps the account on destroy: the 1.3.0 holding state still uses its kubeconfig. */
  readonly destroyMode: DestroyMode;
}

const RBAC = "rbac.authorization.k8s.io";
const ACCOUNT = "magnum-conductor";
const TOKEN_PREFIX = `${ACCOUNT}-token-`;

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
  private readonly revocation: {
    name: string;
    args: ConductorCredentialArgs;
    namespace: pulumi.Output<string>;
  };

  constructor(name: string, args: ConductorCredentialArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:index:ConductorCredential", name, {}, opts);
    const o = { parent: this, provider: args.provider, retainOnDelete: args.destroyMode === "rollback" };
    const ns = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: args.namespace } }, o);
    const namespace = ns.metadata.name;
    this.serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      { metadata: { name: ACCOUNT, namespace } },
      o,
    );
    this.grants = [
      ...createGrants(name, args, this.serviceAccount, namespace, o),
      ...createPolicy(name, args, o),
    ];

    const generation = new TokenRotation(
      `${name}-rotation`,
      { rotationDays: args.rotationDays },
      { parent: this },
    );
    // A token Secret per generation: a new name is a replacement, created first. Retained, so the
    // replacement never deletes the old one: a failed up would leave that delete pending, and the
    // engine runs pending deletes first in the next update, before the remaining units have the new
    // kubeconfig. revokeAfter() deletes the old ones once every unit holds the new one; a remove-mode
    // destroy deletes the namespace, and the Secret with it.
    this.tokenSecret = new k8s.core.v1.Secret(
      `${name}-token`,
      {
        metadata: {
          name: pulumi.interpolate`${TOKEN_PREFIX}${generation.generation}`,
          namespace,
          annotations: { "kubernetes.io/service-account.name": this.serviceAccount.metadata.name },
        },
        type: "kubernetes.io/service-account-token",
      },
      // @pulumi/kubernetes marks a Secret's data and stringData secret outputs itself.
      { parent: this, provider: args.provider, retainOnDelete: true },
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
    this.revocation = { name, args, namespace };
    this.registerOutputs({ kubeconfig: this.kubeconfig, rotation: this.rotation });
  }

  /**
   * The step that revokes rotated-out tokens, after `deliveries` (every unit's kubeconfig delivery and
   * restart): it runs only in an up in which all of them succeeded.
   */
  revokeAfter(deliveries: pulumi.Resource[]): TokenRevocation {
    const { name, args, namespace } = this.revocation;
    return new TokenRevocation(
      `${name}-revocation`,
      {
        kubeconfig: pulumi.secret(args.adminKubeconfig),
        namespace,
        serviceAccount: this.serviceAccount.metadata.name,
        keep: this.tokenSecret.metadata.name,
        prefix: TOKEN_PREFIX,
      },
      { parent: this, dependsOn: deliveries },
    );
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
  const role = (suffix: string, rules: readonly CredentialRule[]) =>
    new k8s.rbac.v1.ClusterRole(
      `${name}-${suffix}`,
      { metadata: { name: `magnum-conductor-${suffix}` }, rules: policyRules(rules) },
      o,
    );
  const clusterRole = role("cluster", clusterRules(args.projectNamespaces));
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
    // Labelled, or created when missing (server-side apply), never deleted: clusters live in it.
    const projectNs = new k8s.core.v1.NamespacePatch(
      `${name}-namespace-${project}`,
      {
        metadata: {
          name: project,
          labels: { ...POD_SECURITY_LABELS },
          annotations: { "pulumi.com/patchForce": "true" },
        },
      },
      { ...o, retainOnDelete: true },
    );
    grants.push(
      projectNs,
      new k8s.rbac.v1.RoleBinding(
        `${name}-project-${project}`,
        {
          metadata: { name: ACCOUNT, namespace: projectNs.metadata.name },
          roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: projectRole.metadata.name },
          subjects,
        },
        o,
      ),
    );
  }
  return grants;
}

/** The admission policies that say what RBAC cannot, bound cluster-wide, for this account only. */
function createPolicy(
  name: string,
  args: ConductorCredentialArgs,
  o: pulumi.CustomResourceOptions,
): pulumi.CustomResource[] {
  return policySpecs(serviceAccountUser(args.namespace, ACCOUNT), args.imageAllowList).flatMap((p) => {
    const id = `${name}-policy-${p.name.replace(`${ACCOUNT}-`, "")}`;
    const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
      id,
      { metadata: { name: p.name }, spec: p.spec },
      o,
    );
    const binding = new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
      id,
      { metadata: { name: p.name }, spec: { policyName: policy.metadata.name, validationActions: ["Deny"] } },
      o,
    );
    return [policy, binding];
  });
}
