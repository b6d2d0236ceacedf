import * as pulumi from "@pulumi/pulumi";
import { RestartApi } from "../core/restartApi";
import { ChartIndexCheck, GateSpec } from "../providers/gates";
import { ServiceRestart } from "../providers/serviceRestart";
import { UnitGates } from "../providers/unitGates";
import { MAGNUM } from "./magnum";
import { targetOf, UnitSpec } from "./unitSpec";

/** What the unit's first gates check besides the unit itself and its [trust]. */
export interface PreflightGates {
  readonly egressCheckUrls: readonly string[];
  /** The driver to install ("magnum-capi-helm 1.4.0") and its Python floor ("" when none is known). */
  readonly driver: string;
  readonly pythonFloor: string;
  /** The configured chart version must be in the repo's index as this conductor fetches it. */
  readonly chart: ChartIndexCheck;
  /** The management cluster's readiness: a down CAPI stack stops the unit here. */
  readonly capiStack: pulumi.Input<string>;
}

export interface PreflightArgs {
  readonly unit: UnitSpec;
  readonly gates: PreflightGates;
  /** The previous unit's restart-after-destroy: deleted after this unit's, so destroy restarts roll. */
  readonly restartAfter?: pulumi.Resource;
  /** Whether magnum-api restarts after the conductor: after a rollback it must load the pinned driver too. */
  readonly restartApi: RestartApi;
}

/**
 * Before any change to the unit or to Neutron: the unit's read-only gates, in one round trip. Also the
 * resource whose delete restarts the conductor after a rollback: created before any change, so
 * deleted after all.
 */
export class Preflight extends pulumi.ComponentResource {
  /** The restart a destroy runs last on this unit. */
  readonly restartAfterDestroy: pulumi.Resource;
  /** What every change of the unit's graft waits on: the gates, after the restart-after-destroy. */
  readonly ready: pulumi.Resource;
  /** What the gates saw. */
  readonly gatesSeen: pulumi.Output<string>;

  constructor(name: string, args: PreflightArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:conductor:Preflight", name, {}, opts);
    this.restartAfterDestroy = createRestartAfterDestroy(name, args, this);
    const gates = createGates(name, args, this.restartAfterDestroy, this);
    this.ready = gates;
    this.gatesSeen = gates.gatesSeen;
    this.registerOutputs({
      restartAfterDestroy: this.restartAfterDestroy.urn,
      ready: gates.urn,
      gatesSeen: this.gatesSeen,
    });
  }
}

function createRestartAfterDestroy(name: string, args: PreflightArgs, parent: pulumi.Resource) {
  return new ServiceRestart(
    `${name}-restart-after-destroy`,
    {
      ...targetOf(args.unit),
      service: MAGNUM.service,
      when: "destroy",
      triggers: [],
      configDir: MAGNUM.confDir,
      driver: MAGNUM.driverName,
      settleSeconds: MAGNUM.settleSeconds,
      destroyMode: args.unit.destroyMode,
      apiService: MAGNUM.apiService,
      restartApi: args.restartApi,
    },
    { parent, dependsOn: args.restartAfter ? [args.restartAfter] : [] },
  );
}

function createGates(name: string, args: PreflightArgs, after: pulumi.Resource, parent: pulumi.Resource) {
  const { unit: u, gates: g } = args;
  const gates: GateSpec[] = [
    {
      kind: "preflight",
      address: u.address,
      magnumConf: MAGNUM.conf,
      ...(g.pythonFloor !== "" ? { driver: g.driver, pythonFloor: g.pythonFloor } : {}),
    },
    ...(g.egressCheckUrls.length > 0 ? [{ kind: "egress" as const, urls: [...g.egressCheckUrls] }] : []),
    g.chart,
  ];
  return new UnitGates(
    `${name}-gates`,
    { ...targetOf(u), gates, guards: pulumi.interpolate`${g.capiStack} ${u.guards}` },
    { parent, dependsOn: [after] },
  );
}
