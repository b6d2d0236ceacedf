import * as pulumi from "@pulumi/pulumi";
import { ManagedBlock } from "../providers/managedBlock";
import { DestroyMode, RemoteFile } from "../providers/remoteFile";
import { TransportSpec } from "../providers/transport/transport";
import { MAGNUM } from "./magnum";

export interface ConductorConfigArgs {
  readonly transport: TransportSpec;
  readonly unit: string;
  readonly chartRepo: string;
  readonly chartName: string;
  readonly chartVersion: string;
  readonly apiResourcesJson: pulumi.Input<string>;
  readonly destroyMode: DestroyMode;
  readonly after: pulumi.Resource[];
}

/** The `[capi_helm]` keys of the runbook, with api_resources written explicitly. */
export function dropInContent(
  a: { chartRepo: string; chartName: string; chartVersion: string },
  apiResources: string,
): string {
  return [
    "[capi_helm]",
    `kubeconfig_file = ${MAGNUM.kubeconfig}`,
    `helm_chart_repo = ${a.chartRepo}`,
    `helm_chart_name = ${a.chartName}`,
    `default_helm_chart_version = ${a.chartVersion}`,
    `api_resources = ${apiResources}`,
    "",
  ].join("\n");
}

/** Assigning DAEMON_ARGS outright would drop the init script's --config-file: append instead. */
export const DAEMON_ARGS_LINE = `DAEMON_ARGS="$DAEMON_ARGS --config-dir ${MAGNUM.confDir}"`;

/** The conf.d drop-in, then the /etc/default block whose show-args gate guards the restart. */
export class ConductorConfig extends pulumi.ComponentResource {
  readonly dropIn: RemoteFile;
  readonly daemonArgs: ManagedBlock;

  constructor(name: string, args: ConductorConfigArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:conductor:ConductorConfig", name, {}, opts);
    const target = { transport: args.transport, unit: args.unit };
    this.dropIn = new RemoteFile(
      `${name}-drop-in`,
      {
        ...target,
        path: MAGNUM.dropIn,
        content: pulumi.output(args.apiResourcesJson).apply((json) => dropInContent(args, json)),
        mode: "0644",
        asciiOnly: true,
        destroyMode: args.destroyMode,
      },
      { parent: this, dependsOn: args.after },
    );
    this.daemonArgs = new ManagedBlock(
      `${name}-daemon-args`,
      {
        ...target,
        path: MAGNUM.etcDefault,
        block: DAEMON_ARGS_LINE,
        marker: MAGNUM.blockMarker,
        initScript: MAGNUM.initScript,
        showArgsMustContain: [`--config-file=${MAGNUM.conf}`, `--config-dir ${MAGNUM.confDir}`],
        destroyMode: args.destroyMode,
      },
      { parent: this, dependsOn: [this.dropIn] },
    );
    this.registerOutputs({});
  }
}
