import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { RuleDecision, ruleDescription } from "../openstack/ingressRules";
import { HelmBinary } from "../providers/helmBinary";
import { RemoteFile } from "../providers/remoteFile";
import { MAGNUM } from "./magnum";
import { seenBy, targetOf, UnitSpec } from "./unitSpec";

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

/** The helm release tarball to install. */
export interface HelmSpec {
  readonly version: string;
  readonly tarballUrl: string;
  /** "" when the download is not pinned to a digest. */
  readonly tarballSha256: string;
}

export interface ConductorAccessArgs {
  readonly unit: UnitSpec;
  readonly api: ApiAccess;
  /** The kubeconfig content, a secret Output. */
  readonly kubeconfig: pulumi.Input<string>;
  readonly helm: HelmSpec;
  /** The unit's preflight gates; the Neutron rule waits on them. */
  readonly after: pulumi.Resource[];
}

/**
 * The runbook's access stage after the unit's preflight: SG rule -> kubeconfig [TCP gate] -> helm, the
 * TCP gate inside the step it guards (one round trip for both).
 */
export class ConductorAccess extends pulumi.ComponentResource {
  /** When the kubeconfig last really changed on the unit: a restart follows it. */
  readonly kubeconfigChangedAt: pulumi.Output<string>;
  /** The delivered kubeconfig's hash (secret) and the live helm: a change reruns the auth proof. */
  readonly proofGuards: pulumi.Output<string>;
  /** What each gate saw, by step. */
  readonly gatesSeen: pulumi.Output<string>;
  /** What the next stage waits on: helm. */
  readonly ready: pulumi.Resource;

  constructor(name: string, args: ConductorAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:conductor:ConductorAccess", name, {}, opts);
    const { kubeconfig, helm } = createConductorAccess(name, args, this);
    this.kubeconfigChangedAt = kubeconfig.changedAt;
    this.proofGuards = pulumi.interpolate`${kubeconfig.sha256} ${helm.liveVersion}`;
    this.gatesSeen = seenBy([kubeconfig.gatesSeen]);
    this.ready = helm;
    this.registerOutputs({
      kubeconfigChangedAt: this.kubeconfigChangedAt,
      proofGuards: this.proofGuards,
      gatesSeen: this.gatesSeen,
      ready: helm.urn,
    });
  }
}

function createConductorAccess(name: string, args: ConductorAccessArgs, parent: pulumi.Resource) {
  const { unit: u, api } = args;
  const target = targetOf(u);
  // The rule, after the preflight: a wrong unit or address opens nothing. Then one call runs the TCP
  // gate before the unit's first change: an unreachable apiserver leaves no kubeconfig on the unit.
  const rule = createRule(name, args, args.after, parent);
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
      gates: [{ kind: "tcp", host: api.host, port: api.port }],
      // A rule made again (another id) reruns the TCP gate.
      guards: pulumi.interpolate`${u.guards} ${rule.id}`,
    },
    { parent, dependsOn: [...args.after, rule] },
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
  return { kubeconfig, helm };
}

/**
 * Verify first: someone else's identical rule is only referenced (never deleted); a missing one is
 * created, and kept by a rollback destroy. Our own (by its description) stays ours: `import` is a
 * no-op while it is in state and takes it back if the state was lost, instead of a 409.
 */
function createRule(
  name: string,
  args: ConductorAccessArgs,
  after: pulumi.Resource[],
  parent: pulumi.Resource,
) {
  const { unit: u, api } = args;
  const ruleOpts = { parent, provider: api.openstackProvider, dependsOn: after };
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
