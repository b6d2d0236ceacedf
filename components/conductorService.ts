import * as pulumi from "@pulumi/pulumi";
import { RestartApi } from "../core/restartApi";
import { ServiceRestart } from "../providers/serviceRestart";
import { MAGNUM } from "./magnum";
import { targetOf, UnitSpec } from "./unitSpec";

export interface ConductorServiceArgs {
  readonly unit: UnitSpec;
  /** When the kubeconfig, driver, drop-in and /etc/default last really changed. */
  readonly triggers: pulumi.Input<string>[];
  readonly after: pulumi.Resource[];
  /** The rolling restart: the previous unit's restart, which must be done first, and the units after. */
  readonly roll: RollPlace;
  /** Whether magnum-api restarts after the conductor, in the same step. */
  readonly restartApi: RestartApi;
}

/** A unit's place in the rolling restart, in the order of `conductors`. */
export interface RollPlace {
  readonly previous?: pulumi.Resource;
  readonly later: readonly string[];
}

/**
 * Restart when a change left one owed, wait until really active, prove the driver loaded. One
 * resource, kept as a stage of its own: its URN (and its child's) are in users' stacks.
 */
export class ConductorService extends pulumi.ComponentResource {
  /** The drivers `magnum-driver-manage list-drivers` listed, comma-separated. */
  readonly drivers: pulumi.Output<string>;
  /** Whether the live daemon runs with the graft's --config-dir. */
  readonly configDirLive: pulumi.Output<boolean>;
  /** The daemon's pid after the restart: what the acceptance checks follow. */
  readonly pid: pulumi.Output<string>;
  /** Whether a restart is still owed, as the restart last measured it. */
  readonly owesRestart: pulumi.Output<boolean>;
  /** The driver version the running daemon loaded, as the restart last measured it. */
  readonly runningVersion: pulumi.Output<string>;
  /** The restart resource: the next unit's restart waits on it. */
  readonly restart: ServiceRestart;

  constructor(name: string, args: ConductorServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:conductor:ConductorService", name, {}, opts);
    const restart = createConductorService(name, args, this);
    this.drivers = restart.drivers;
    this.configDirLive = restart.configDirLive.apply((v) => v === "1");
    this.pid = restart.pid;
    this.owesRestart = restart.owed.apply((v) => v === "1");
    this.runningVersion = restart.runningVersion.apply((v) => v ?? "");
    this.restart = restart;
    this.registerOutputs({
      drivers: this.drivers,
      configDirLive: this.configDirLive,
      pid: this.pid,
      owesRestart: this.owesRestart,
      runningVersion: this.runningVersion,
    });
  }
}

function createConductorService(
  name: string,
  args: ConductorServiceArgs,
  parent: pulumi.Resource,
): ServiceRestart {
  return new ServiceRestart(
    `${name}-restart`,
    {
      ...targetOf(args.unit),
      service: MAGNUM.service,
      when: "apply",
      triggers: args.triggers,
      configDir: MAGNUM.confDir,
      driver: MAGNUM.driverName,
      settleSeconds: MAGNUM.settleSeconds,
      destroyMode: args.unit.destroyMode,
      rollAfter: [...args.roll.later],
      apiService: MAGNUM.apiService,
      restartApi: args.restartApi,
    },
    // Explicit dependsOn, not an input: the order rolls the restarts without diffing any unit.
    { parent, dependsOn: [...args.after, ...(args.roll.previous ? [args.roll.previous] : [])] },
  );
}
