import * as pulumi from "@pulumi/pulumi";
import { DestroyMode } from "../providers/remoteFile";
import { RemoteCheck } from "../providers/remoteCheck";
import { ServiceRestart } from "../providers/serviceRestart";
import { TransportSpec } from "../providers/transport/transport";
import { MAGNUM } from "./magnum";

export interface PreflightArgs {
  readonly transport: TransportSpec;
  readonly unit: string;
  readonly address: string;
  readonly egressCheckUrls: readonly string[];
  /** The management cluster's readiness: the unit's gates wait on it, so a down CAPI stack stops here. */
  readonly capiStack: pulumi.Input<string>;
  /** The unit's desired graft; a change reruns every gate before anything else changes. */
  readonly guards: pulumi.Input<string>;
  readonly destroyMode: DestroyMode;
}

/**
 * Every read-only gate that needs no change first (unit and [trust], egress), then the resource whose
 * delete restarts the conductor after a rollback: created before any change, so deleted after all.
 */
export class Preflight extends pulumi.ComponentResource {
  readonly gates: pulumi.Resource[];
  readonly restartAfterDestroy: ServiceRestart;

  constructor(name: string, args: PreflightArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:conductor:Preflight", name, {}, opts);
    const target = { transport: args.transport, unit: args.unit };
    const guards = pulumi.interpolate`${args.capiStack} ${args.guards}`;
    const unit = new RemoteCheck(
      `${name}-unit`,
      { ...target, check: { kind: "preflight", address: args.address, magnumConf: MAGNUM.conf }, guards },
      { parent: this },
    );
    this.gates = [unit];
    if (args.egressCheckUrls.length > 0) {
      const egress = new RemoteCheck(
        `${name}-egress`,
        { ...target, check: { kind: "egress", urls: [...args.egressCheckUrls] }, guards },
        { parent: this, dependsOn: [unit] },
      );
      this.gates.push(egress);
    }
    this.restartAfterDestroy = new ServiceRestart(
      `${name}-restart-after-destroy`,
      {
        ...target,
        service: MAGNUM.service,
        when: "destroy",
        triggers: [],
        configDir: MAGNUM.confDir,
        driver: MAGNUM.driverName,
        settleSeconds: MAGNUM.settleSeconds,
        destroyMode: args.destroyMode,
      },
      { parent: this, dependsOn: this.gates },
    );
    this.registerOutputs({});
  }
}
