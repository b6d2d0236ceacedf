import * as pulumi from "@pulumi/pulumi";
import { driverPythonFloor } from "../core/pythonFloor";
import { AuthProof } from "../providers/gates";
import { PipPackage } from "../providers/pipPackage";
import { MAGNUM } from "./magnum";
import { targetOf, UnitSpec } from "./unitSpec";

export interface DriverInstallArgs {
  readonly unit: UnitSpec;
  readonly driverVersion: string;
  /** What a rollback destroy pins back. */
  readonly rollbackDriverVersion: string;
  /** "" for pip's own default index. */
  readonly pipIndexUrl: string;
  /** The auth proof the install runs first: the delivered credential must authenticate and hold the driver's rights. */
  readonly authProof: AuthProof;
  /** The desired graft, the delivered kubeconfig's hash (secret) and the live helm: a change reruns the proof. */
  readonly guards: pulumi.Input<string>;
  readonly after: pulumi.Resource[];
}

/**
 * The pinned magnum-capi-helm release, verified by version and entry point. One resource, kept as a
 * stage of its own: its URN (and its child's) are in users' stacks, and folding it would re-parent them.
 */
export class DriverInstall extends pulumi.ComponentResource {
  readonly installedVersion: pulumi.Output<string>;
  /** What the auth proof saw. */
  readonly gatesSeen: pulumi.Output<string | undefined>;
  /** When the driver last really changed on the unit: a restart follows it. */
  readonly changedAt: pulumi.Output<string>;
  /** What the next stage waits on. */
  readonly ready: pulumi.Resource;

  constructor(name: string, args: DriverInstallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:conductor:DriverInstall", name, {}, opts);
    const driver = createDriverInstall(name, args, this);
    this.installedVersion = driver.installedVersion;
    this.changedAt = driver.changedAt;
    this.gatesSeen = driver.gatesSeen;
    this.ready = driver;
    this.registerOutputs({
      installedVersion: this.installedVersion,
      changedAt: this.changedAt,
      gatesSeen: this.gatesSeen,
    });
  }
}

function createDriverInstall(name: string, args: DriverInstallArgs, parent: pulumi.Resource): PipPackage {
  return new PipPackage(
    `${name}-driver`,
    {
      ...targetOf(args.unit),
      package: MAGNUM.driverPackage,
      version: args.driverVersion,
      indexUrl: args.pipIndexUrl,
      entryPointGroup: MAGNUM.driverEntryPointGroup,
      entryPointName: MAGNUM.driverName,
      rollbackVersion: args.rollbackDriverVersion,
      pythonFloor: driverPythonFloor(args.driverVersion),
      rollbackPythonFloor: driverPythonFloor(args.rollbackDriverVersion),
      destroyMode: args.unit.destroyMode,
      gates: [args.authProof],
      guards: args.guards,
    },
    { parent, dependsOn: args.after },
  );
}
