import * as pulumi from "@pulumi/pulumi";
import { DestroyMode } from "../providers/remoteFile";
import { ServiceRestart } from "../providers/serviceRestart";
import { TransportSpec } from "../providers/transport/transport";
import { MAGNUM } from "./magnum";

export interface ConductorServiceArgs {
  readonly transport: TransportSpec;
  readonly unit: string;
  /** When the kubeconfig, driver, drop-in and /etc/default last really changed. */
  readonly triggers: pulumi.Input<string>[];
  readonly destroyMode: DestroyMode;
  readonly after: pulumi.Resource[];
}

/** Restart when a change left one owed, wait until really active, prove the driver loaded. */
export class ConductorService extends pulumi.ComponentResource {
  readonly restart: ServiceRestart;

  constructor(name: string, args: ConductorServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:conductor:ConductorService", name, {}, opts);
    this.restart = new ServiceRestart(
      `${name}-restart`,
      {
        transport: args.transport,
        unit: args.unit,
        service: MAGNUM.service,
        when: "apply",
        triggers: args.triggers,
        configDir: MAGNUM.confDir,
        driver: MAGNUM.driverName,
        settleSeconds: MAGNUM.settleSeconds,
        destroyMode: args.destroyMode,
      },
      { parent: this, dependsOn: args.after },
    );
    this.registerOutputs({ drivers: this.restart.drivers, configDirLive: this.restart.configDirLive });
  }
}
