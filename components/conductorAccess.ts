import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { RuleDecision, ruleDescription } from "../openstack/ingressRules";
import { HelmBinary } from "../providers/helmBinary";
import { RemoteCheck } from "../providers/remoteCheck";
import { AuthProof } from "../providers/remoteCheck/types";
import { RemoteFile } from "../providers/remoteFile";
import { MAGNUM } from "./magnum";
import { targetOf, UnitSpec } from "./unitSpec";

/** The management cluster's API as a conductor must reach it, and the group its rule goes into. */
export interface ApiAccess {
  readonly host: string;
  readonly port: number;
  readonly projectId: string;
  readonly securityGroupId: string;
  /** What Neutron already holds for this conductor (looked up before the graph is built). */
  readonly rule: RuleDecision;
  readonly openstackProvider: openstack.Provider;
}

/** The helm release tarball to install, and the releases its auth proof must list. */
export interface HelmSpec {
  readonly version: string;
  readonly tarballUrl: string;
  /** "" when the download is not pinned to a digest. */
  readonly tarballSha256: string;
  readonly expectedReleases: readonly string[];
}

export interface ConductorAccessArgs {
  readonly unit: UnitSpec;
  readonly api: ApiAccess;
  /** The kubeconfig content, a secret Output. */
  readonly kubeconfig: pulumi.Input<string>;
  readonly helm: HelmSpec;
  /** What the auth proof demands of the delivered credential besides authenticating. */
  readonly rights: AuthRights;
  readonly after: pulumi.Resource[];
}

/** The driver's rights, and where helm lists releases: everywhere (admin) or in the projects (scoped). */
export type AuthRights = Required<
  Pick<AuthProof, "allNamespaces" | "clusterRules" | "namespacedRules" | "namespaces">
>;

/** The runbook's access stage: SG rule -> TCP gate -> kubeconfig -> helm -> auth proof. */
export class ConductorAccess extends pulumi.ComponentResource {
  /** When the kubeconfig last really changed on the unit: a restart follows it. */
  readonly kubeconfigChangedAt: pulumi.Output<string>;
  /** What the next stage waits on: the auth proof. */
  readonly ready: pulumi.Resource;

  constructor(name: string, args: ConductorAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:conductor:ConductorAccess", name, {}, opts);
    const { kubeconfig, authProof } = createConductorAccess(name, args, this);
    this.kubeconfigChangedAt = kubeconfig.changedAt;
    this.ready = authProof;
    this.registerOutputs({ kubeconfigChangedAt: this.kubeconfigChangedAt, ready: authProof.urn });
  }
}

function createConductorAccess(name: string, args: ConductorAccessArgs, parent: pulumi.Resource) {
  const { unit: u, api } = args;
  const target = targetOf(u);
  const rule = createRule(name, args, parent);
  const tcp = new RemoteCheck(
    `${name}-tcp`,
    {
      ...target,
      check: { kind: "tcp", host: api.host, port: api.port },
      guards: pulumi.interpolate`${u.guards} ${rule.id}`,
    },
    { parent, dependsOn: [rule] },
  );
  const kubeconfig = new RemoteFile(
    `${name}-kubeconfig`,
    {
      ...target,
      path: MAGNUM.kubeconfig,
      content: args.kubeconfig,
      secret: true,
      mode: "0600",
      ownerFromService: MAGNUM.service,
      destroyMode: u.destroyMode,
    },
    { parent, dependsOn: [tcp] },
  );
  const helm = new HelmBinary(
    `${name}-helm`,
    {
      ...target,
      version: args.helm.version,
      tarballUrl: args.helm.tarballUrl,
      tarballSha256: args.helm.tarballSha256,
      installPath: MAGNUM.helmPath,
      destroyMode: u.destroyMode,
    },
    { parent, dependsOn: [kubeconfig] },
  );
  const authProof = new RemoteCheck(
    `${name}-auth-proof`,
    {
      ...target,
      check: {
        kind: "helmAuth",
        kubeconfigPath: MAGNUM.kubeconfig,
        service: MAGNUM.service,
        // A scoped account cannot list the CAPI stack's releases; it lists its projects' instead.
        expectedReleases: args.rights.allNamespaces ? [...args.helm.expectedReleases] : [],
        ...args.rights,
      },
      guards: pulumi.interpolate`${u.guards} ${kubeconfig.sha256} ${helm.liveVersion}`,
    },
    { parent, dependsOn: [kubeconfig, helm] },
  );
  return { kubeconfig, authProof };
}

/**
 * Verify first: someone else's identical rule is only referenced (never deleted); a missing one is
 * created, and kept by a rollback destroy. Our own (by its description) stays ours: `import` is a
 * no-op while it is in state and takes it back if the state was lost, instead of a 409.
 */
function createRule(name: string, args: ConductorAccessArgs, parent: pulumi.Resource) {
  const { unit: u, api } = args;
  const ruleOpts = { parent, provider: api.openstackProvider, dependsOn: args.after };
  if (api.rule.widerRules.length > 0) {
    pulumi.log.warn(
      `${u.unit}: ${api.rule.widerRules.join(", ")} also admit ${u.address} to tcp/${api.port}; ` +
        "the /32 rule is kept so the wide rule can be tightened without cutting the conductor off",
      parent,
    );
  }
  if (api.rule.existingId && !api.rule.ours) {
    return openstack.networking.SecGroupRule.get(`${name}-rule`, api.rule.existingId, undefined, ruleOpts);
  }
  return new openstack.networking.SecGroupRule(
    `${name}-rule`,
    {
      direction: "ingress",
      ethertype: "IPv4",
      protocol: "tcp",
      portRangeMin: api.port,
      portRangeMax: api.port,
      remoteIpPrefix: `${u.address}/32`,
      securityGroupId: api.securityGroupId,
      tenantId: api.projectId,
      description: ruleDescription(u.unit),
    },
    { ...ruleOpts, retainOnDelete: u.destroyMode === "rollback", import: api.rule.existingId },
  );
}
