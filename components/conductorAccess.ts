import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { RuleDecision, ruleDescription } from "../openstack/ingressRules";
import { HelmBinary } from "../providers/helmBinary";
import { RemoteCheck } from "../providers/remoteCheck";
import { DestroyMode, RemoteFile } from "../providers/remoteFile";
import { TransportSpec } from "../providers/transport/transport";
import { MAGNUM } from "./magnum";

export interface ConductorAccessArgs {
  readonly transport: TransportSpec;
  readonly unit: string;
  readonly address: string;
  readonly mgmtApiHost: string;
  readonly mgmtApiPort: number;
  readonly mgmtProjectId: string;
  readonly securityGroupId: string;
  /** What Neutron already holds for this conductor (looked up before the graph is built). */
  readonly rule: RuleDecision;
  readonly openstackProvider: openstack.Provider;
  /** The kubeconfig content, secret. */
  readonly kubeconfig: pulumi.Input<string>;
  readonly helmVersion: string;
  readonly helmTarballUrl: string;
  readonly helmTarballSha256: string;
  readonly expectedHelmReleases: readonly string[];
  readonly destroyMode: DestroyMode;
  readonly guards: pulumi.Input<string>;
  readonly after: pulumi.Resource[];
}

/** The runbook's access stage: SG rule -> TCP gate -> kubeconfig -> helm -> auth proof. */
export class ConductorAccess extends pulumi.ComponentResource {
  readonly rule: openstack.networking.SecGroupRule;
  readonly kubeconfig: RemoteFile;
  readonly authProof: RemoteCheck;

  constructor(name: string, args: ConductorAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:conductor:ConductorAccess", name, {}, opts);
    const target = { transport: args.transport, unit: args.unit };
    const ruleOpts = { parent: this, provider: args.openstackProvider, dependsOn: args.after };
    // Verify first: someone else's identical rule is only referenced (never deleted); a missing one
    // is created, and kept by a rollback destroy. Our own (by its description) stays ours: `import`
    // is a no-op while it is in state and takes it back if the state was lost, instead of a 409.
    this.rule =
      args.rule.existingId && !args.rule.ours
        ? openstack.networking.SecGroupRule.get(`${name}-rule`, args.rule.existingId, undefined, ruleOpts)
        : new openstack.networking.SecGroupRule(
            `${name}-rule`,
            {
              direction: "ingress",
              ethertype: "IPv4",
              protocol: "tcp",
              portRangeMin: args.mgmtApiPort,
              portRangeMax: args.mgmtApiPort,
              remoteIpPrefix: `${args.address}/32`,
              securityGroupId: args.securityGroupId,
              tenantId: args.mgmtProjectId,
              description: ruleDescription(args.unit),
            },
            { ...ruleOpts, retainOnDelete: args.destroyMode === "rollback", import: args.rule.existingId },
          );
    if (args.rule.widerRules.length > 0) {
      pulumi.log.warn(
        `${args.unit}: ${args.rule.widerRules.join(", ")} also admit ${args.address} to tcp/${args.mgmtApiPort}; ` +
          "the /32 rule is kept so the wide rule can be tightened without cutting the conductor off",
        this,
      );
    }

    const tcp = new RemoteCheck(
      `${name}-tcp`,
      {
        ...target,
        check: { kind: "tcp", host: args.mgmtApiHost, port: args.mgmtApiPort },
        guards: pulumi.interpolate`${args.guards} ${this.rule.id}`,
      },
      { parent: this, dependsOn: [this.rule] },
    );
    this.kubeconfig = new RemoteFile(
      `${name}-kubeconfig`,
      {
        ...target,
        path: MAGNUM.kubeconfig,
        content: pulumi.secret(args.kubeconfig),
        mode: "0600",
        ownerFromService: MAGNUM.service,
        destroyMode: args.destroyMode,
      },
      { parent: this, dependsOn: [tcp], additionalSecretOutputs: ["sha256"] },
    );
    const helm = new HelmBinary(
      `${name}-helm`,
      {
        ...target,
        version: args.helmVersion,
        tarballUrl: args.helmTarballUrl,
        tarballSha256: args.helmTarballSha256,
        installPath: MAGNUM.helmPath,
        destroyMode: args.destroyMode,
      },
      { parent: this, dependsOn: [this.kubeconfig] },
    );
    this.authProof = new RemoteCheck(
      `${name}-auth-proof`,
      {
        ...target,
        check: {
          kind: "helmAuth",
          kubeconfigPath: MAGNUM.kubeconfig,
          service: MAGNUM.service,
          expectedReleases: [...args.expectedHelmReleases],
        },
        guards: pulumi.interpolate`${args.guards} ${this.kubeconfig.sha256} ${helm.liveVersion}`,
      },
      { parent: this, dependsOn: [this.kubeconfig, helm] },
    );
    this.registerOutputs({});
  }
}
