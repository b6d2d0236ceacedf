import * as pulumi from "@pulumi/pulumi";
import { PipPackage } from "../providers/pipPackage";
import { DestroyMode } from "../providers/remoteFile";
import { TransportSpec } from "../providers/transport/transport";
import { MAGNUM } from "./magnum";

export interface DriverInstallArgs {
  readonly transport: TransportSpec;
  readonly unit: string;
  readonly driverVersion: string;
  readonly rollbackDriverVersion: string;
  readonly pipIndexUrl: string;
  readonly destroyMode: DestroyMode;
  readonly after: pulumi.Resource[];
}

/** The pinned magnum-capi-helm release, verified by version and entry point. */
export class DriverInstall extends pulumi.ComponentResource {
  readonly driver: PipPackage;

  constructor(name: string, args: DriverInstallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:conductor:DriverInstall", name, {}, opts);
    this.driver = new PipPackage(
      `${name}-driver`,
      {
        transport: args.transport,
        unit: args.unit,
        package: MAGNUM.driverPackage,
        version: args.driverVersion,
        indexUrl: args.pipIndexUrl,
        entryPointGroup: MAGNUM.driverEntryPointGroup,
        entryPointName: MAGNUM.driverName,
        rollbackVersion: args.rollbackDriverVersion,
        destroyMode: args.destroyMode,
      },
      { parent: this, dependsOn: args.after },
    );
    this.registerOutputs({ installedVersion: this.driver.installedVersion });
  }
}
