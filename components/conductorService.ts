import * as pulumi from "@pulumi/pulumi";
import { ServiceRestart } from "../providers/serviceRestart";
import { MAGNUM } from "./magnum";
import { targetOf, UnitSpec } from "./unitSpec";

export interface ConductorServiceArgs {
  readonly unit: UnitSpec;
  /** When the kubeconfig, driver, drop-in and /etc/default last really changed. */
  readonly triggers: pulumi.Input<string>[];
  readonly after: pulumi.Resource[];
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

  constructor(name: string, args: ConductorServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:conductor:ConductorService", name, {}, opts);
    const restart = createConductorService(name, args, this);
    this.drivers = restart.drivers;
    this.configDirLive = restart.configDirLive.apply((v) => v === "1");
    this.pid = restart.pid;
    this.registerOutputs({ drivers: this.drivers, configDirLive: this.configDirLive, pid: this.pid });
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
    },
    { parent, dependsOn: args.after },
  );
}
