import * as pulumi from "@pulumi/pulumi";
import { RemoteCheck } from "../providers/remoteCheck";
import { ServiceRestart } from "../providers/serviceRestart";
import { MAGNUM } from "./magnum";
import { targetOf, UnitSpec } from "./unitSpec";

export interface PreflightArgs {
  readonly unit: UnitSpec;
  readonly egressCheckUrls: readonly string[];
  /** The management cluster's readiness: the unit's gates wait on it, so a down CAPI stack stops here. */
  readonly capiStack: pulumi.Input<string>;
  /** The previous unit's restart-after-destroy: deleted after this unit's, so destroy restarts roll. */
  readonly restartAfter?: pulumi.Resource;
}

/**
 * Every read-only gate that needs no change first (unit and [trust], egress), then the resource whose
 * delete restarts the conductor after a rollback: created before any change, so deleted after all.
 */
export class Preflight extends pulumi.ComponentResource {
  /** What the next stage waits on: the gates and the rollback restart. */
  readonly ready: pulumi.Resource[];
  /** The restart a destroy runs last on this unit. */
  readonly restartAfterDestroy: pulumi.Resource;

  constructor(name: string, args: PreflightArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:conductor:Preflight", name, {}, opts);
    const { gates, restartAfterDestroy } = createPreflight(name, args, this);
    this.ready = [...gates, restartAfterDestroy];
    this.restartAfterDestroy = restartAfterDestroy;
    this.registerOutputs({ ready: this.ready.map((r) => r.urn) });
  }
}

function createPreflight(name: string, args: PreflightArgs, parent: pulumi.Resource) {
  const target = targetOf(args.unit);
  const guards = pulumi.interpolate`${args.capiStack} ${args.unit.guards}`;
  const unit = new RemoteCheck(
    `${name}-unit`,
    { ...target, check: { kind: "preflight", address: args.unit.address, magnumConf: MAGNUM.conf }, guards },
    { parent },
  );
  const gates: pulumi.Resource[] = [unit];
  if (args.egressCheckUrls.length > 0) {
    gates.push(
      new RemoteCheck(
        `${name}-egress`,
        { ...target, check: { kind: "egress", urls: [...args.egressCheckUrls] }, guards },
        { parent, dependsOn: [unit] },
      ),
    );
  }
  const restartAfterDestroy = new ServiceRestart(
    `${name}-restart-after-destroy`,
    {
      ...target,
      service: MAGNUM.service,
      when: "destroy",
      triggers: [],
      configDir: MAGNUM.confDir,
      driver: MAGNUM.driverName,
      settleSeconds: MAGNUM.settleSeconds,
      destroyMode: args.unit.destroyMode,
    },
    { parent, dependsOn: [...gates, ...(args.restartAfter ? [args.restartAfter] : [])] },
  );
  return { gates, restartAfterDestroy };
}
