import * as pulumi from "@pulumi/pulumi";
import { RestartApi } from "../core/restartApi";
import { ServiceRestart } from "../providers/serviceRestart";
import { MAGNUM } from "./magnum";
import { targetOf, UnitSpec } from "./unitSpec";

export interface PreflightArgs {
  readonly unit: UnitSpec;
  /** The previous unit's restart-after-destroy: deleted after this unit's, so destroy restarts roll. */
  readonly restartAfter?: pulumi.Resource;
  /** Whether magnum-api restarts after the conductor: after a rollback it must load the pinned driver too. */
  readonly restartApi: RestartApi;
}

/**
 * The resource whose delete restarts the conductor after a rollback: created before any change, so
 * deleted after all. The unit's read-only gates now run inside the steps they guard (ConductorAccess);
 * this component keeps its name because the restart's URN is in users' stacks.
 */
export class Preflight extends pulumi.ComponentResource {
  /** The restart a destroy runs last on this unit; every change waits on it. */
  readonly restartAfterDestroy: pulumi.Resource;

  constructor(name: string, args: PreflightArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:conductor:Preflight", name, {}, opts);
    this.restartAfterDestroy = createRestartAfterDestroy(name, args, this);
    this.registerOutputs({ restartAfterDestroy: this.restartAfterDestroy.urn });
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
