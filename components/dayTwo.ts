import * as pulumi from "@pulumi/pulumi";
import { DestroyGuard } from "../providers/destroyGuard";
import { DestroyMode } from "../core/destroyMode";

export interface DayTwoArgs {
  readonly destroyMode: DestroyMode;
  readonly allowRemoveWithClusters: boolean;
  readonly mgmtProjectId: string;
  /** The management cluster's kubeconfig content (secret). */
  readonly kubeconfig: pulumi.Input<string>;
  readonly units: readonly string[];
  readonly driverVersion: string;
  readonly rollbackDriverVersion: string;
  /**
   * Every unit's last step (its restart, which waits on all of the unit's changes and its SG rule):
   * the guard is created after them all, so a destroy deletes it before anything is undone.
   */
  readonly after: pulumi.Resource[];
}

/** What a destroy will do on day 2, checked when it happens and recorded for the destroy preview. */
export class DayTwo extends pulumi.ComponentResource {
  readonly guard: DestroyGuard;
  /** The destroy's consequences and the clusters they touch, as of the last up or refresh. */
  readonly onDestroy: pulumi.Output<string>;

  constructor(name: string, args: DayTwoArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:index:DayTwo", name, {}, opts);
    this.guard = new DestroyGuard(
      `${name}-destroy-guard`,
      {
        destroyMode: args.destroyMode,
        allowRemoveWithClusters: args.allowRemoveWithClusters,
        projectId: args.mgmtProjectId,
        kubeconfig: args.kubeconfig,
        units: [...args.units],
        driverVersion: args.driverVersion,
        rollbackDriverVersion: args.rollbackDriverVersion,
      },
      { parent: this, dependsOn: args.after },
    );
    this.onDestroy = this.guard.onDestroy;
    this.registerOutputs({ onDestroy: this.onDestroy });
  }
}
