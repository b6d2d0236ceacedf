import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { Conductor, GraftConfig } from "../config";
import { RuleDecision } from "../openstack/ingressRules";
import { transportTo } from "../core/transportSpec";
import { sha256 } from "../providers/diffing";
import { AuthProof } from "../providers/gates";
import { ConductorAccess } from "./conductorAccess";
import { ConductorConfig } from "./conductorConfig";
import { ConductorService } from "./conductorService";
import { driverRights, projectNamespace } from "./credentialRules";
import { DriverInstall } from "./driverInstall";
import { MAGNUM } from "./magnum";
import { driverPythonFloor } from "../core/pythonFloor";
import { Preflight } from "./preflight";
import { seenBy, UnitSpec } from "./unitSpec";

/** The settings a unit's graft is made of: the configuration without the kubeconfig's content. */
export type GraftSettings = Omit<GraftConfig, "mgmtKubeconfig" | "conductors" | "jujuModel">;

export interface ConductorGraftArgs {
  readonly settings: GraftSettings;
  readonly conductor: Conductor;
  /** The management cluster's kubeconfig, a secret Output (made secret once, by the program). */
  readonly kubeconfig: pulumi.Output<string>;
  readonly securityGroupId: string;
  /** What Neutron already holds for this conductor's rule. */
  readonly rule: RuleDecision;
  readonly openstackProvider: openstack.Provider;
  /** The management cluster's readiness: every gate of the unit waits on it. */
  readonly capiStack: pulumi.Input<string>;
  /** The `api_resources` value to write: compact JSON. */
  readonly apiResourcesJson: pulumi.Input<string>;
  /** The unit before this one in `conductors` (restarts roll in that order) and the units after it. */
  readonly roll: { readonly previous?: ConductorGraft; readonly later: readonly string[] };
}

/** One unit's runbook, stage after stage, each waiting on the one before. */
export class ConductorGraft extends pulumi.ComponentResource {
  readonly installedVersion: pulumi.Output<string>;
  readonly drivers: pulumi.Output<string>;
  readonly configDirLive: pulumi.Output<boolean>;
  readonly restartPid: pulumi.Output<string>;
  readonly owesRestart: pulumi.Output<boolean>;
  readonly runningVersion: pulumi.Output<string>;
  /** What every gate of the unit saw when it last ran, by step. */
  readonly gatesSeen: pulumi.Output<string>;
  /** The last stage: what the acceptance checks wait on. */
  readonly service: ConductorService;
  /** The restart a destroy runs last on this unit: the next unit's is deleted before it. */
  readonly restartAfterDestroy: pulumi.Resource;

  constructor(name: string, args: ConductorGraftArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:conductor:ConductorGraft", name, {}, opts);
    const { preflight, install, service, gatesSeen } = createConductorGraft(name, args, this);
    this.installedVersion = install.installedVersion;
    this.drivers = service.drivers;
    this.configDirLive = service.configDirLive;
    this.restartPid = service.pid;
    this.owesRestart = service.owesRestart;
    this.runningVersion = service.runningVersion;
    this.gatesSeen = gatesSeen;
    this.service = service;
    this.restartAfterDestroy = preflight.restartAfterDestroy;
    this.registerOutputs({
      installedVersion: this.installedVersion,
      drivers: this.drivers,
      configDirLive: this.configDirLive,
      restartPid: this.restartPid,
      owesRestart: this.owesRestart,
      runningVersion: this.runningVersion,
      gatesSeen: this.gatesSeen,
    });
  }
}

function createConductorGraft(name: string, args: ConductorGraftArgs, parent: pulumi.Resource) {
  const c = args.settings;
  const unit: UnitSpec = {
    transport: transportTo(c.transport, args.conductor.address),
    unit: args.conductor.unit,
    address: args.conductor.address,
    destroyMode: c.destroyMode,
    guards: desiredGraftDigest(c),
  };
  const child = { parent };

  const preflight = new Preflight(
    `${name}-preflight`,
    {
      unit,
      gates: {
        egressCheckUrls: c.egressCheckUrls,
        driver: `magnum-capi-helm ${c.driverVersion}`,
        pythonFloor: driverPythonFloor(c.driverVersion),
        chart: { kind: "chartIndex", repo: c.chartRepo, chart: c.chartName, version: c.chartVersion },
        capiStack: args.capiStack,
      },
      restartAfter: args.roll.previous?.restartAfterDestroy,
      restartApi: c.restartApi,
    },
    child,
  );
  const access = new ConductorAccess(
    `${name}-access`,
    {
      unit,
      api: {
        host: c.mgmtApiHost,
        port: c.mgmtApiPort,
        projectId: c.mgmtProjectId,
        securityGroupId: args.securityGroupId,
        rule: args.rule,
        openstackProvider: args.openstackProvider,
      },
      kubeconfig: args.kubeconfig,
      helm: {
        version: c.helmVersion,
        tarballUrl: c.helmTarballUrl,
        tarballSha256: c.helmTarballSha256 ?? "",
      },
      after: [preflight.ready],
    },
    child,
  );
  const install = new DriverInstall(
    `${name}-install`,
    {
      unit,
      driverVersion: c.driverVersion,
      rollbackDriverVersion: c.rollbackDriverVersion,
      pipIndexUrl: c.pipIndexUrl ?? "",
      authProof: authProof(c),
      guards: pulumi.interpolate`${unit.guards} ${access.proofGuards}`,
      after: [access.ready],
    },
    child,
  );
  const config = new ConductorConfig(
    `${name}-config`,
    {
      unit,
      chart: { chartRepo: c.chartRepo, chartName: c.chartName, chartVersion: c.chartVersion },
      apiResourcesJson: args.apiResourcesJson,
      after: [install.ready],
    },
    child,
  );
  const service = new ConductorService(
    `${name}-service`,
    {
      unit,
      triggers: [access.kubeconfigChangedAt, install.changedAt, ...config.changedAt],
      after: [config.ready],
      roll: { previous: args.roll.previous?.service.restart, later: args.roll.later },
      restartApi: c.restartApi,
    },
    child,
  );
  return {
    preflight,
    install,
    service,
    gatesSeen: seenBy([preflight.gatesSeen, access.gatesSeen, install.gatesSeen]),
  };
}

/**
 * As the service user, with the delivered kubeconfig: the driver's rights, then helm's releases (all
 * namespaces for admin; a scoped account cannot list the CAPI stack's, so its projects' instead).
 */
function authProof(c: GraftSettings): AuthProof {
  const rights = driverRights(c.conductorCredential === "scoped", c.credentialProjects.map(projectNamespace));
  return {
    kind: "helmAuth",
    kubeconfigPath: MAGNUM.kubeconfig,
    service: MAGNUM.service,
    expectedReleases: rights.allNamespaces ? [...c.expectedHelmReleases] : [],
    ...rights,
  };
}

/**
 * What a unit's gates guard: a change to any of it reruns them before anything else changes. Secrets,
 * destroyMode and the acceptance settings stay out, so changing those touches no unit.
 */
function desiredGraftDigest(c: GraftSettings): string {
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
