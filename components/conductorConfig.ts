import * as pulumi from "@pulumi/pulumi";
import { ManagedBlock } from "../providers/managedBlock";
import { RemoteFile } from "../providers/remoteFile";
import { MAGNUM } from "./magnum";
import { targetOf, UnitSpec } from "./unitSpec";

/** The Helm chart the driver deploys clusters from: chartRepo "" with an oci:// chartName. */
export interface ChartSpec {
  readonly chartRepo: string;
  readonly chartName: string;
  readonly chartVersion: string;
}

export interface ConductorConfigArgs {
  readonly unit: UnitSpec;
  readonly chart: ChartSpec;
  /** The `api_resources` value to write: compact JSON. */
  readonly apiResourcesJson: pulumi.Input<string>;
  readonly after: pulumi.Resource[];
}

/**
 * The `[capi_helm]` keys of the runbook, with api_resources written explicitly. An OCI chart's empty
 * helm_chart_repo is written, not left out: the driver's default repo would make it pass --repo.
 */
export function dropInContent(a: ChartSpec, apiResources: string): string {
  return [
    "[capi_helm]",
    `kubeconfig_file = ${MAGNUM.kubeconfig}`,
    a.chartRepo === "" ? "helm_chart_repo =" : `helm_chart_repo = ${a.chartRepo}`,
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
  /** When the drop-in and the /etc/default block last really changed on the unit. */
  readonly changedAt: pulumi.Output<string>[];
  /** What the next stage waits on: the /etc/default block. */
  readonly ready: pulumi.Resource;

  constructor(name: string, args: ConductorConfigArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:conductor:ConductorConfig", name, {}, opts);
    const { dropIn, daemonArgs } = createConductorConfig(name, args, this);
    this.changedAt = [dropIn.changedAt, daemonArgs.changedAt];
    this.ready = daemonArgs;
    this.registerOutputs({ changedAt: this.changedAt, ready: daemonArgs.urn });
  }
}

function createConductorConfig(name: string, args: ConductorConfigArgs, parent: pulumi.Resource) {
  const target = targetOf(args.unit);
  const dropIn = new RemoteFile(
    `${name}-drop-in`,
    {
      ...target,
      path: MAGNUM.dropIn,
      content: pulumi.output(args.apiResourcesJson).apply((json) => dropInContent(args.chart, json)),
      mode: "0644",
      asciiOnly: true,
      destroyMode: args.unit.destroyMode,
    },
    { parent, dependsOn: args.after },
  );
  const daemonArgs = new ManagedBlock(
    `${name}-daemon-args`,
    {
      ...target,
      path: MAGNUM.etcDefault,
      block: DAEMON_ARGS_LINE,
      marker: MAGNUM.blockMarker,
      initScript: MAGNUM.initScript,
      showArgsMustContain: [`--config-file=${MAGNUM.conf}`, `--config-dir ${MAGNUM.confDir}`],
      destroyMode: args.unit.destroyMode,
    },
    { parent, dependsOn: [dropIn] },
  );
  return { dropIn, daemonArgs };
}
