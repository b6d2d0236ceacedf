import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { Conductor, GraftConfig } from "../config";
import { RuleDecision } from "../openstack/ingressRules";
import { sha256 } from "../providers/diffing";
import { ConductorAccess } from "./conductorAccess";
import { ConductorConfig } from "./conductorConfig";
import { ConductorService } from "./conductorService";
import { DriverInstall } from "./driverInstall";
import { Preflight } from "./preflight";

export interface ConductorGraftArgs {
  readonly config: GraftConfig;
  readonly conductor: Conductor;
  readonly securityGroupId: string;
  readonly rule: RuleDecision;
  readonly openstackProvider: openstack.Provider;
  readonly capiStack: pulumi.Input<string>;
  readonly apiResourcesJson: pulumi.Input<string>;
}

/** One unit's runbook, stage after stage, each waiting on the one before. */
export class ConductorGraft extends pulumi.ComponentResource {
  readonly installedVersion: pulumi.Output<string>;
  readonly drivers: pulumi.Output<string>;
  readonly configDirLive: pulumi.Output<boolean>;
  readonly restartPid: pulumi.Output<string>;
  readonly service: ConductorService;

  constructor(name: string, args: ConductorGraftArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:conductor:ConductorGraft", name, {}, opts);
    const c = args.config;
    const common = { transport: c.transport, unit: args.conductor.unit, destroyMode: c.destroyMode };
    const guards = desiredGraftDigest(c);
    const child = { parent: this };

    const preflight = new Preflight(
      `${name}-preflight`,
      {
        ...common,
        address: args.conductor.address,
        egressCheckUrls: c.egressCheckUrls,
        capiStack: args.capiStack,
        guards,
      },
      child,
    );
    const access = new ConductorAccess(
      `${name}-access`,
      {
        ...common,
        address: args.conductor.address,
        mgmtApiHost: c.mgmtApiHost,
        mgmtApiPort: c.mgmtApiPort,
        mgmtProjectId: c.mgmtProjectId,
        securityGroupId: args.securityGroupId,
        rule: args.rule,
        openstackProvider: args.openstackProvider,
        kubeconfig: pulumi.secret(c.mgmtKubeconfig),
        helmVersion: c.helmVersion,
        helmTarballUrl: c.helmTarballUrl,
        helmTarballSha256: c.helmTarballSha256 ?? "",
        expectedHelmReleases: c.expectedHelmReleases,
        guards,
        after: [...preflight.gates, preflight.restartAfterDestroy],
      },
      child,
    );
    const install = new DriverInstall(
      `${name}-install`,
      {
        ...common,
        driverVersion: c.driverVersion,
        rollbackDriverVersion: c.rollbackDriverVersion,
        pipIndexUrl: c.pipIndexUrl ?? "",
        after: [access.authProof],
      },
      child,
    );
    const config = new ConductorConfig(
      `${name}-config`,
      {
        ...common,
        chartRepo: c.chartRepo,
        chartName: c.chartName,
        chartVersion: c.chartVersion,
        apiResourcesJson: args.apiResourcesJson,
        after: [install.driver],
      },
      child,
    );
    this.service = new ConductorService(
      `${name}-service`,
      {
        ...common,
        triggers: [
          access.kubeconfig.changedAt,
          install.driver.changedAt,
          config.dropIn.changedAt,
          config.daemonArgs.changedAt,
        ],
        after: [config.daemonArgs],
      },
      child,
    );
    this.installedVersion = install.driver.installedVersion;
    this.drivers = this.service.restart.drivers;
    this.configDirLive = this.service.restart.configDirLive.apply((v) => v === "1");
    this.restartPid = this.service.restart.pid;
    this.registerOutputs({ installedVersion: this.installedVersion, drivers: this.drivers });
  }
}

/**
 * What a unit's gates guard: a change to any of it reruns them before anything else changes. Secrets,
 * destroyMode and the acceptance settings stay out, so changing those touches no unit.
 */
function desiredGraftDigest(c: GraftConfig): string {
  const guarded = {
    transport: c.transport,
    mgmt: [c.mgmtProjectId, c.mgmtSecurityGroup, c.mgmtApiHost, c.mgmtApiPort, c.mgmtKubeconfigPath],
    driver: [c.driverVersion, c.rollbackDriverVersion, c.pipIndexUrl],
    helm: [c.helmVersion, c.helmTarballUrl, c.helmTarballSha256],
    chart: [c.chartRepo, c.chartName, c.chartVersion, c.apiResources],
    checks: [c.expectedHelmReleases, c.egressCheckUrls],
  };
  return sha256(JSON.stringify(guarded)).slice(0, 16);
}
